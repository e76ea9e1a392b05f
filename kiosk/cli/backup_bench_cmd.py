"""``gerbang bench backup``: backup, verify and restore times for a store of N records."""

from __future__ import annotations

import dataclasses
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from kiosk.cli.context import emit_json, json_option
from models.backup import create_backup, restore_backup, verify_backup
from models.events import (
    CheckOutcome,
    CheckResult,
    Decision,
    Outcome,
    ReasonCode,
    Score,
    StepTiming,
    VerificationEvent,
)
from models.identity import TravellerCategory
from models.keys import KeyStore
from models.store import Store


def _event(i: int, start: datetime) -> VerificationEvent:
    at = start + timedelta(seconds=20 * i)
    return VerificationEvent(
        event_id=str(uuid.UUID(int=i)),
        kiosk_id="BENCH-1",
        office_id="BENCH",
        started_at=at,
        finished_at=at + timedelta(seconds=14),
        traveller_category=TravellerCategory.CITIZEN if i % 3 else TravellerCategory.FOREIGNER,
        issuing_state="IDN",
        document_number=f"C{i:07d}",
        traveller_id=None,
        checks=(
            CheckResult("mrz", CheckOutcome.PASSED),
            CheckResult("face_1to1", CheckOutcome.PASSED),
        ),
        scores=(Score("face_1to1", 0.8, 0.6),),
        decision=Decision(Outcome.PASS, (ReasonCode.ALL_CHECKS_PASSED,)),
        timings=(StepTiming("chip_read", 2100.0), StepTiming("face_capture", 3900.0)),
    )


@click.group()
def bench() -> None:
    """Benchmarks that print JSON."""


@bench.command("backup")
@click.option(
    "--records", default=100_000, show_default=True, help="Verification events in the store."
)
@json_option
def backup_bench(records: int, as_json: bool) -> None:
    """Time backup create / verify / restore of a store holding RECORDS events (prints JSON)."""
    del as_json  # the output is always JSON; --json is accepted like everywhere else
    with tempfile.TemporaryDirectory(prefix="gerbang-bench-") as tmp:
        root = Path(tmp)
        data = root / "data"
        keys = KeyStore(data / "keys")
        store = Store.open(data / "kiosk.db", keys.store_key())
        start = datetime(2026, 1, 1, tzinfo=UTC)
        t0 = time.perf_counter()
        batch = 5000
        for first in range(0, records, batch):
            with store.atomic():
                for i in range(first, min(first + batch, records)):
                    store.events.add(_event(i, start))
        fill_s = time.perf_counter() - t0
        store_bytes = (data / "kiosk.db").stat().st_size
        info = create_backup(store, keys, data, root / "backups", kiosk_id="BENCH-1")
        store.close()
        verified = verify_backup(info.path, keys=keys)
        restored = restore_backup(info.path, data)
        check = Store.open(data / "kiosk.db", KeyStore(data / "keys").store_key())
        count = check.events.count()
        sample = check.events.get(str(uuid.UUID(int=records - 1)))
        check.close()
    emit_json(
        {
            "records": records,
            "restored_records": count,
            "restored_sample_ok": dataclasses.asdict(sample)
            == dataclasses.asdict(_event(records - 1, start)),
            "store_mb": round(store_bytes / 1e6, 1),
            "backup_mb": round(info.bytes / 1e6, 1),
            "fill_s": round(fill_s, 2),
            "create_s": round(info.seconds, 2),
            "verify_s": round(verified.seconds, 2),
            "restore_s": round(restored.seconds, 2),
        }
    )


COMMANDS = (bench,)

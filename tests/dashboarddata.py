"""Seeded data for the dashboard tests: kiosks, status reports, devices and a few
thousand verification events pushed through the real ingest (with later versions:
officer overrides and survey answers, some delivered twice or out of order)."""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from models import codec
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
from models.operations import DeviceKind, DeviceState, DeviceStatus
from sync.server import ingest, registry
from sync.server.api_models import PushItemIn
from sync.server.service import Central

KIOSKS = (
    ("SOEKARNO-HATTA", "CGK-01"),
    ("SOEKARNO-HATTA", "CGK-02"),
    ("NGURAH-RAI", "DPS-01"),
    ("NGURAH-RAI", "DPS-02"),
    ("KUALANAMU", "KNO-01"),
)
_FAILURES = (
    ("face_1to1", ReasonCode.FACE_MISMATCH),
    ("face_capture", ReasonCode.FACE_QUALITY_LOW),
    ("chip_read", ReasonCode.DOCUMENT_UNREADABLE),
    ("fingerprint_capture", ReasonCode.FINGERPRINT_QUALITY_LOW),
    ("passive_authentication", ReasonCode.PASSIVE_AUTH_FAILED),
    ("document_expiry", ReasonCode.DOCUMENT_EXPIRED),
)


def make_event(
    rng: random.Random, event_id: str, office: str, kiosk: str, started: datetime
) -> VerificationEvent:
    checks = {
        "mrz": CheckOutcome.PASSED,
        "document_expiry": CheckOutcome.PASSED,
        "chip_read": CheckOutcome.PASSED,
        "passive_authentication": CheckOutcome.PASSED,
        "face_capture": CheckOutcome.PASSED,
        "face_1to1": CheckOutcome.PASSED,
        "watchlist_face": CheckOutcome.PASSED,
    }
    fingerprint = rng.random() < 0.4
    if fingerprint:
        checks["fingerprint_capture"] = CheckOutcome.PASSED
        checks["watchlist_fingerprint"] = CheckOutcome.PASSED
    reasons: list[ReasonCode] = []
    if rng.random() < 0.12:
        name, reason = rng.choice(_FAILURES)
        if name in checks:
            checks[name] = CheckOutcome.ERROR if rng.random() < 0.1 else CheckOutcome.FAILED
            reasons.append(
                ReasonCode.DEVICE_ERROR if checks[name] is CheckOutcome.ERROR else reason
            )
    watchlist = rng.random() < 0.004
    if watchlist:
        checks["watchlist_face"] = CheckOutcome.FAILED
        reasons.insert(0, ReasonCode.WATCHLIST_HIT)
    outcome = Outcome.REFER if reasons else Outcome.PASS
    if watchlist and rng.random() < 0.5:
        outcome = Outcome.REJECT
    face_score = min(0.99, max(0.05, rng.gauss(0.82, 0.05)))
    if checks["face_1to1"] is CheckOutcome.FAILED:
        face_score = rng.uniform(0.2, 0.5)
    scores = [Score("face_1to1", round(face_score, 4), 0.6)]
    if fingerprint:
        scores.append(Score("fingerprint_1to1", round(min(0.99, rng.gauss(0.7, 0.08)), 4), 0.4))
    timings = [
        StepTiming("document", rng.lognormvariate(8.0, 0.35)),
        StepTiming("face", rng.lognormvariate(8.3, 0.3)),
        StepTiming("decision", rng.lognormvariate(5.0, 0.4)),
    ]
    if fingerprint:
        timings.insert(2, StepTiming("fingerprint", rng.lognormvariate(8.6, 0.35)))
    total_ms = sum(t.ms for t in timings)
    return VerificationEvent(
        event_id=event_id,
        kiosk_id=kiosk,
        office_id=office,
        started_at=started,
        finished_at=started + timedelta(milliseconds=total_ms),
        traveller_category=TravellerCategory.FOREIGNER
        if rng.random() < 0.6
        else TravellerCategory.CITIZEN,
        issuing_state="MYS",
        document_number=None,
        traveller_id=None,
        checks=tuple(CheckResult(n, o) for n, o in checks.items()),
        scores=tuple(scores),
        decision=Decision(outcome, tuple(reasons) or (ReasonCode.ALL_CHECKS_PASSED,)),
        timings=tuple(timings),
    )


@dataclasses.dataclass(frozen=True)
class Item:
    kiosk_id: str
    key: str
    created_at: datetime
    payload: str


def event_items(*, now: datetime, days: int, per_kiosk_day: int, seed: int = 12) -> Iterator[Item]:
    """Pushed items in delivery order: first versions, overrides, survey answers."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    start = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    for d in range(days):
        for office, kiosk in KIOSKS:
            for i in range(per_kiosk_day):
                started = start + timedelta(days=d, seconds=rng.randint(6 * 3600, 22 * 3600))
                if started > now:
                    continue
                event = make_event(rng, f"{kiosk}-{d}-{i}", office, kiosk, started)
                at = event.finished_at
                yield Item(kiosk, event.event_id, at, codec.dumps(event).decode())
                if event.decision.outcome is Outcome.REFER and rng.random() < 0.3:
                    event = dataclasses.replace(
                        event,
                        decision=Decision(Outcome.PASS, (ReasonCode.OFFICER_OVERRIDE,)),
                    )
                    at = at + timedelta(seconds=90)
                    yield Item(kiosk, f"{event.event_id}:override", at, codec.dumps(event).decode())
                if rng.random() < 0.45:
                    rated = dataclasses.replace(
                        event, satisfaction=rng.choice((2, 3, 4, 4, 5, 5, 5))
                    )
                    at = at + timedelta(seconds=5)
                    yield Item(kiosk, f"{event.event_id}:survey", at, codec.dumps(rated).decode())


def register_kiosks(central: Central, *, now: datetime) -> None:
    with central.engine.begin() as conn:
        for office, kiosk in KIOSKS:
            code, _ = registry.issue_code(conn, office_id=office, now=now)
            key = (
                Ed25519PrivateKey.generate()
                .public_key()
                .public_bytes(Encoding.Raw, PublicFormat.Raw)
            )
            registry.register(
                conn, code=code, kiosk_id=kiosk, office_id=office, public_key=key, now=now
            )


def push(
    central: Central, items: list[Item], *, now: datetime, batch: int = 200, fold: bool = True
) -> None:
    """Items through the real ingest, one transaction per kiosk batch; then (``fold``) the
    rollup folder's round that the server's background folder runs within a second."""
    by_kiosk: dict[str, list[Item]] = {}
    for item in items:
        by_kiosk.setdefault(item.kiosk_id, []).append(item)
    for kiosk_id, mine in by_kiosk.items():
        with central.engine.begin() as conn:
            kiosk = registry.get_kiosk(conn, kiosk_id)
        assert kiosk is not None
        for i in range(0, len(mine), batch):
            raw = [
                PushItemIn(
                    key=x.key,
                    kind="verification_event",
                    created_at=x.created_at.isoformat(),
                    payload=x.payload,
                )
                for x in mine[i : i + batch]
            ]
            with central.engine.begin() as conn:
                ingest.ingest(conn, kiosk, raw, now=now, index_key=b"k" * 32)
    if fold:
        central.fold_rollups(max_batches=10**6)
        _wait_for_folded(central)


def _wait_for_folded(central: Central, timeout_s: float = 60.0) -> None:
    """Until the rollup queue is empty. On PostgreSQL a server's background folder may
    hold the fold lock, and then the fold above returns at once while that folder's
    transaction is still counting: a report read now would find nothing yet."""
    import time

    from sync.server import rollups

    deadline = time.monotonic() + timeout_s
    while True:
        with central.engine.connect() as conn:
            queued = rollups.pending(conn)
        if not queued:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{queued} queued rollup versions not folded in {timeout_s} s")
        central.fold_rollups(max_batches=10**6)
        time.sleep(0.05)


def report_status(central: Central, *, now: datetime) -> None:
    """Status reports and device health as kiosks send them; two kiosks need attention."""
    from sync.server import schema as s
    from sync.server.db import upsert

    reports = {
        "CGK-01": (now - timedelta(minutes=5), 3, "normal", 0.0, "1.4.2"),
        "CGK-02": (now - timedelta(minutes=12), 0, "normal", 0.0, "1.4.2"),
        "DPS-01": (now - timedelta(days=16), 2140, "officer_only", 15.5, "1.4.1"),
        "DPS-02": (now - timedelta(hours=2), 41, "normal", 0.1, "1.4.2"),
    }  # KNO-01 has never reported
    with central.engine.begin() as conn:
        for kiosk_id, (at, depth, mode, days, version) in reports.items():
            payload = {
                "checkpoint": 120,
                "outbox_depth": depth,
                "offline": {
                    "mode": mode,
                    "reasons": [],
                    "warnings": [],
                    "days_offline": days,
                    "watchlist_age_hours": 3.0,
                    "outbox_depth": depth,
                },
                "version": version,
            }
            values = {
                "reported_at": at,
                "checkpoint": 120,
                "outbox_depth": depth,
                "mode": mode,
                "payload": json.dumps(payload),
            }
            conn.execute(upsert(conn, s.kiosk_status).values(kiosk_id=kiosk_id, **values))
    for kiosk_id in ("CGK-01", "DPS-02"):
        devices = [
            DeviceStatus("cam0", DeviceKind.CAMERA, "opencv", DeviceState.READY, now),
            DeviceStatus(
                "fp0",
                DeviceKind.FINGERPRINT,
                "libfprint",
                DeviceState.ERROR if kiosk_id == "DPS-02" else DeviceState.READY,
                now,
            ),
            DeviceStatus("reader0", DeviceKind.CARD_READER, "pcsc", DeviceState.READY, now),
        ]
        with central.engine.begin() as conn:
            kiosk = registry.get_kiosk(conn, kiosk_id)
            assert kiosk is not None
            ingest.ingest(
                conn,
                kiosk,
                [
                    PushItemIn(
                        key=f"dev-{d.device_id}",
                        kind="device_status",
                        created_at=now.isoformat(),
                        payload=codec.dumps(d).decode(),
                    )
                    for d in devices
                ],
                now=now,
                index_key=b"k" * 32,
            )


def seed(
    central: Central, *, now: datetime | None = None, days: int = 40, per_kiosk_day: int = 12
) -> int:
    """A whole seeded dashboard database; returns the number of items pushed."""
    now = now or datetime.now(UTC)
    register_kiosks(central, now=now)
    items = list(event_items(now=now, days=days, per_kiosk_day=per_kiosk_day))
    push(central, items, now=now)
    report_status(central, now=now)
    return len(items)

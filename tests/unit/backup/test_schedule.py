"""Scheduled backups: made when due, pruned to ``keep``, audited; failures audited, not raised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.backup_schedule import ACTOR, BackupScheduler
from models.audit import AuditLog
from models.settings import Settings
from tests.unit.backup.conftest import Kiosk


def _scheduler(kiosk: Kiosk, folder: Path, clock: list[datetime]) -> BackupScheduler:
    settings = Settings.model_validate(
        {
            "kiosk": {"id": "KIOSK-1"},
            "paths": {"data_dir": str(kiosk.data)},
            "backup": {"dir": str(folder), "interval_h": 24, "keep": 2},
        }
    )
    audit = AuditLog(kiosk.store, kiosk.keys.signing_key())
    return BackupScheduler(settings, kiosk.store, kiosk.keys, audit, clock=lambda: clock[0])


def _actions(kiosk: Kiosk) -> list[tuple[str, str]]:
    return [(r.actor, r.action) for r in kiosk.store.audit]


def test_a_backup_is_made_when_due_and_old_ones_are_pruned(kiosk: Kiosk, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    # the scheduler reads the backups' file times, which are the real clock's: the test
    # clock starts now (with a fixed start, 2026-11-25 08:00, it failed on every run from
    # 2026-11-26 09:00 UTC on: two days later was then less than a day after a file time)
    clock = [datetime.now(UTC)]
    scheduler = _scheduler(kiosk, folder, clock)
    assert scheduler.due()  # no backup yet
    first = scheduler.run_once()
    assert first is not None and first.is_file()
    clock[0] += timedelta(hours=1)
    assert scheduler.run_once() is None  # the newest is an hour old (its file time is now)
    made = []
    for _ in range(3):
        clock[0] += timedelta(days=2)
        path = scheduler.run_once()
        assert path is not None
        made.append(path.name)
    assert sorted(p.name for p in folder.glob("*.gbk")) == sorted(made[-2:])  # keep = 2
    assert _actions(kiosk).count((ACTOR, "backup.create")) == 4


def test_a_failed_backup_is_audited_and_retried_later(
    kiosk: Kiosk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    scheduler = _scheduler(kiosk, folder, [datetime(2026, 11, 25, tzinfo=UTC)])

    def disk_full(*_: object, **__: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("kiosk.backup_schedule.create_backup", disk_full)
    assert scheduler.run_once() is None
    assert (ACTOR, "backup.failed") in _actions(kiosk)
    assert scheduler.due()  # still due: the next wake-up tries again

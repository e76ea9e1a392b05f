"""A restore is all or nothing, keeps what it replaced openable, and survives a crash (H2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.backup import (
    BackupError,
    RestoreRecovery,
    finish_interrupted_restore,
    restore_backup,
)
from models.backup_journal import CRASH_POINTS, JOURNAL
from models.errors import RecordNotFoundError
from models.keys import KeyStore
from models.recovery import RecoveryKey
from models.store import Store
from tests import factories
from tests.unit.backup.conftest import Kiosk


def _open(folder: Path) -> Store:
    return Store.open(folder / "kiosk.db", KeyStore(folder / "keys").store_key())


def _has_later_work(store: Store) -> bool:
    """Was the work done after the backup (a traveller, an unsynced outbox item) there?"""
    try:
        store.travellers.get("t-2")
    except RecordNotFoundError:
        return False
    assert [item.idempotency_key for item in store.outbox.pending()] == ["ev-2"]
    return True


def _work_after_the_backup(kiosk: Kiosk) -> None:
    kiosk.store.travellers.add(factories.traveller("t-2"))
    kiosk.store.outbox.enqueue("verification_event", "ev-2", b"unsynced payload")


def _leftovers(data: Path) -> list[str]:
    return sorted(
        p.name
        for p in data.iterdir()
        if p.name.startswith((".restore-", "restore-journal", "pre-restore-"))
    )


def test_the_replaced_store_stays_openable_with_its_own_keys(kiosk: Kiosk, tmp_path: Path) -> None:
    path = kiosk.backup(tmp_path / "b")
    _work_after_the_backup(kiosk)
    kiosk.store.close()
    report = restore_backup(path, kiosk.data)
    assert report.kept is not None
    assert _leftovers(kiosk.data) == [report.kept.name]
    with_backup = _open(kiosk.data)
    assert not _has_later_work(with_backup)
    with_backup.close()
    kept = _open(report.kept)  # a complete data directory: store, WAL and the keys that open it
    assert _has_later_work(kept)
    kept.close()


def test_recovery_restore_onto_a_kiosk_whose_kiosk_key_is_lost(
    kiosk: Kiosk, recovery: RecoveryKey, tmp_path: Path
) -> None:
    path = kiosk.backup(tmp_path / "b")
    _work_after_the_backup(kiosk)
    kiosk.store.close()
    (kiosk.data / "keys" / "kiosk.key").unlink()  # the case recovery exists for
    with pytest.raises(BackupError, match="--recovery"):
        restore_backup(path, kiosk.data)
    assert _leftovers(kiosk.data) == []  # nothing was touched
    report = restore_backup(path, kiosk.data, recovery=recovery)
    restored = _open(kiosk.data)
    assert restored.travellers.get("t-1") == factories.traveller("t-1")
    assert not _has_later_work(restored)
    restored.close()
    assert report.kept is not None
    assert (report.kept / "keys" / "keyring.json").is_file()  # the old keyring is kept
    assert (report.kept / "kiosk.db").is_file()


@pytest.mark.parametrize("step", ["staged", *CRASH_POINTS])
def test_a_crash_at_any_step_of_restore_is_undone_or_finished_on_the_next_start(
    kiosk: Kiosk, tmp_path: Path, step: str
) -> None:
    path = kiosk.backup(tmp_path / "b")
    _work_after_the_backup(kiosk)
    kiosk.store.close()
    keyring_before = (kiosk.data / "keys" / "keyring.json").read_bytes()
    with pytest.raises(BackupError, match="simulated crash"):
        restore_backup(path, kiosk.data, _crash_after=step)
    outcome = finish_interrupted_restore(kiosk.data)  # the next start
    committed = step == "committed"
    expected = {
        "staged": RestoreRecovery.NOTHING,
        "committed": RestoreRecovery.FINISHED,
    }.get(step, RestoreRecovery.UNDONE)
    assert outcome is expected
    store = _open(kiosk.data)
    assert _has_later_work(store) is not committed  # undone: as before; finished: the backup
    store.close()
    leftovers = _leftovers(kiosk.data)
    if committed:
        assert len(leftovers) == 1 and leftovers[0].startswith("pre-restore-")
        kept = _open(kiosk.data / leftovers[0])
        assert _has_later_work(kept)
        kept.close()
    else:
        assert leftovers == []
        assert (kiosk.data / "keys" / "keyring.json").read_bytes() == keyring_before
        assert (kiosk.data / "index" / "face.idx").stat().st_size == 5000
    assert finish_interrupted_restore(kiosk.data) is RestoreRecovery.NOTHING


def test_a_restore_first_deals_with_an_interrupted_one(kiosk: Kiosk, tmp_path: Path) -> None:
    path = kiosk.backup(tmp_path / "b")
    _work_after_the_backup(kiosk)
    kiosk.store.close()
    with pytest.raises(BackupError, match="simulated crash"):
        restore_backup(path, kiosk.data, _crash_after="old_moved")
    assert not (kiosk.data / "kiosk.db").exists()  # the crash left the kiosk without a store
    report = restore_backup(path, kiosk.data)
    store = _open(kiosk.data)
    assert not _has_later_work(store)
    store.close()
    assert report.kept is not None and _leftovers(kiosk.data) == [report.kept.name]
    kept = _open(report.kept)
    assert _has_later_work(kept)
    kept.close()


def test_a_restore_of_a_kiosk_without_index_removes_nothing_it_did_not_install(
    kiosk: Kiosk, tmp_path: Path
) -> None:
    path = kiosk.backup(tmp_path / "b")
    kiosk.store.close()
    (kiosk.data / "index" / "face.idx").unlink()
    (kiosk.data / "index").rmdir()
    with pytest.raises(BackupError, match="simulated crash"):
        restore_backup(path, kiosk.data, _crash_after="new_installed")
    assert (kiosk.data / "index").is_dir()  # installed from the backup ...
    assert finish_interrupted_restore(kiosk.data) is RestoreRecovery.UNDONE
    assert not (kiosk.data / "index").exists()  # ... and removed again by the undo


def test_a_damaged_journal_is_reported_not_guessed_at(kiosk: Kiosk) -> None:
    kiosk.store.close()
    (kiosk.data / JOURNAL).write_text(json.dumps({"state": "swapping", "staging": "../../etc"}))
    with pytest.raises(BackupError, match="damaged") as caught:
        finish_interrupted_restore(kiosk.data)
    assert caught.value.reason == "state"


@pytest.mark.parametrize("step", ["old_moved", "store_installed", "new_installed"])
def test_an_interrupted_recovery_onto_an_empty_kiosk_leaves_it_empty(
    kiosk: Kiosk, recovery: RecoveryKey, tmp_path: Path, step: str
) -> None:
    path = kiosk.backup(tmp_path / "b")
    fresh = tmp_path / "replacement"
    with pytest.raises(BackupError, match="simulated crash"):
        restore_backup(path, fresh, recovery=recovery, _crash_after=step)
    assert finish_interrupted_restore(fresh) is RestoreRecovery.UNDONE
    assert sorted(p.name for p in fresh.iterdir()) == []
    assert restore_backup(path, fresh, recovery=recovery).kept is None
    restored = _open(fresh)
    assert restored.travellers.get("t-1") == factories.traveller("t-1")
    restored.close()


def test_a_failing_swap_is_undone_at_once(
    kiosk: Kiosk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = kiosk.backup(tmp_path / "b")
    _work_after_the_backup(kiosk)
    kiosk.store.close()
    real_replace = Path.replace

    def replace(self: Path, target: Path) -> Path:
        if self.name == "store.db" and self.parent.name.startswith(".restore-"):
            raise OSError(28, "No space left on device")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", replace)
    with pytest.raises(BackupError, match="as before") as caught:
        restore_backup(path, kiosk.data)
    assert caught.value.reason == "state"
    monkeypatch.undo()
    assert _leftovers(kiosk.data) == []
    store = _open(kiosk.data)
    assert _has_later_work(store)
    store.close()

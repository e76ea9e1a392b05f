"""The restore journal: a restore swaps the data directory's contents all or nothing.

A restore first builds everything it will install in a staging folder
``<data_dir>/.restore-<stamp>/`` (``store.db``, ``index/``, ``keys/``), checked
and complete. Then :func:`swap_in`:

1. writes ``<data_dir>/restore-journal.json`` (state ``swapping``) naming the
   staging folder, the folder that will keep the replaced files
   (``pre-restore-<stamp>/``) and which of ``kiosk.db``, ``kiosk.db-wal``,
   ``kiosk.db-shm``, ``index`` and ``keys`` exist now;
2. moves those into ``pre-restore-<stamp>/`` (same names, so the folder is a
   complete data directory of its own: its store opens with its keys, WAL
   included);
3. moves the staged ``store.db`` (as ``kiosk.db``), ``index/`` and ``keys/`` in;
4. rewrites the journal with state ``committed``;
5. deletes the staging folder and the journal.

Every step is a rename inside one file system. :func:`finish_interrupted_restore`
(called on start-up and before every restore) looks at the journal: before
step 4 it puts every moved file back and removes what was installed (the kiosk
is as before the restore); after step 4 it only cleans up. Without a journal it
deletes stale staging folders.
"""

from __future__ import annotations

import enum
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from models.backup_format import BackupError

log = logging.getLogger(__name__)

JOURNAL = "restore-journal.json"
STAGING_PREFIX = ".restore-"
KEPT_PREFIX = "pre-restore-"
REPLACED = ("kiosk.db", "kiosk.db-wal", "kiosk.db-shm", "index", "keys")
# staged name -> installed name
INSTALLED = {"store.db": "kiosk.db", "index": "index", "keys": "keys"}
CRASH_POINTS = ("journal_written", "old_moved", "store_installed", "new_installed", "committed")


class RestoreRecovery(enum.Enum):
    NOTHING = "nothing"  # no interrupted restore
    UNDONE = "undone"  # an interrupted restore was rolled back: the data is as before it
    FINISHED = "finished"  # an interrupted restore had committed: only clean-up was left


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_journal(data_dir: Path, doc: dict[str, Any]) -> None:
    path, tmp = data_dir / JOURNAL, data_dir / (JOURNAL + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, json.dumps(doc, sort_keys=True).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.replace(path)
    _fsync_dir(data_dir)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _crash(step: str, crash_after: str | None) -> None:
    if crash_after == step:
        raise BackupError(f"simulated crash after step {step}", reason="state")


def swap_in(
    data_dir: Path, staging: Path, stamp: str, *, _crash_after: str | None = None
) -> Path | None:
    """Install the staged restore into ``data_dir``; returns the folder keeping the old files.

    Returns None when there was nothing to keep (a restore into an empty data directory).

    ``_crash_after`` is for tests: it raises after the named step of
    :data:`CRASH_POINTS` to simulate a crash there.
    """
    kept = data_dir / f"{KEPT_PREFIX}{stamp}"
    present = [name for name in REPLACED if (data_dir / name).exists()]
    doc = {
        "format": 1,
        "state": "swapping",
        "staging": staging.name,
        "kept": kept.name,
        "present": present,
    }
    _write_journal(data_dir, doc)
    _crash("journal_written", _crash_after)
    try:
        if present:
            kept.mkdir(mode=0o700)
        for name in present:
            (data_dir / name).replace(kept / name)
        if present:
            _fsync_dir(kept)
        _fsync_dir(data_dir)
        _crash("old_moved", _crash_after)
        (staging / "store.db").replace(data_dir / "kiosk.db")
        _crash("store_installed", _crash_after)
        for staged, installed in INSTALLED.items():
            if staged != "store.db" and (staging / staged).exists():
                (staging / staged).replace(data_dir / installed)
        _fsync_dir(data_dir)
        _crash("new_installed", _crash_after)
    except OSError as exc:
        undone = _undo(data_dir, doc)
        raise BackupError(
            f"restore failed while swapping files ({exc}); "
            + ("the data directory is as before" if undone else "it is undone on the next start"),
            reason="state",
        ) from exc
    _write_journal(data_dir, {**doc, "state": "committed"})
    _crash("committed", _crash_after)
    _cleanup(data_dir, doc)
    return kept if present else None


def _undo(data_dir: Path, doc: dict[str, Any]) -> bool:
    """Put back what a swap moved away and remove what it installed. Returns success."""
    kept = data_dir / str(doc["kept"])
    present = set(doc["present"])
    try:
        for name in REPLACED:
            current = data_dir / name
            if name in present:
                if (kept / name).exists():  # moved away: anything here now is the new one
                    if current.exists():
                        _remove(current)
                    (kept / name).replace(current)
            elif current.exists():
                _remove(current)  # did not exist before: installed by the swap
        _fsync_dir(data_dir)
        if kept.exists():
            kept.rmdir()  # empty now; refuses (and keeps the journal) if it is not
        _cleanup(data_dir, doc)
    except OSError:
        log.exception("undoing an interrupted restore failed; it is retried on the next start")
        return False
    return True


def _cleanup(data_dir: Path, doc: dict[str, Any]) -> None:
    staging = data_dir / str(doc["staging"])
    if staging.exists():
        shutil.rmtree(staging)
    (data_dir / JOURNAL).unlink(missing_ok=True)
    _fsync_dir(data_dir)


def _read_journal(path: Path) -> dict[str, Any]:
    try:
        doc: dict[str, Any] = json.loads(path.read_text())
        ok = (
            isinstance(doc, dict)
            and doc.get("state") in ("swapping", "committed")
            and all(isinstance(doc.get(k), str) for k in ("staging", "kept"))
            and str(doc["staging"]).startswith(STAGING_PREFIX)
            and str(doc["kept"]).startswith(KEPT_PREFIX)
            and "/" not in str(doc["staging"]) + str(doc["kept"])
            and isinstance(doc.get("present"), list)
            and set(doc["present"]) <= set(REPLACED)
        )
    except (OSError, ValueError) as exc:
        raise BackupError(f"restore journal {path} unreadable: {exc}", reason="state") from exc
    if not ok:
        raise BackupError(
            f"restore journal {path} damaged: check the data directory by hand", reason="state"
        )
    return doc


def finish_interrupted_restore(data_dir: Path) -> RestoreRecovery:
    """Finish or undo a restore that was interrupted (crash, power cut) in ``data_dir``.

    Call it before the store or the key store is opened: on kiosk start-up and in
    every CLI command that opens them. Cheap when there is nothing to do.
    """
    path = data_dir / JOURNAL
    (data_dir / (JOURNAL + ".tmp")).unlink(missing_ok=True)
    if not path.exists():
        if data_dir.is_dir():
            for stale in data_dir.glob(STAGING_PREFIX + "*"):
                _remove(stale)  # a restore that crashed before its journal: nothing was replaced
        return RestoreRecovery.NOTHING
    doc = _read_journal(path)
    if doc["state"] == "committed":
        _cleanup(data_dir, doc)
        log.warning("an interrupted restore had committed; cleaned up", extra={"state": "finished"})
        return RestoreRecovery.FINISHED
    if not _undo(data_dir, doc):
        raise BackupError(
            f"an interrupted restore in {data_dir} could not be undone; see the log",
            reason="state",
        )
    log.warning("an interrupted restore was undone", extra={"state": "undone"})
    return RestoreRecovery.UNDONE

"""Encrypted, signed online backups of the kiosk: store, data keys and index files.

A backup is one ``.gbk`` file (format 2, :mod:`models.backup_format`): a header,
then a gzip'd tar stream (:mod:`models.backup_archive`) encrypted in AES-256-GCM
chunks under a per-backup key, then the kiosk's Ed25519 signature over the file.

Nothing is written in clear anywhere. The store is copied with SQLite's online
backup API into a private temporary file in the kiosk's own data directory
(next to the live store, whose payloads are sealed the same way) that is unlinked
as soon as the copy is open; the data keys come from memory; every member is
streamed through the encrypting writer into ``<name>.partial`` on the backup
disk, renamed into place once signed. Verifying decrypts and hashes in memory.
Restoring writes only into the data directory and swaps files through a journal
(:mod:`models.backup_journal`), so a crash at any point is undone or finished on
the next start.

The backup's key is the keyring's ``backup`` data key. The header carries it
wrapped by the kiosk key (restore on the same kiosk) and, once a recovery key is
set up, sealed to the recovery public key (restore on a replacement kiosk with
the supervisor's recovery file and passphrase). A backup is only ever read after
its signature has been checked against a kiosk public key the reader already
trusts: the kiosk's own, the one recorded in the recovery file, or one the
operator gives.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import io
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from models.backup_archive import (
    KEYS,
    STORE,
    Limits,
    Source,
    encode_keys,
    member_name_ok,
    write_archive,
)
from models.backup_format import FORMAT, BackupError, SealingWriter, new_header_fields
from models.backup_format import read_header as _read_header
from models.backup_journal import RestoreRecovery, finish_interrupted_restore
from models.backup_read import (
    CONTEXT,
    VerifyReport,
    backup_key_for,
    dek_id,
    restore_backup,
    trust_anchor,
    verify_backup,
)
from models.keys import KeyStore
from models.recovery import seal_to
from models.store import Store

__all__ = [
    "FORMAT",
    "BackupError",
    "BackupInfo",
    "Limits",
    "RestoreRecovery",
    "VerifyReport",
    "backup_key_for",
    "create_backup",
    "finish_interrupted_restore",
    "prune_backups",
    "read_header",
    "restore_backup",
    "trust_anchor",
    "verify_backup",
]

_SCRATCH_PREFIX = ".backup-"
_LOCK = ".backup.lock"


@dataclass(frozen=True, slots=True)
class BackupInfo:
    path: Path
    bytes: int
    files: dict[str, int]  # name -> size in the archive
    created_at: datetime
    seconds: float
    kiosk_id: str
    schema_version: int


def read_header(path: Path) -> dict[str, Any]:
    """The header of a backup file (not yet authenticated: for display only)."""
    with path.open("rb") as fh:
        return _read_header(fh).fields


@contextlib.contextmanager
def _exclusive(data_dir: Path) -> Iterator[None]:
    """One backup at a time per data directory (flock), so clean-up never hits a running one."""
    fd = os.open(data_dir / _LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _remove_stale(out_dir: Path, data_dir: Path, kiosk_id: str) -> None:
    """Leftovers of a backup that crashed: partial files, scratch copies, format-1 staging."""
    for stale in out_dir.glob(".staging-*"):  # format 1 kept the data keys in clear here
        shutil.rmtree(stale, ignore_errors=True)
    for stale in out_dir.glob(f"gerbang-backup-{kiosk_id}-*.partial"):
        stale.unlink(missing_ok=True)
    for stale in data_dir.glob(_SCRATCH_PREFIX + "*"):
        if stale.is_file():
            stale.unlink(missing_ok=True)


@contextlib.contextmanager
def _store_snapshot(store: Store, data_dir: Path) -> Iterator[tuple[BinaryIO, int]]:
    """An online copy of the store, in a private file of the data directory, open and unlinked."""
    scratch = data_dir / f"{_SCRATCH_PREFIX}{secrets.token_hex(8)}.db"
    os.close(os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        store.database.backup_to(scratch)
        fh = scratch.open("rb")
    finally:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{scratch}{suffix}").unlink(missing_ok=True)
    with fh:
        yield fh, os.fstat(fh.fileno()).st_size


def _index_sources(index_dir: Path, stack: contextlib.ExitStack) -> list[Source]:
    sources = []
    if index_dir.is_dir():
        for path in sorted(index_dir.rglob("*")):
            if path.is_symlink() or not path.is_file() or path.name.endswith(".tmp"):
                continue
            name = f"index/{path.relative_to(index_dir).as_posix()}"
            if not member_name_ok(name):
                raise BackupError(f"index file name {name!r} cannot be backed up", reason="limits")
            fh = stack.enter_context(path.open("rb"))
            sources.append(Source(name, os.fstat(fh.fileno()).st_size, fh))
    return sources


def create_backup(
    store: Store,
    keys: KeyStore,
    data_dir: Path,
    out_dir: Path,
    *,
    kiosk_id: str,
    now: datetime | None = None,
) -> BackupInfo:
    """Back up the open ``store`` (it stays usable), the data keys and ``data_dir/index``."""
    started = time.perf_counter()
    created = now or datetime.now(UTC)
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    final = out_dir / f"gerbang-backup-{kiosk_id}-{created.strftime('%Y%m%dT%H%M%SZ')}.gbk"
    partial = final.with_suffix(".partial")
    with _exclusive(data_dir), contextlib.ExitStack() as stack:
        _remove_stale(out_dir, data_dir, kiosk_id)
        backup_key = keys.load_or_create("backup")
        signer = keys.signing_key()
        keys_raw = encode_keys(keys.export_data_keys())
        db, db_size = stack.enter_context(_store_snapshot(store, data_dir))
        sources = [Source(STORE, db_size, db), Source(KEYS, len(keys_raw), io.BytesIO(keys_raw))]
        sources += _index_sources(data_dir / "index", stack)
        recovery = keys.recovery_public_key()
        fields: dict[str, Any] = {
            **new_header_fields(),
            "created_at": created.isoformat(),
            "kiosk_id": kiosk_id,
            "schema_version": store.schema_version,
            "content_bytes": sum(s.size for s in sources),
            "members": len(sources) + 1,
            "dek_id": dek_id(backup_key),
            "kek": keys.seal_with_kiosk_key(backup_key, context=CONTEXT),
            "recovery": None
            if recovery is None
            else seal_to(recovery, backup_key, context=CONTEXT),
        }
        manifest = {
            "format": FORMAT,
            "kiosk_id": kiosk_id,
            "created_at": created.isoformat(),
            "schema_version": store.schema_version,
        }
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as sink:
                writer = SealingWriter(sink, fields, backup_key, signer)
                files = write_archive(writer, sources, manifest, mtime=int(created.timestamp()))
                writer.finish()
                sink.flush()
                os.fsync(sink.fileno())
            partial.replace(final)
            _fsync_dir(out_dir)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            reason = "space" if exc.errno == errno.ENOSPC else "state"
            raise BackupError(
                f"cannot write the backup to {out_dir}: {exc}", reason=reason
            ) from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return BackupInfo(
        path=final,
        bytes=final.stat().st_size,
        files={name: meta["bytes"] for name, meta in files.items()},
        created_at=created,
        seconds=time.perf_counter() - started,
        kiosk_id=kiosk_id,
        schema_version=store.schema_version,
    )


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def prune_backups(out_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups; returns what was deleted."""
    backups = sorted(out_dir.glob("gerbang-backup-*.gbk"))
    doomed = backups[:-keep] if keep > 0 else backups
    for path in doomed:
        path.unlink()
    return doomed

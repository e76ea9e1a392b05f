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
import hashlib
import io
import os
import secrets
import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from models.backup_archive import (
    KEYS,
    STORE,
    HashingStream,
    Limits,
    Source,
    encode_keys,
    member_name_ok,
    read_archive,
    write_archive,
)
from models.backup_format import (
    FORMAT,
    BackupError,
    OpeningReader,
    SealingWriter,
    authenticate,
    new_header_fields,
)
from models.backup_format import read_header as _read_header
from models.backup_journal import (
    STAGING_PREFIX,
    RestoreRecovery,
    finish_interrupted_restore,
    swap_in,
)
from models.errors import KeyStoreError, StoreError
from models.keys import KeyStore, public_key_id
from models.recovery import RecoveryKey, open_sealed, public_bytes, seal_to
from models.store import Store
from models.store.database import check_database_file
from models.store.migrations import SCHEMA_VERSION

__all__ = [
    "FORMAT",
    "BackupError",
    "BackupInfo",
    "Limits",
    "RestoreRecovery",
    "VerifyReport",
    "create_backup",
    "finish_interrupted_restore",
    "prune_backups",
    "read_header",
    "restore_backup",
    "verify_backup",
]

_CONTEXT = "gerbang-backup-key"
_SCRATCH_PREFIX = ".backup-"
_LOCK = ".backup.lock"
_BLOCK = 1 << 20
_SQLITE_MAGIC = b"SQLite format 3\x00"
DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class BackupInfo:
    path: Path
    bytes: int
    files: dict[str, int]  # name -> size in the archive
    created_at: datetime
    seconds: float
    kiosk_id: str
    schema_version: int


@dataclass(frozen=True, slots=True)
class VerifyReport:
    path: Path
    kiosk_id: str
    created_at: str
    schema_version: int
    files: dict[str, int]
    seconds: float
    signer: str  # public key id of the kiosk that signed the backup
    integrity_checked: bool  # SQLite's integrity check ran on the backed-up store
    kept: Path | None = None  # restore: the folder holding the replaced files


def _dek_id(key: bytes) -> str:
    return hashlib.sha256(b"gerbang-dek-id:" + key).hexdigest()[:16]


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
            "dek_id": _dek_id(backup_key),
            "kek": keys.seal_with_kiosk_key(backup_key, context=_CONTEXT),
            "recovery": None
            if recovery is None
            else seal_to(recovery, backup_key, context=_CONTEXT),
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


# ---------------------------------------------------------------------------- keys to read with
def trust_anchor(
    keys: KeyStore | None,
    recovery: RecoveryKey | None,
    kiosk_public_key: Ed25519PublicKey | None,
) -> Ed25519PublicKey:
    """The kiosk public key a backup's signature must verify with.

    The one the operator gives, else the one in the recovery file, else this kiosk's own.
    """
    if kiosk_public_key is not None:
        if recovery is not None and public_bytes(recovery.kiosk_public_key) != public_bytes(
            kiosk_public_key
        ):
            raise BackupError(
                "the kiosk public key given differs from the one in the recovery key file",
                reason="signature",
            )
        return kiosk_public_key
    if recovery is not None:
        return recovery.kiosk_public_key
    if keys is not None:
        try:
            own = keys.signing_public_key()
        except KeyStoreError as exc:
            raise BackupError(
                f"this kiosk's keys cannot be opened ({exc.message}); restore with the "
                "recovery key file (--recovery)",
                reason="key",
            ) from exc
        if own is not None:
            return own
    raise BackupError(
        "no kiosk public key to check the backup's signature with: give the recovery key file "
        "(--recovery) or the kiosk's public key (--kiosk-public-key)",
        reason="signature",
    )


def backup_key_for(
    header: dict[str, Any], keys: KeyStore | None, recovery: RecoveryKey | None
) -> bytes:
    """The backup's key: from the recovery key, the current keyring, or the kiosk key."""
    if recovery is not None:
        box = header.get("recovery")
        if not box:
            raise BackupError("this backup was made before a recovery key was set up", reason="key")
        try:
            key = open_sealed(recovery.private, box, context=_CONTEXT)
        except KeyStoreError as exc:
            raise BackupError(
                f"the recovery key does not open this backup: {exc.message}", reason="key"
            ) from exc
    elif keys is not None:
        try:
            current = keys.export_data_keys().get("backup")
            if current is not None and _dek_id(current) == header.get("dek_id"):
                key = current
            else:
                key = keys.open_with_kiosk_key(dict(header.get("kek") or {}), context=_CONTEXT)
        except KeyStoreError as exc:
            raise BackupError(
                f"this kiosk cannot open the backup ({exc.message}); if it was made by another "
                "kiosk or before its keys were lost, restore it with the recovery key file (--recovery)",
                reason="key",
            ) from exc
    else:
        raise BackupError("no key to open the backup with", reason="key")
    if _dek_id(key) != header.get("dek_id"):
        raise BackupError("backup key does not match the backup", reason="key")
    return key


# ---------------------------------------------------------------------------- verify
class _VerifyConsumer:
    """Hashes members in memory; keeps the store (up to a limit) for SQLite's integrity check."""

    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self.head = b""
        self.store: bytearray | None = None

    def __call__(self, name: str, size: int, stream: HashingStream) -> None:
        if name != STORE:
            return  # the caller drains (and hashes) it
        if size <= self._limits.max_verify_in_memory:
            self.store = bytearray(size)
            view, done = memoryview(self.store), 0
            while done < size and (got := stream.readinto(view[done : done + _BLOCK])):
                done += got
            self.head = bytes(self.store[:100])
        else:
            self.head = stream.read(100)


def _schema_of_head(head: bytes) -> int:
    if len(head) < 100 or not head.startswith(_SQLITE_MAGIC):
        raise BackupError("the backed-up store is not an SQLite database", reason="store")
    return int.from_bytes(head[60:64], "big")


def _check_in_memory(image: bytearray) -> int:
    """SQLite's integrity check on a database image; returns its schema version."""
    image[18] = image[19] = 1  # rollback journal: an in-memory database cannot be in WAL mode
    conn = sqlite3.connect(":memory:")
    try:
        conn.deserialize(image)
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise BackupError(
                f"the backed-up store fails SQLite's integrity check: {result}", reason="store"
            )
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error as exc:
        raise BackupError(
            f"the backed-up store is not a usable database: {exc}", reason="store"
        ) from exc
    finally:
        conn.close()


def _check_schema(version: Any) -> int:
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise BackupError(
            f"backup store has schema {version}; this Gerbang knows up to {SCHEMA_VERSION}",
            reason="store",
        )
    return version


def verify_backup(
    path: Path,
    *,
    keys: KeyStore | None = None,
    recovery: RecoveryKey | None = None,
    kiosk_public_key: Ed25519PublicKey | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> VerifyReport:
    """Authenticate, decrypt and check a backup completely, in memory; restore nothing."""
    started = time.perf_counter()
    anchor = trust_anchor(keys, recovery, kiosk_public_key)
    consumer = _VerifyConsumer(limits)
    with path.open("rb") as fh:
        header = authenticate(fh, anchor)
        _check_schema(header.fields.get("schema_version"))
        key = backup_key_for(header.fields, keys, recovery)
        fh.seek(len(header.preamble))
        reader = OpeningReader(fh, header, key, anchor)
        contents = read_archive(reader, header.fields, limits, consumer)
        reader.finish()
    version = _schema_of_head(consumer.head)
    if consumer.store is not None:
        version = _check_in_memory(consumer.store)
    _check_contents(contents.manifest, contents.data_keys, version, anchor)
    return _report(
        path, contents.manifest, contents.files, started, anchor, consumer.store is not None
    )


def _check_contents(
    manifest: dict[str, Any], data_keys: dict[str, bytes], version: int, anchor: Ed25519PublicKey
) -> None:
    if manifest.get("schema_version") != version:
        raise BackupError("the backed-up store's schema differs from the manifest", reason="store")
    _check_schema(version)
    signing = data_keys.get("signing")
    if signing is None or public_bytes(
        Ed25519PrivateKey.from_private_bytes(signing).public_key()
    ) != public_bytes(anchor):
        raise BackupError(
            "the backup's signing key is not the key that signed it", reason="signature"
        )


def _report(
    path: Path,
    manifest: dict[str, Any],
    files: dict[str, int],
    started: float,
    anchor: Ed25519PublicKey,
    integrity_checked: bool,
    kept: Path | None = None,
) -> VerifyReport:
    return VerifyReport(
        path,
        str(manifest.get("kiosk_id")),
        str(manifest.get("created_at")),
        int(manifest["schema_version"]),
        files,
        time.perf_counter() - started,
        public_key_id(anchor),
        integrity_checked,
        kept,
    )


# ---------------------------------------------------------------------------- restore
class _StagingConsumer:
    """Writes the store and index files into the staging folder (inside the data directory)."""

    def __init__(self, staging: Path) -> None:
        self._staging = staging

    def __call__(self, name: str, size: int, stream: HashingStream) -> None:
        target = self._staging / name
        try:
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                while block := stream.read(_BLOCK):
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            reason = "space" if exc.errno == errno.ENOSPC else "state"
            raise BackupError(f"cannot write {target}: {exc.strerror}", reason=reason) from exc


def _stage_keys(
    target: Path,
    data_keys: dict[str, bytes],
    current: KeyStore | None,
    recovery: RecoveryKey | None,
) -> None:
    """The key store to install: the restored data keys under this kiosk's key or a new one."""
    staged = KeyStore(target)
    if current is not None:
        current.copy_kiosk_key_to(staged)  # same kiosk: keep its kiosk key
    staged.import_data_keys(data_keys)  # recovery: a fresh kiosk key is made here
    recovery_public: X25519PublicKey | None
    if recovery is not None:
        recovery_public = recovery.private.public_key()
    else:
        recovery_public = None if current is None else current.recovery_public_key()
    if recovery_public is not None:
        staged.set_recovery_public_key(recovery_public)


def _check_space(data_dir: Path, header: dict[str, Any], limits: Limits) -> None:
    needed = int(header.get("content_bytes") or 0) + limits.free_space_reserve
    free = shutil.disk_usage(data_dir).free
    if free < needed:
        raise BackupError(
            f"not enough free space in {data_dir}: the restore needs {needed} bytes, {free} are free",
            reason="space",
        )


def restore_backup(
    path: Path,
    data_dir: Path,
    *,
    recovery: RecoveryKey | None = None,
    kiosk_public_key: Ed25519PublicKey | None = None,
    limits: Limits = DEFAULT_LIMITS,
    _crash_after: str | None = None,
) -> VerifyReport:
    """Restore store, data keys and index into ``data_dir`` (the kiosk must be stopped).

    Everything is authenticated, decrypted and checked in a staging folder inside
    ``data_dir`` before anything is replaced; the replaced files are kept, as a
    complete data directory (store, WAL, index and the keys that open them), in
    ``data_dir/pre-restore-<time>/``. With ``recovery`` the restored data keys get
    a new kiosk key, so this works when the kiosk key is lost. ``_crash_after`` is
    for tests (``"staged"`` or a step of :data:`models.backup_journal.CRASH_POINTS`).
    """
    started = time.perf_counter()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    finish_interrupted_restore(data_dir)
    current = None if recovery is not None else KeyStore(data_dir / "keys")
    anchor = trust_anchor(current, recovery, kiosk_public_key)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    staging = data_dir / f"{STAGING_PREFIX}{stamp}"
    with path.open("rb") as fh:
        header = authenticate(fh, anchor)
        _check_schema(header.fields.get("schema_version"))
        key = backup_key_for(header.fields, current, recovery)
        _check_space(data_dir, header.fields, limits)
        staging.mkdir(mode=0o700)
        try:
            fh.seek(len(header.preamble))
            reader = OpeningReader(fh, header, key, anchor)
            contents = read_archive(reader, header.fields, limits, _StagingConsumer(staging))
            reader.finish()
            try:
                version = check_database_file(staging / STORE)
            except StoreError as exc:
                raise BackupError(
                    f"the backed-up store is unusable: {exc.message}", reason="store"
                ) from exc
            _check_contents(contents.manifest, contents.data_keys, version, anchor)
            _stage_keys(staging / "keys", contents.data_keys, current, recovery)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    if _crash_after == "staged":
        raise BackupError("simulated crash after step staged", reason="state")
    kept = swap_in(data_dir, staging, stamp, _crash_after=_crash_after)
    return _report(path, contents.manifest, contents.files, started, anchor, True, kept)


def prune_backups(out_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups; returns what was deleted."""
    backups = sorted(out_dir.glob("gerbang-backup-*.gbk"))
    doomed = backups[:-keep] if keep > 0 else backups
    for path in doomed:
        path.unlink()
    return doomed

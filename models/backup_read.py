"""Reading backups: whose signature to trust, which key opens them, verify and restore.

Both read a backup twice: :func:`models.backup_format.authenticate` checks the
signature over the whole file before anything is decrypted, then the file is
decrypted, decompressed and unpacked as a stream (:mod:`models.backup_archive`)
with the signature checked again over the bytes of that second pass. ``verify``
keeps everything in memory; ``restore`` writes only into the data directory and
swaps files through the journal of :mod:`models.backup_journal`.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from models.backup_archive import STORE, HashingStream, Limits, read_archive
from models.backup_format import BackupError, OpeningReader, authenticate
from models.backup_journal import STAGING_PREFIX, finish_interrupted_restore, swap_in
from models.errors import KeyStoreError, StoreError
from models.keys import KeyStore, public_key_id
from models.recovery import RecoveryKey, open_sealed, public_bytes
from models.store.database import check_database_file
from models.store.migrations import SCHEMA_VERSION

CONTEXT = "gerbang-backup-key"  # binds the wrapped and sealed backup key to its use
_BLOCK = 1 << 20
_SQLITE_MAGIC = b"SQLite format 3\x00"
DEFAULT_LIMITS = Limits()


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


def dek_id(key: bytes) -> str:
    return hashlib.sha256(b"gerbang-dek-id:" + key).hexdigest()[:16]


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
            key = open_sealed(recovery.private, box, context=CONTEXT)
        except KeyStoreError as exc:
            raise BackupError(
                f"the recovery key does not open this backup: {exc.message}", reason="key"
            ) from exc
    elif keys is not None:
        try:
            current = keys.export_data_keys().get("backup")
            if current is not None and dek_id(current) == header.get("dek_id"):
                key = current
            else:
                key = keys.open_with_kiosk_key(dict(header.get("kek") or {}), context=CONTEXT)
        except KeyStoreError as exc:
            raise BackupError(
                f"this kiosk cannot open the backup ({exc.message}); if it was made by another "
                "kiosk or before its keys were lost, restore it with the recovery key file (--recovery)",
                reason="key",
            ) from exc
    else:
        raise BackupError("no key to open the backup with", reason="key")
    if dek_id(key) != header.get("dek_id"):
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

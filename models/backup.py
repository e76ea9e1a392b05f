"""Encrypted online backups of the kiosk: store, data keys and index files.

A backup is one file::

    b"GBK1" | header length (4 bytes) | header (JSON) | chunk*

Each chunk is ``length (4 bytes) | AES-256-GCM ciphertext`` of up to 1 MiB of a
gzip-compressed tar stream, with nonce = the header's random prefix || chunk
counter and associated data = SHA-256(header) || counter || last-chunk flag, so
chunks cannot be dropped, reordered, swapped between backups or truncated.

The tar holds ``manifest.json`` (files with sizes and SHA-256), ``store.db`` (a
consistent copy made with SQLite's online backup API while the kiosk keeps
running), ``keys.json`` (the data keys; protected by the backup's encryption)
and ``index/`` (the FAISS files, themselves encrypted).

The backup's own key is the keyring's ``backup`` data key. The header carries it
twice: wrapped by the kiosk key (restore on the same kiosk) and, when a
recovery key is set up, sealed to the recovery public key (restore on a
replacement kiosk with the supervisor's recovery file and passphrase).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import struct
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from models.errors import KeyStoreError, StoreError
from models.keys import KeyStore
from models.recovery import open_sealed, seal_to
from models.store import Store
from models.store.database import check_database_file
from models.store.migrations import SCHEMA_VERSION

MAGIC = b"GBK1"
FORMAT = 1
CHUNK = 1 << 20
MAX_HEADER = 64 * 1024
_CONTEXT = "gerbang-backup-key"


class BackupError(StoreError):
    """A backup cannot be made, read, authenticated or restored."""

    code = "store.backup"


@dataclass(frozen=True, slots=True)
class BackupInfo:
    path: Path
    bytes: int
    files: dict[str, int]  # name -> size in the archive
    created_at: datetime
    seconds: float
    kiosk_id: str
    schema_version: int


def _dek_id(key: bytes) -> str:
    return hashlib.sha256(b"gerbang-dek-id:" + key).hexdigest()[:16]


def _aad(header_digest: bytes, counter: int, last: bool) -> bytes:
    return header_digest + counter.to_bytes(8, "big") + (b"\x01" if last else b"\x00")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------------- create
def create_backup(
    store: Store,
    keys: KeyStore,
    data_dir: Path,
    out_dir: Path,
    *,
    kiosk_id: str,
    now: datetime | None = None,
) -> BackupInfo:
    started = time.perf_counter()
    created = now or datetime.now(UTC)
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    backup_key = keys.load_or_create("backup")
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".staging-") as staging_name:
        staging = Path(staging_name)
        store.database.backup_to(staging / "store.db")
        data_keys = keys.export_data_keys()
        (staging / "keys.json").write_text(
            json.dumps({n: base64.b64encode(k).decode() for n, k in sorted(data_keys.items())})
        )
        members: list[tuple[str, Path]] = [
            ("store.db", staging / "store.db"),
            ("keys.json", staging / "keys.json"),
        ]
        index_dir = data_dir / "index"
        if index_dir.is_dir():
            for path in sorted(index_dir.rglob("*")):
                if path.is_file() and not path.name.endswith(".tmp"):
                    members.append((f"index/{path.relative_to(index_dir).as_posix()}", path))
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "kiosk_id": kiosk_id,
            "created_at": created.isoformat(),
            "schema_version": store.schema_version,
            "files": {
                name: {"bytes": p.stat().st_size, "sha256": _sha256_file(p)} for name, p in members
            },
        }
        archive = staging / "archive.tar.gz"
        with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
            raw = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime = len(raw), int(created.timestamp())
            tar.addfile(info, io.BytesIO(raw))
            for name, path in members:
                tar.add(path, arcname=name, recursive=False)
        header: dict[str, Any] = {
            "format": FORMAT,
            "created_at": created.isoformat(),
            "kiosk_id": kiosk_id,
            "dek_id": _dek_id(backup_key),
            "nonce_prefix": base64.b64encode(os.urandom(4)).decode(),
            "kek": keys.seal_with_kiosk_key(backup_key, context=_CONTEXT),
            "recovery": None,
        }
        recovery = keys.recovery_public_key()
        if recovery is not None:
            header["recovery"] = seal_to(recovery, backup_key, context=_CONTEXT)
        stamp = created.strftime("%Y%m%dT%H%M%SZ")
        final = out_dir / f"gerbang-backup-{kiosk_id}-{stamp}.gbk"
        partial = final.with_suffix(".partial")
        with archive.open("rb") as source, partial.open("wb") as sink:
            _encrypt_stream(source, sink, header, backup_key)
            sink.flush()
            os.fsync(sink.fileno())
        partial.replace(final)
    return BackupInfo(
        path=final,
        bytes=final.stat().st_size,
        files={name: meta["bytes"] for name, meta in manifest["files"].items()},
        created_at=created,
        seconds=time.perf_counter() - started,
        kiosk_id=kiosk_id,
        schema_version=store.schema_version,
    )


def _encrypt_stream(source: BinaryIO, sink: BinaryIO, header: dict[str, Any], key: bytes) -> None:
    header_raw = json.dumps(header, sort_keys=True).encode()
    sink.write(MAGIC + struct.pack(">I", len(header_raw)) + header_raw)
    digest = hashlib.sha256(header_raw).digest()
    prefix = base64.b64decode(header["nonce_prefix"])
    aead = AESGCM(key)
    counter = 0
    block = source.read(CHUNK)
    while True:
        following = source.read(CHUNK)
        last = not following
        nonce = prefix + counter.to_bytes(8, "big")
        sealed = aead.encrypt(nonce, block, _aad(digest, counter, last))
        sink.write(struct.pack(">I", len(sealed)) + sealed)
        if last:
            return
        block, counter = following, counter + 1


# ---------------------------------------------------------------------------- read
def read_header(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        header, _ = _read_header(fh)
    return header


def _read_header(fh: BinaryIO) -> tuple[dict[str, Any], bytes]:
    start = fh.read(8)
    if len(start) < 8 or start[:4] != MAGIC:
        raise BackupError("not a Gerbang backup file")
    (length,) = struct.unpack(">I", start[4:])
    if length > MAX_HEADER:
        raise BackupError("backup header too large")
    raw = fh.read(length)
    if len(raw) != length:
        raise BackupError("backup file truncated in its header")
    try:
        header: dict[str, Any] = json.loads(raw)
    except ValueError as exc:
        raise BackupError("backup header damaged") from exc
    if header.get("format") != FORMAT:
        raise BackupError(f"backup format {header.get('format')!r} is not supported")
    return header, raw


def backup_key_for(
    header: dict[str, Any], keys: KeyStore | None, recovery: X25519PrivateKey | None
) -> bytes:
    """The backup's key: from the recovery key, the current keyring, or the kiosk key."""
    if recovery is not None:
        box = header.get("recovery")
        if not box:
            raise BackupError("this backup was made before a recovery key was set up")
        key = open_sealed(recovery, box, context=_CONTEXT)
    elif keys is not None:
        try:
            current = keys.export_data_keys().get("backup")
        except KeyStoreError as exc:
            raise BackupError(f"this kiosk's keys cannot be opened: {exc.message}") from exc
        if current is not None and _dek_id(current) == header.get("dek_id"):
            key = current
        else:
            try:
                key = keys.open_with_kiosk_key(dict(header.get("kek") or {}), context=_CONTEXT)
            except KeyStoreError as exc:
                raise BackupError(
                    f"this kiosk cannot open the backup ({exc.message}); if it was made by another "
                    "kiosk or before its keys were lost, restore it with the recovery key file (--recovery)"
                ) from exc
    else:
        raise BackupError("no key to open the backup with")
    if _dek_id(key) != header.get("dek_id"):
        raise BackupError("backup key does not match the backup")
    return key


def _decrypt_chunks(
    fh: BinaryIO, header_raw: bytes, header: dict[str, Any], key: bytes
) -> Iterator[bytes]:
    digest = hashlib.sha256(header_raw).digest()
    prefix = base64.b64decode(header["nonce_prefix"])
    aead = AESGCM(key)
    counter = 0
    while True:
        size_raw = fh.read(4)
        if len(size_raw) < 4:
            raise BackupError("backup file truncated: its last chunk is missing")
        (size,) = struct.unpack(">I", size_raw)
        if size > CHUNK + 16:
            raise BackupError("backup chunk too large: the file is damaged")
        sealed = fh.read(size)
        if len(sealed) != size:
            raise BackupError("backup file truncated inside a chunk")
        nonce = prefix + counter.to_bytes(8, "big")
        for last in (False, True):
            try:
                plain = aead.decrypt(nonce, sealed, _aad(digest, counter, last))
            except InvalidTag:
                continue
            yield plain
            if last:
                if fh.read(1):
                    raise BackupError("data after the last chunk: the file was altered")
                return
            break
        else:
            raise BackupError(
                f"backup chunk {counter} does not authenticate (wrong key, or altered)"
            )
        counter += 1


def _extract(path: Path, key: bytes, target: Path) -> dict[str, Any]:
    """Decrypt, decompress and unpack into ``target``; check the manifest. Returns the manifest."""
    archive = target / "archive.tar.gz"
    with path.open("rb") as fh, archive.open("wb") as out:
        header, header_raw = _read_header(fh)
        for chunk in _decrypt_chunks(fh, header_raw, header, key):
            out.write(chunk)
    files = target / "files"
    files.mkdir()
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(files, filter="data")
    except (tarfile.TarError, gzip.BadGzipFile, OSError, EOFError) as exc:
        raise BackupError(f"backup archive damaged: {exc}") from exc
    try:
        manifest: dict[str, Any] = json.loads((files / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise BackupError("backup manifest missing or damaged") from exc
    for name, meta in manifest["files"].items():
        member = files / name
        if not member.is_file() or _sha256_file(member) != meta["sha256"]:
            raise BackupError(f"backup member {name} does not match the manifest")
    version = check_database_file(files / "store.db")
    if version > SCHEMA_VERSION:
        raise BackupError(
            f"backup store has schema {version}; this Gerbang knows up to {SCHEMA_VERSION}"
        )
    return manifest


@dataclass(frozen=True, slots=True)
class VerifyReport:
    path: Path
    kiosk_id: str
    created_at: str
    schema_version: int
    files: dict[str, int]
    seconds: float


def verify_backup(
    path: Path, *, keys: KeyStore | None = None, recovery: X25519PrivateKey | None = None
) -> VerifyReport:
    """Authenticate every chunk, check the manifest and the store's integrity; restore nothing."""
    started = time.perf_counter()
    header = read_header(path)
    key = backup_key_for(header, keys, recovery)
    with tempfile.TemporaryDirectory(prefix="gerbang-verify-") as tmp:
        manifest = _extract(path, key, Path(tmp))
    return VerifyReport(
        path,
        manifest["kiosk_id"],
        manifest["created_at"],
        int(manifest["schema_version"]),
        {n: m["bytes"] for n, m in manifest["files"].items()},
        time.perf_counter() - started,
    )


def restore_backup(
    path: Path, data_dir: Path, *, recovery: X25519PrivateKey | None = None
) -> VerifyReport:
    """Restore store, data keys and index into ``data_dir`` (the kiosk must be stopped).

    Everything is decrypted and checked before anything is replaced; what is
    replaced is kept as ``*.pre-restore-<time>`` next to it.
    """
    started = time.perf_counter()
    keys = KeyStore(data_dir / "keys")
    header = read_header(path)
    key = backup_key_for(header, None if recovery else keys, recovery)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=data_dir, prefix=".restore-") as tmp:
        manifest = _extract(path, key, Path(tmp))
        files = Path(tmp) / "files"
        data_keys = {
            n: base64.b64decode(k) for n, k in json.loads((files / "keys.json").read_text()).items()
        }
        for name in ("kiosk.db", "kiosk.db-wal", "kiosk.db-shm", "index"):
            current = data_dir / name
            if current.exists():
                current.replace(data_dir / f"{name}.pre-restore-{stamp}")
        (files / "store.db").replace(data_dir / "kiosk.db")
        if (files / "index").is_dir():
            shutil.move(str(files / "index"), data_dir / "index")
        keys.import_data_keys(data_keys)
    return VerifyReport(
        path,
        manifest["kiosk_id"],
        manifest["created_at"],
        int(manifest["schema_version"]),
        {n: m["bytes"] for n, m in manifest["files"].items()},
        time.perf_counter() - started,
    )


def prune_backups(out_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups; returns what was deleted."""
    backups = sorted(out_dir.glob("gerbang-backup-*.gbk"))
    doomed = backups[:-keep] if keep > 0 else backups
    for path in doomed:
        path.unlink()
    return doomed

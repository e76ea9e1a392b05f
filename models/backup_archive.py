"""The archive inside a backup: a gzip'd tar stream, written and read without touching disk.

Members, in this order: ``store.db`` (the SQLite online backup), ``keys.json``
(the data keys, base64), ``index/...`` (the FAISS files, themselves encrypted)
and, last, ``manifest.json`` (size and SHA-256 of every other member). The
writer streams each member from an open file or from memory; the reader hands
bulk members (``store.db``, ``index/...``) to a consumer as streams and keeps
only ``keys.json`` and ``manifest.json`` (small) in memory.

Reading enforces :class:`Limits` on every archive, even a signed one: regular
files only, only the expected names (no paths outside ``index/``), at most
``max_members`` members, and no more content than the (signed) header declared
or ``max_total_bytes``, checked from each tar header *before* its data is read.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import io
import json
import re
import tarfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, BinaryIO, Protocol, cast

from models.backup_format import BackupError

COMPRESSLEVEL = 1  # the store's payloads are ciphertext: higher levels cost time, gain ~nothing
STORE = "store.db"
KEYS = "keys.json"
MANIFEST = "manifest.json"
_INDEX_NAME = re.compile(r"index(/[A-Za-z0-9_][A-Za-z0-9._-]{0,127}){1,4}")
_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class Limits:
    """What a backup may hold and cost (with COMPRESSLEVEL, the tuning constants of backups).

    The defaults suit a kiosk; tests pass small ones.
    """

    max_members: int = 4096
    max_total_bytes: int = 64 << 30  # uncompressed content of all members
    max_small_member: int = 4 << 20  # keys.json, manifest.json (read into memory)
    max_verify_in_memory: int = 512 << 20  # verify checks store.db in memory up to this size
    free_space_reserve: int = 64 << 20  # a restore leaves at least this much disk free


@dataclass(frozen=True, slots=True)
class Source:
    """One member to write: ``size`` bytes read from ``fh``."""

    name: str
    size: int
    fh: BinaryIO


@dataclass(frozen=True, slots=True)
class Contents:
    manifest: dict[str, Any]
    data_keys: dict[str, bytes]
    files: dict[str, int] = field(default_factory=dict)  # name -> bytes


class Sink(Protocol):
    def write(self, data: bytes) -> int: ...
    def flush(self) -> None: ...


class Readable(Protocol):
    def read(self, n: int = -1) -> bytes: ...


def member_name_ok(name: str) -> bool:
    return name in (STORE, KEYS, MANIFEST) or bool(_INDEX_NAME.fullmatch(name))


class HashingStream:
    """Reads from ``inner``, hashing and counting every byte; consumers read it to the end."""

    def __init__(self, inner: IO[bytes] | BinaryIO, size: int) -> None:
        self._inner = inner
        self._left = size
        self._hash = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        n = self._left if n < 0 else min(n, self._left)
        data = self._inner.read(n)
        self._hash.update(data)
        self._left -= len(data)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def drain(self) -> None:
        while self._left and self.read(_BLOCK):
            pass

    @property
    def complete(self) -> bool:
        return self._left == 0

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


# ---------------------------------------------------------------------------- writing
def encode_keys(keys: dict[str, bytes]) -> bytes:
    return json.dumps({n: base64.b64encode(k).decode() for n, k in sorted(keys.items())}).encode()


def write_archive(
    sink: Sink, sources: Sequence[Source], manifest: dict[str, Any], *, mtime: int
) -> dict[str, dict[str, Any]]:
    """Stream ``sources`` then the manifest (with their sizes and hashes) into ``sink``."""
    files: dict[str, dict[str, Any]] = {}
    with (
        gzip.GzipFile(fileobj=sink, mode="wb", compresslevel=COMPRESSLEVEL, mtime=0) as gz,
        tarfile.open(fileobj=cast(IO[bytes], gz), mode="w|", format=tarfile.PAX_FORMAT) as tar,
    ):
        for source in sources:
            info = tarfile.TarInfo(source.name)
            info.size, info.mtime, info.mode = source.size, mtime, 0o600
            stream = HashingStream(source.fh, source.size)
            tar.addfile(info, cast(IO[bytes], stream))
            files[source.name] = {"bytes": source.size, "sha256": stream.hexdigest()}
        raw = json.dumps({**manifest, "files": files}, indent=1, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime, info.mode = len(raw), mtime, 0o600
        tar.addfile(info, io.BytesIO(raw))
    return files


# ---------------------------------------------------------------------------- reading
Consumer = Callable[[str, int, HashingStream], None]


def _small(stream: HashingStream, size: int, limits: Limits, name: str) -> bytes:
    if size > limits.max_small_member:
        raise BackupError(f"backup member {name} is larger than allowed", reason="limits")
    data = stream.read(size)
    if len(data) != size:
        raise BackupError(f"backup member {name} is truncated")
    return data


def _decode_keys(raw: bytes) -> dict[str, bytes]:
    try:
        doc = json.loads(raw)
        keys = {str(n): base64.b64decode(k, validate=True) for n, k in doc.items()}
    except (ValueError, AttributeError, TypeError, binascii.Error) as exc:
        raise BackupError("backup data keys damaged") from exc
    if any(len(k) != 32 or not n.isidentifier() for n, k in keys.items()):
        raise BackupError("backup data keys damaged")
    return keys


def read_archive(
    source: Readable, header: dict[str, Any], limits: Limits, consume: Consumer
) -> Contents:
    """Read the archive, handing ``store.db`` and ``index/...`` to ``consume``; check the manifest."""
    try:
        declared_bytes, declared_members = int(header["content_bytes"]), int(header["members"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BackupError("backup header lacks its content size", reason="format") from exc
    budget = min(declared_bytes, limits.max_total_bytes)
    most = min(declared_members, limits.max_members)
    seen: dict[str, dict[str, Any]] = {}
    count = 0
    manifest: dict[str, Any] | None = None
    keys_raw: bytes | None = None
    try:
        with tarfile.open(fileobj=cast(IO[bytes], source), mode="r|gz") as tar:
            for info in tar:
                name, count = info.name, count + 1
                if count > most:
                    raise BackupError("backup holds more members than allowed", reason="limits")
                if manifest is not None:
                    raise BackupError(f"backup member {name!r} after the manifest", reason="limits")
                if not info.isreg() or not member_name_ok(name) or name in seen:
                    raise BackupError(f"unexpected backup member {name!r}", reason="limits")
                if name != MANIFEST:
                    budget -= info.size
                    if budget < 0:
                        raise BackupError(
                            "backup content is larger than declared or allowed", reason="limits"
                        )
                inner = tar.extractfile(info)
                if inner is None:  # pragma: no cover - isreg() members always have a stream
                    raise BackupError(f"backup member {name!r} has no data")
                stream = HashingStream(inner, info.size)
                if name == MANIFEST:
                    manifest = _parse_manifest(_small(stream, info.size, limits, name))
                    continue
                if name == KEYS:
                    keys_raw = _small(stream, info.size, limits, name)
                else:
                    consume(name, info.size, stream)
                    stream.drain()
                if not stream.complete:
                    raise BackupError(f"backup member {name} is truncated")
                seen[name] = {"bytes": info.size, "sha256": stream.hexdigest()}
    except (tarfile.TarError, zlib.error, EOFError, gzip.BadGzipFile) as exc:
        raise BackupError(f"backup archive damaged: {exc}") from exc
    if manifest is None or keys_raw is None or STORE not in seen:
        raise BackupError("backup archive incomplete: store, keys or manifest missing")
    if manifest["files"] != seen:
        raise BackupError("backup members do not match the manifest")
    return Contents(manifest, _decode_keys(keys_raw), {n: m["bytes"] for n, m in seen.items()})


def _parse_manifest(raw: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        raise BackupError("backup manifest damaged") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise BackupError("backup manifest damaged")
    return manifest

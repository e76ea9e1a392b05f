"""Encrypted, authenticated, atomically replaced files of named sections.

Layout (all integers big-endian)::

    prefix   "GERBANG-IDX" (11 bytes) | format 1 (u8) | file id (16 random bytes)
             | plaintext length (u64) | chunk size (u32)
    chunks   nonce (12) | ciphertext + GCM tag   — one per chunk of the plaintext
    plaintext  manifest length (u32) | manifest (JSON) | section bytes ...

Each chunk is AES-256-GCM with a random nonce under a key derived from the
index key; its associated data is the prefix, the chunk number and a "last
chunk" flag, so a truncated, reordered, spliced or bit-flipped file and a wrong
key all fail authentication (:class:`IndexIntegrityError`).  The manifest holds
the metadata and each section's offset, length and SHA-256, checked again after
decryption.

Writing goes to a temporary file in the same folder (mode 0600), which is
fsynced, renamed over the target, and the folder fsynced: after a crash the
target is either the old file or the new one, never a mix.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import itertools
import json
import os
import secrets
import struct
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from biometrics.index import params
from biometrics.index.errors import IndexIntegrityError, IndexMissingError

MAGIC = b"GERBANG-IDX"
FORMAT = 1
_PREFIX = struct.Struct(f">{len(MAGIC)}sB16sQI")
_NONCE = 12
_TAG = 16
_BLOCK = 16
_CHUNK_AAD = struct.Struct(">QB")
_U32 = struct.Struct(">I")
TMP_MARK = ".tmp-"

# A test hook: called with a stage name ("written", "synced") between the write
# of the temporary file and its rename.  Raising there simulates a crash.
FaultHook = Callable[[str], None]


def _derive(key: bytes) -> bytes:
    if len(key) != 32:
        raise IndexIntegrityError("index key must be 32 bytes")
    return hmac.new(key, b"gerbang-index-file-v1", hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class SealedFile:
    """A decrypted file: its metadata and its sections (views into one buffer)."""

    metadata: dict[str, Any]
    sections: dict[str, memoryview]
    size: int


def _view(data: bytes | memoryview) -> memoryview:
    view = memoryview(data)
    return view if view.format == "B" and view.ndim == 1 else view.cast("B")


def _pieces(sections: Mapping[str, bytes | memoryview]) -> Iterator[memoryview]:
    for data in sections.values():
        yield _view(data)


def _chunks(pieces: Iterator[memoryview], size: int) -> Iterator[bytes | memoryview]:
    """The concatenated pieces in chunks of ``size`` bytes, without joining them whole."""
    buffer = bytearray()
    for piece in pieces:
        at, end = 0, len(piece)
        while at < end:
            if not buffer and end - at >= size:
                yield piece[at : at + size]
                at += size
                continue
            take = min(size - len(buffer), end - at)
            buffer += piece[at : at + take]
            at += take
            if len(buffer) == size:
                yield bytes(buffer)
                buffer.clear()
    if buffer:
        yield bytes(buffer)


def write(
    path: Path,
    key: bytes,
    metadata: Mapping[str, Any],
    sections: Mapping[str, bytes | memoryview],
    *,
    fault: FaultHook | None = None,
) -> int:
    """Encrypt and atomically write; returns the file size."""
    aead = AESGCM(_derive(key))
    entries = []
    offset = 0
    for name, data in sections.items():
        view = _view(data)
        entries.append(
            {
                "name": name,
                "offset": offset,
                "length": len(view),
                "sha256": hashlib.sha256(view).hexdigest(),
            }
        )
        offset += len(view)
    manifest = json.dumps(
        {"metadata": dict(metadata), "sections": entries}, sort_keys=True
    ).encode()
    head = _U32.pack(len(manifest)) + manifest
    total = len(head) + offset
    chunk = params.CHUNK_BYTES
    prefix = _PREFIX.pack(MAGIC, FORMAT, secrets.token_bytes(16), total, chunk)
    n_chunks = max(1, -(-total // chunk))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}{TMP_MARK}{os.getpid()}-{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(prefix)
            pieces = itertools.chain([memoryview(head)], _pieces(sections))
            for number, plain in enumerate(_chunks(pieces, chunk)):
                nonce = secrets.token_bytes(_NONCE)
                aad = prefix + _CHUNK_AAD.pack(number, number == n_chunks - 1)
                fh.write(nonce)
                fh.write(aead.encrypt(nonce, bytes(plain), aad))
            fh.flush()
            if fault:
                fault("written")
            os.fsync(fh.fileno())
        if fault:
            fault("synced")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path.stat().st_size


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read(path: Path, key: bytes) -> SealedFile:
    """Decrypt and check a file written by :func:`write`.

    Chunks are read one at a time and decrypted straight into the plaintext
    buffer (no copy of the whole file is held); nothing is returned unless
    every chunk authenticated.
    """
    try:
        with path.open("rb") as fh:
            return _read(path, fh, _derive(key))
    except FileNotFoundError as exc:
        raise IndexMissingError(f"no index file {path}", path=path) from exc
    except OSError as exc:
        raise IndexIntegrityError(
            f"cannot read index file {path}: {exc.strerror}", path=path
        ) from exc


def _read(path: Path, fh: io.BufferedReader, key: bytes) -> SealedFile:
    size = os.fstat(fh.fileno()).st_size
    prefix = fh.read(_PREFIX.size)
    if len(prefix) < _PREFIX.size:
        raise IndexIntegrityError(f"{path}: truncated header", path=path)
    magic, version, _, total, chunk = _PREFIX.unpack(prefix)
    if magic != MAGIC or version != FORMAT or chunk <= 0:
        raise IndexIntegrityError(f"{path}: not a Gerbang index file (format {version})", path=path)
    n_chunks = max(1, -(-total // chunk))
    expected = _PREFIX.size + n_chunks * (_NONCE + _TAG) + total
    if size != expected:
        raise IndexIntegrityError(
            f"{path}: {size} bytes, expected {expected} (truncated?)", path=path
        )
    # update_into needs block size - 1 bytes of room past the data it writes.
    plain = bytearray(total + _BLOCK - 1)
    out = memoryview(plain)
    body = bytearray(min(chunk, total) + _NONCE + _TAG)
    view = memoryview(body)
    for number in range(n_chunks):
        length = min(chunk, total - number * chunk)
        record = view[: _NONCE + length + _TAG]
        if fh.readinto(record) != len(record):
            raise IndexIntegrityError(f"{path}: truncated chunk {number}", path=path)
        nonce, data, tag = (
            record[:_NONCE],
            record[_NONCE : _NONCE + length],
            record[_NONCE + length :],
        )
        decryptor = Cipher(algorithms.AES(key), modes.GCM(bytes(nonce), bytes(tag))).decryptor()
        decryptor.authenticate_additional_data(
            prefix + _CHUNK_AAD.pack(number, number == n_chunks - 1)
        )
        start = number * chunk
        decryptor.update_into(data, out[start : start + length + _BLOCK - 1])
        try:
            decryptor.finalize()
        except InvalidTag as exc:
            raise IndexIntegrityError(
                f"{path}: chunk {number} does not authenticate (wrong key or altered file)",
                path=path,
            ) from exc
    return _parse(path, out[:total])


def _parse(path: Path, plain: memoryview) -> SealedFile:
    try:
        (length,) = _U32.unpack_from(plain)
        manifest = json.loads(bytes(plain[4 : 4 + length]))
        body = plain[4 + length :]
        sections: dict[str, memoryview] = {}
        for entry in manifest["sections"]:
            view = body[entry["offset"] : entry["offset"] + entry["length"]]
            if len(view) != entry["length"] or hashlib.sha256(view).hexdigest() != entry["sha256"]:
                raise IndexIntegrityError(f"{path}: section {entry['name']} checksum", path=path)
            sections[entry["name"]] = view
        metadata = manifest["metadata"]
    except (struct.error, ValueError, KeyError, TypeError) as exc:
        raise IndexIntegrityError(f"{path}: manifest unreadable", path=path) from exc
    if not isinstance(metadata, dict):
        raise IndexIntegrityError(f"{path}: metadata is not an object", path=path)
    return SealedFile(metadata, sections, len(plain))


def remove_stale_temporaries(path: Path) -> int:
    """Delete temporary files a crashed writer left next to ``path``; returns how many."""
    removed = 0
    if not path.parent.is_dir():
        return 0
    for leftover in path.parent.glob(f"{path.name}{TMP_MARK}*"):
        leftover.unlink(missing_ok=True)
        removed += 1
    return removed

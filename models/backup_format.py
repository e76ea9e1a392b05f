"""The backup file container (format 2): a signed stream of AES-256-GCM chunks.

Layout of a ``.gbk`` file::

    b"GBK2" | header length (4 bytes) | header (JSON) | frame* | b"GBKS" | signature (64 bytes)
    frame = length and last-chunk flag (4 bytes) | AES-256-GCM(chunk key, nonce, chunk, aad)

- chunk key = HKDF-SHA256(backup key, salt = the header's 32 random bytes,
  info = "gerbang-backup-v2 chunks"): every backup has its own key, so a nonce
  only has to be unique inside one file, however many backups the key makes;
- nonce = the header's 4 random bytes || the chunk counter (8 bytes), 96 bits;
- aad = SHA-256(header) || counter || last-chunk flag, so chunks cannot be
  dropped, reordered, moved to another backup or cut off at a chunk boundary;
- signature = Ed25519 with the kiosk's signing key over
  ``"gerbang-backup-v2 signature" || SHA-256(every byte before b"GBKS")``; the
  header names the signer's public key id. Readers check the signature against a
  public key they already trust *before* they decrypt or decompress anything
  (:func:`authenticate`) and once more while decrypting (:class:`OpeningReader`),
  so a file swapped between the two passes is refused as well.

No plaintext is ever buffered beyond one chunk (1 MiB) and none is written to
disk here; the archive inside is the business of :mod:`models.backup_archive`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from models.errors import StoreError
from models.keys import public_key_id

MAGIC = b"GBK2"
FORMAT = 2
TRAILER = b"GBKS"
SIGNATURE_BYTES = 64
CHUNK = 1 << 20
MAX_HEADER = 64 * 1024
_LAST = 0x8000_0000
_SIGNED = b"gerbang-backup-v2 signature"
_CHUNK_INFO = b"gerbang-backup-v2 chunks"
_READ = 1 << 20


class BackupError(StoreError):
    """A backup cannot be made, read, authenticated or restored.

    ``reason`` says which: ``format`` (not a backup, unknown version),
    ``damaged`` (truncated or altered), ``signature`` (not signed by the expected
    kiosk), ``key`` (no key opens it), ``limits`` (the archive breaks a size or
    name limit), ``space`` (not enough disk), ``store`` (the store inside is
    unusable), ``state`` (the data directory is in an unexpected state).
    """

    code = "store.backup"

    def __init__(self, message: str, *, reason: str = "damaged") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Header:
    fields: dict[str, Any]
    raw: bytes

    @property
    def preamble(self) -> bytes:
        return MAGIC + struct.pack(">I", len(self.raw)) + self.raw

    @property
    def digest(self) -> bytes:
        return hashlib.sha256(self.raw).digest()


def new_header_fields() -> dict[str, Any]:
    """The random per-backup fields of a header (salt of the chunk key, nonce prefix)."""
    return {
        "format": FORMAT,
        "salt": base64.b64encode(os.urandom(32)).decode(),
        "nonce_prefix": base64.b64encode(os.urandom(4)).decode(),
    }


def chunk_key(backup_key: bytes, header: dict[str, Any]) -> bytes:
    """The per-backup chunk key: HKDF-SHA256 of the backup key with the header's salt."""
    try:
        salt = base64.b64decode(header["salt"], validate=True)
    except (KeyError, TypeError, ValueError) as exc:
        raise BackupError("backup header has no valid salt", reason="format") from exc
    if len(salt) != 32:
        raise BackupError("backup header salt must have 32 bytes", reason="format")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_CHUNK_INFO).derive(
        backup_key
    )


def _prefix(header: dict[str, Any]) -> bytes:
    try:
        prefix = base64.b64decode(header["nonce_prefix"], validate=True)
    except (KeyError, TypeError, ValueError) as exc:
        raise BackupError("backup header has no valid nonce prefix", reason="format") from exc
    if len(prefix) != 4:
        raise BackupError("backup nonce prefix must have 4 bytes", reason="format")
    return prefix


def _aad(header_digest: bytes, counter: int, last: bool) -> bytes:
    return header_digest + counter.to_bytes(8, "big") + (b"\x01" if last else b"\x00")


# ---------------------------------------------------------------------------- writing
class SealingWriter:
    """A write-only stream that encrypts into ``sink`` chunk by chunk and signs the file.

    Call :meth:`finish` after the last write: it seals the last chunk and appends
    the signature. Until then the sink holds no valid backup.
    """

    def __init__(
        self,
        sink: BinaryIO,
        fields: dict[str, Any],
        backup_key: bytes,
        signer: Ed25519PrivateKey,
    ) -> None:
        fields = {**fields, "signer": public_key_id(signer.public_key())}
        raw = json.dumps(fields, sort_keys=True).encode()
        if len(raw) > MAX_HEADER:
            raise BackupError("backup header too large", reason="format")
        self._header = Header(fields, raw)
        self._sink = sink
        self._signer = signer
        self._aead = AESGCM(chunk_key(backup_key, fields))
        self._prefix = _prefix(fields)
        self._hash = hashlib.sha256()
        self._counter = 0
        self._buffer = bytearray()
        self._finished = False
        self._emit(self._header.preamble)

    @property
    def header(self) -> Header:
        return self._header

    def _emit(self, data: bytes) -> None:
        self._hash.update(data)
        self._sink.write(data)

    def _seal(self, plain: bytes, *, last: bool) -> None:
        nonce = self._prefix + self._counter.to_bytes(8, "big")
        sealed = self._aead.encrypt(nonce, plain, _aad(self._header.digest, self._counter, last))
        self._emit(struct.pack(">I", len(sealed) | (_LAST if last else 0)) + sealed)
        self._counter += 1

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._finished:
            raise ValueError("write after finish")
        view = memoryview(data).cast("B")
        self._buffer += view
        while len(self._buffer) > CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(view)

    def flush(self) -> None:
        """Nothing to do: only whole chunks are written (``gzip`` calls this)."""

    def finish(self) -> None:
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()
        self._finished = True
        signature = self._signer.sign(_SIGNED + self._hash.digest())
        self._sink.write(TRAILER + signature)


# ---------------------------------------------------------------------------- reading
def read_header(fh: BinaryIO) -> Header:
    start = fh.read(8)
    if len(start) < 8 or start[:4] != MAGIC:
        if start[:3] == b"GBK":
            raise BackupError(
                f"backup format {start[3:4].decode(errors='replace')!r} is not supported "
                f"(this Gerbang reads format {FORMAT})",
                reason="format",
            )
        raise BackupError("not a Gerbang backup file", reason="format")
    (length,) = struct.unpack(">I", start[4:])
    if length > MAX_HEADER:
        raise BackupError("backup header too large", reason="format")
    raw = fh.read(length)
    if len(raw) != length:
        raise BackupError("backup file truncated in its header")
    try:
        fields = json.loads(raw)
    except ValueError as exc:
        raise BackupError("backup header damaged") from exc
    if not isinstance(fields, dict) or fields.get("format") != FORMAT:
        raise BackupError("backup header damaged or of another format", reason="format")
    return Header(fields, raw)


def _check_signer(header: Header, expected: Ed25519PublicKey) -> None:
    signer, wanted = header.fields.get("signer"), public_key_id(expected)
    if signer != wanted:
        raise BackupError(
            f"backup is signed by kiosk key {signer!r}, not by the expected {wanted!r}",
            reason="signature",
        )


def _verify(expected: Ed25519PublicKey, signature: bytes, digest: bytes) -> None:
    try:
        expected.verify(signature, _SIGNED + digest)
    except InvalidSignature as exc:
        raise BackupError(
            "backup signature does not verify: the file was altered or forged", reason="signature"
        ) from exc


def authenticate(fh: BinaryIO, expected: Ed25519PublicKey) -> Header:
    """Check the whole file's signature against ``expected`` without decrypting anything.

    Leaves ``fh`` anywhere; returns the (now authenticated) header.
    """
    fh.seek(0)
    header = read_header(fh)
    _check_signer(header, expected)
    size = fh.seek(0, os.SEEK_END)
    signed_end = size - len(TRAILER) - SIGNATURE_BYTES
    if signed_end < len(header.preamble):
        raise BackupError("backup file truncated: its signature is missing")
    fh.seek(0)
    digest, remaining = hashlib.sha256(), signed_end
    while remaining:
        block = fh.read(min(_READ, remaining))
        if not block:
            raise BackupError("backup file shrank while it was read")
        digest.update(block)
        remaining -= len(block)
    trailer = fh.read(len(TRAILER) + SIGNATURE_BYTES)
    if trailer[: len(TRAILER)] != TRAILER:
        raise BackupError("backup file truncated or altered: no signature at its end")
    _verify(expected, trailer[len(TRAILER) :], digest.digest())
    return header


class OpeningReader:
    """A read-only stream of the plaintext of an authenticated backup file.

    ``fh`` must be positioned just after the header. Every chunk is authenticated
    before its bytes are returned; :meth:`finish` reads what is left, checks that
    the signature follows the last chunk, that nothing follows the signature and
    that the signature matches the bytes read in this pass.
    """

    def __init__(
        self, fh: BinaryIO, header: Header, backup_key: bytes, expected: Ed25519PublicKey
    ) -> None:
        _check_signer(header, expected)
        self._fh = fh
        self._header = header
        self._digest = header.digest
        self._expected = expected
        self._aead = AESGCM(chunk_key(backup_key, header.fields))
        self._prefix = _prefix(header.fields)
        self._hash = hashlib.sha256(header.preamble)
        self._counter = 0
        self._plain = b""
        self._offset = 0
        self._ended = False
        self._finished = False

    def _read_exact(self, n: int, what: str) -> bytes:
        data = self._fh.read(n)
        if len(data) != n:
            raise BackupError(f"backup file truncated {what}")
        self._hash.update(data)
        return data

    def _next_chunk(self) -> None:
        (word,) = struct.unpack(">I", self._read_exact(4, "before its last chunk"))
        last, size = bool(word & _LAST), word & ~_LAST
        if size > CHUNK + 16:
            raise BackupError("backup chunk too large: the file is damaged")
        sealed = self._read_exact(size, "inside a chunk")
        nonce = self._prefix + self._counter.to_bytes(8, "big")
        try:
            self._plain = self._aead.decrypt(nonce, sealed, _aad(self._digest, self._counter, last))
        except InvalidTag as exc:
            raise BackupError(
                f"backup chunk {self._counter} does not authenticate (wrong key, or altered)"
            ) from exc
        self._offset = 0
        self._counter += 1
        self._ended = last

    def read(self, n: int = -1) -> bytes:
        while self._offset >= len(self._plain) and not self._ended:
            self._next_chunk()
        if n < 0:
            n = len(self._plain) - self._offset
        out = self._plain[self._offset : self._offset + n]
        self._offset += len(out)
        return out

    def finish(self) -> None:
        """Drain and authenticate the rest of the file; raises if anything is wrong."""
        if self._finished:
            return
        while not self._ended:
            self._next_chunk()
        digest = self._hash.digest()
        trailer = self._fh.read(len(TRAILER) + SIGNATURE_BYTES)
        if len(trailer) != len(TRAILER) + SIGNATURE_BYTES or trailer[: len(TRAILER)] != TRAILER:
            raise BackupError("backup file truncated or altered: no signature after its last chunk")
        if self._fh.read(1):
            raise BackupError("data after the signature: the file was altered")
        _verify(self._expected, trailer[len(TRAILER) :], digest)
        self._finished = True

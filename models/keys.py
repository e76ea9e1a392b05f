"""The kiosk's keys: a key hierarchy in the data directory.

Layout of ``<data_dir>/keys/`` (folder 0700, files 0600; looser permissions are
refused, because on a stolen kiosk that is the difference between encrypted and
readable records)::

    kiosk.key      the kiosk key (key-encryption key, KEK): 32 random bytes
    keyring.json   the data keys, each wrapped (AES-256-GCM) by the kiosk key:
                   "store" (the SQLite store's sealing key), "index" (FAISS files),
                   "backup", "signing" (the kiosk's Ed25519 identity seed) ...

Data keys never change when the kiosk key is rotated, so rotation re-wraps a
few dozen bytes and needs no downtime and no re-encryption of data.

Rotation is crash-safe at every point. It writes the new kiosk key to
``kiosk.key.next``, then the keyring re-wrapped under it (atomic rename), then
renames ``kiosk.key.next`` over ``kiosk.key``. The keyring names the id of the
kiosk key that wraps it, so a loader that finds a keyring wrapped by
``kiosk.key.next`` completes the rotation; one that finds it still wrapped by
``kiosk.key`` discards the unused ``kiosk.key.next``.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from models.errors import KeyStoreError

KEY_BYTES = 32
KEYRING_FORMAT = 1
_KEK = "kiosk.key"
_KEK_NEXT = "kiosk.key.next"
_KEYRING = "keyring.json"


def kek_id(kek: bytes) -> str:
    """A public identifier of a kiosk key (reveals nothing about the key)."""
    return hashlib.sha256(b"gerbang-kek-id:" + kek).hexdigest()[:16]


def public_key_id(key: Ed25519PublicKey) -> str:
    """A short public identifier of a kiosk's Ed25519 identity key."""
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(b"gerbang-kiosk-public-key:" + raw).hexdigest()[:16]


def _wrap(kek: bytes, name: str, key: bytes) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(kek).encrypt(nonce, key, f"gerbang-keyring:{name}".encode())
    return base64.b64encode(nonce + sealed).decode("ascii")


def _unwrap(kek: bytes, name: str, wrapped: str) -> bytes:
    raw = base64.b64decode(wrapped)
    try:
        return AESGCM(kek).decrypt(raw[:12], raw[12:], f"gerbang-keyring:{name}".encode())
    except InvalidTag as exc:
        raise KeyStoreError(f"data key {name!r} does not unwrap with the kiosk key") from exc


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file, fsync, rename, fsync folder) with mode 0600."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.replace(path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class KeyStore:
    def __init__(self, key_dir: Path) -> None:
        self.key_dir = key_dir

    # ------------------------------------------------------------------ files
    def _ensure_dir(self) -> None:
        try:
            self.key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise KeyStoreError(f"cannot create key folder {self.key_dir}: {exc.strerror}") from exc
        mode = stat.S_IMODE(self.key_dir.stat().st_mode)
        if mode & 0o077:
            raise KeyStoreError(
                f"key folder {self.key_dir} is accessible to other users (mode {mode:o}); "
                "run: chmod 700 on it"
            )

    def _read_private(self, path: Path) -> bytes:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise KeyStoreError(
                f"key file {path} is readable by other users (mode {mode:o}); run: chmod 600 on it"
            )
        return path.read_bytes()

    def _read_kek(self, path: Path) -> bytes:
        kek = self._read_private(path)
        if len(kek) != KEY_BYTES:
            raise KeyStoreError(f"key file {path} holds {len(kek)} bytes, expected {KEY_BYTES}")
        return kek

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise key-store changes between processes (flock on keys/.lock)."""
        self._ensure_dir()
        fd = os.open(self.key_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _read_keyring(self) -> dict[str, Any] | None:
        path = self.key_dir / _KEYRING
        try:
            raw = self._read_private(path)
        except FileNotFoundError:
            return None
        try:
            ring: dict[str, Any] = json.loads(raw)
        except ValueError as exc:
            raise KeyStoreError(f"{path} is damaged (not JSON)") from exc
        if ring.get("format") != KEYRING_FORMAT or not isinstance(ring.get("keys"), dict):
            raise KeyStoreError(f"{path}: unknown keyring format")
        return ring

    def _write_keyring(self, kek: bytes, keys: dict[str, dict[str, str]]) -> None:
        ring = {"format": KEYRING_FORMAT, "kek_id": kek_id(kek), "keys": keys}
        _write_private(self.key_dir / _KEYRING, json.dumps(ring, indent=1, sort_keys=True).encode())

    def _current_kek(self, ring: dict[str, Any] | None) -> bytes:
        """The kiosk key that wraps ``ring``, finishing or discarding an interrupted rotation."""
        path, nxt = self.key_dir / _KEK, self.key_dir / _KEK_NEXT
        try:
            kek = self._read_kek(path)
        except FileNotFoundError:
            if ring is not None:
                raise KeyStoreError(
                    f"kiosk key {path} is missing but a keyring exists: the data keys cannot be opened"
                ) from None
            kek = secrets.token_bytes(KEY_BYTES)
            _write_private(path, kek)
            return kek
        if ring is None or ring.get("kek_id") == kek_id(kek):
            nxt.unlink(missing_ok=True)  # a rotation that never got to the keyring
            return kek
        if nxt.exists():
            new = self._read_kek(nxt)
            if ring.get("kek_id") == kek_id(new):
                nxt.replace(path)  # a rotation interrupted after the keyring was re-wrapped
                _fsync_dir(self.key_dir)
                return new
        raise KeyStoreError(f"the keyring is wrapped by another kiosk key than {path}")

    # ------------------------------------------------------------------ API
    def load_or_create(self, name: str) -> bytes:
        """The 32-byte data key named ``name``, created (and wrapped) on first use."""
        if not name.isidentifier():
            raise KeyStoreError(f"bad key name {name!r}")
        with self._locked():
            ring = self._read_keyring()
            kek = self._current_kek(ring)
            keys: dict[str, dict[str, str]] = dict(ring["keys"]) if ring else {}
            entry = keys.get(name)
            if entry is not None:
                key = _unwrap(kek, name, entry["wrapped"])
                if len(key) != KEY_BYTES:
                    raise KeyStoreError(f"data key {name!r} has {len(key)} bytes")
                return key
            key = secrets.token_bytes(KEY_BYTES)
            keys[name] = {
                "wrapped": _wrap(kek, name, key),
                "created": datetime.now(UTC).isoformat(),
            }
            self._write_keyring(kek, keys)
            return key

    def store_key(self) -> bytes:
        """The data key of the kiosk store."""
        return self.load_or_create("store")

    def signing_key(self) -> Ed25519PrivateKey:
        """The kiosk's Ed25519 identity key (signs sync requests and audit records)."""
        return Ed25519PrivateKey.from_private_bytes(self.load_or_create("signing"))

    def signing_public_key(self) -> Ed25519PublicKey | None:
        """The public half of the signing key, or None if this kiosk has none yet (creates nothing)."""
        seed = self.export_data_keys().get("signing")
        return None if seed is None else Ed25519PrivateKey.from_private_bytes(seed).public_key()

    def names(self) -> list[str]:
        with self._locked():
            ring = self._read_keyring()
            return sorted(ring["keys"]) if ring else []

    def kiosk_key_id(self) -> str:
        with self._locked():
            return kek_id(self._current_kek(self._read_keyring()))

    def export_data_keys(self) -> dict[str, bytes]:
        """Every data key, unwrapped (for an encrypted backup; never write these in clear)."""
        with self._locked():
            ring = self._read_keyring()
            if ring is None:
                return {}
            kek = self._current_kek(ring)
            return {
                name: _unwrap(kek, name, entry["wrapped"]) for name, entry in ring["keys"].items()
            }

    def import_data_keys(self, keys: dict[str, bytes]) -> None:
        """Replace the keyring with ``keys`` wrapped under this kiosk's key (restore)."""
        now = datetime.now(UTC).isoformat()
        with self._locked():
            kek = self._current_kek(self._read_keyring())
            self._write_keyring(
                kek, {n: {"wrapped": _wrap(kek, n, k), "created": now} for n, k in keys.items()}
            )

    def copy_kiosk_key_to(self, other: KeyStore) -> None:
        """Give the empty key store ``other`` this store's kiosk key (a restore on the same kiosk)."""
        with self._locked():
            kek = self._current_kek(self._read_keyring())
        with other._locked():
            target = other.key_dir / _KEK
            if target.exists():
                raise KeyStoreError(f"{target} exists already")
            _write_private(target, kek)

    def seal_with_kiosk_key(self, secret: bytes, *, context: str) -> dict[str, str]:
        """Wrap ``secret`` with the kiosk key; the result names the kiosk key's id."""
        with self._locked():
            kek = self._current_kek(self._read_keyring())
            return {"id": kek_id(kek), "wrapped": _wrap(kek, context, secret)}

    def open_with_kiosk_key(self, box: dict[str, str], *, context: str) -> bytes:
        with self._locked():
            kek = self._current_kek(self._read_keyring())
            if box.get("id") != kek_id(kek):
                raise KeyStoreError("wrapped by another kiosk key")
            return _unwrap(kek, context, box.get("wrapped", ""))

    def recovery_public_key(self) -> X25519PublicKey | None:
        """The public half of the recovery key, if one was set up (``gerbang keys recovery-init``)."""
        path = self.key_dir / "recovery.pub"
        try:
            return X25519PublicKey.from_public_bytes(bytes.fromhex(path.read_text().strip()))
        except FileNotFoundError:
            return None
        except ValueError as exc:
            raise KeyStoreError(f"{path} is damaged") from exc

    def set_recovery_public_key(self, key: X25519PublicKey) -> None:
        with self._locked():
            raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
            _write_private(self.key_dir / "recovery.pub", raw.hex().encode() + b"\n")

    def rotate_kiosk_key(self, *, _crash_after: str | None = None) -> tuple[str, str]:
        """Replace the kiosk key and re-wrap every data key; returns (old id, new id).

        ``_crash_after`` is for tests: it raises after the named step
        (``"next_written"`` or ``"keyring_written"``) to simulate a crash there.
        """
        with self._locked():
            ring = self._read_keyring()
            old = self._current_kek(ring)
            keys = {
                name: _unwrap(old, name, e["wrapped"])
                for name, e in (ring or {"keys": {}})["keys"].items()
            }
            created = {name: e["created"] for name, e in (ring or {"keys": {}})["keys"].items()}
            new = secrets.token_bytes(KEY_BYTES)
            _write_private(self.key_dir / _KEK_NEXT, new)
            if _crash_after == "next_written":
                raise KeyStoreError("simulated crash after writing the next kiosk key")
            self._write_keyring(
                new,
                {n: {"wrapped": _wrap(new, n, k), "created": created[n]} for n, k in keys.items()},
            )
            if _crash_after == "keyring_written":
                raise KeyStoreError("simulated crash after re-wrapping the keyring")
            (self.key_dir / _KEK_NEXT).replace(self.key_dir / _KEK)
            _fsync_dir(self.key_dir)
            return kek_id(old), kek_id(new)

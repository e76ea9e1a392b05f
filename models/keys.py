"""Key files in the kiosk's data directory.

Each key is 32 random bytes in ``<data_dir>/keys/<name>.key`` (the store's data
key is ``store.key``, the kiosk's Ed25519 seed ``signing.key``). The
folder is created with mode 0700 and the file with 0600; a key file that group
or others can read is refused, because on a stolen kiosk that is the difference
between encrypted and readable records.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models.errors import KeyStoreError

KEY_BYTES = 32


class KeyStore:
    def __init__(self, key_dir: Path) -> None:
        self.key_dir = key_dir

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

    def _read(self, path: Path) -> bytes:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise KeyStoreError(
                f"key file {path} is readable by other users (mode {mode:o}); run: chmod 600 on it"
            )
        key = path.read_bytes()
        if len(key) != KEY_BYTES:
            raise KeyStoreError(f"key file {path} holds {len(key)} bytes, expected {KEY_BYTES}")
        return key

    def _create(self, path: Path) -> bytes:
        key = secrets.token_bytes(KEY_BYTES)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, key)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            # link() fails if another process created the key meanwhile: then use theirs.
            os.link(tmp, path)
        except FileExistsError:
            tmp.unlink()
            return self._read(path)
        tmp.unlink()
        return key

    def load_or_create(self, name: str) -> bytes:
        """The key named ``name``, created on first use."""
        if not name.isidentifier():
            raise KeyStoreError(f"bad key name {name!r}")
        self._ensure_dir()
        path = self.key_dir / f"{name}.key"
        try:
            return self._read(path)
        except FileNotFoundError:
            return self._create(path)
        except OSError as exc:
            raise KeyStoreError(f"cannot read key file {path}: {exc.strerror}") from exc

    def store_key(self) -> bytes:
        """The data key of the kiosk store."""
        return self.load_or_create("store")

    def signing_key(self) -> Ed25519PrivateKey:
        """The kiosk's Ed25519 identity key (signs sync requests and audit records).

        Held as the 32-byte private seed in ``signing.key`` under the same rules.
        """
        return Ed25519PrivateKey.from_private_bytes(self.load_or_create("signing"))

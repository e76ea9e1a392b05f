"""Field-level encryption of record payloads with AES-256-GCM.

Each sealed payload is ``version (1 byte) || nonce (12 bytes) || ciphertext+tag``.
The associated data binds a payload to its table and record id, so a payload
copied into another row does not open. Lookups on encrypted values use a keyed
HMAC ("blind index") derived from the same key with a distinct label.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from models.errors import SealError

_VERSION = 1
_NONCE = 12


def _derive(key: bytes, label: bytes) -> bytes:
    return hmac.new(key, b"gerbang-store-v1:" + label, hashlib.sha256).digest()


class Sealer:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise SealError("store key must be 32 bytes")
        self._aead = AESGCM(_derive(key, b"seal"))
        self._index_key = _derive(key, b"blind-index")

    def seal(self, plaintext: bytes, *, context: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return bytes([_VERSION]) + nonce + self._aead.encrypt(nonce, plaintext, context.encode())

    def open(self, sealed: bytes, *, context: str) -> bytes:
        if len(sealed) < 1 + _NONCE + 16 or sealed[0] != _VERSION:
            raise SealError(f"{context}: not a sealed payload")
        nonce, body = sealed[1 : 1 + _NONCE], sealed[1 + _NONCE :]
        try:
            return self._aead.decrypt(nonce, body, context.encode())
        except InvalidTag as exc:
            raise SealError(
                f"{context}: payload does not authenticate (wrong key or altered)"
            ) from exc

    def blind_index(self, value: str) -> str:
        """A keyed, deterministic token for equality lookups on an encrypted value."""
        return hmac.new(self._index_key, value.encode(), hashlib.sha256).hexdigest()

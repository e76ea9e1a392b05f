"""The recovery key: how a replacement kiosk opens a stolen or broken kiosk's backups.

It is an X25519 key pair. The kiosk keeps only the *public* half
(``keys/recovery.pub``) and seals each backup's key to it, so a thief with the
kiosk's disk learns nothing from it. The private half is written once, encrypted
with a passphrase (scrypt, then AES-256-GCM), to a file the supervisor keeps
offline (a USB stick in the office safe).
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from models.errors import KeyStoreError

_FORMAT = "gerbang-recovery-key-v1"
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1
MIN_PASSPHRASE = 12


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def public_bytes(key: X25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _passphrase_key(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P).derive(
        passphrase.encode()
    )


def write_private_key(path: Path, key: X25519PrivateKey, passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise KeyStoreError(f"recovery passphrase must have at least {MIN_PASSPHRASE} characters")
    salt, nonce = os.urandom(16), os.urandom(12)
    raw = key.private_bytes_raw()
    sealed = AESGCM(_passphrase_key(passphrase, salt)).encrypt(nonce, raw, _FORMAT.encode())
    doc = {
        "format": _FORMAT,
        "kdf": {
            "name": "scrypt",
            "n": _SCRYPT_N,
            "r": _SCRYPT_R,
            "p": _SCRYPT_P,
            "salt": _b64(salt),
        },
        "nonce": _b64(nonce),
        "sealed": _b64(sealed),
        "public": public_bytes(key.public_key()).hex(),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(doc, fh, indent=1)


def read_private_key(path: Path, passphrase: str) -> X25519PrivateKey:
    try:
        doc = json.loads(path.read_text())
        if doc.get("format") != _FORMAT:
            raise KeyStoreError(f"{path} is not a Gerbang recovery key")
        kdf = doc["kdf"]
        key = Scrypt(
            salt=base64.b64decode(kdf["salt"]),
            length=32,
            n=int(kdf["n"]),
            r=int(kdf["r"]),
            p=int(kdf["p"]),
        ).derive(passphrase.encode())
        raw = AESGCM(key).decrypt(
            base64.b64decode(doc["nonce"]), base64.b64decode(doc["sealed"]), _FORMAT.encode()
        )
    except InvalidTag as exc:
        raise KeyStoreError(
            "wrong recovery passphrase (or the recovery key file was altered)"
        ) from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KeyStoreError(f"cannot read recovery key {path}: {exc}") from exc
    return X25519PrivateKey.from_private_bytes(raw)


def _kdf(shared: bytes, context: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=context.encode()).derive(
        shared
    )


def seal_to(public: X25519PublicKey, secret: bytes, *, context: str) -> dict[str, Any]:
    """Encrypt ``secret`` so that only the holder of the private key can open it (ECIES)."""
    ephemeral = X25519PrivateKey.generate()
    key = _kdf(ephemeral.exchange(public), context)
    nonce = os.urandom(12)
    return {
        "recipient": public_bytes(public).hex(),
        "ephemeral": public_bytes(ephemeral.public_key()).hex(),
        "nonce": _b64(nonce),
        "sealed": _b64(AESGCM(key).encrypt(nonce, secret, context.encode())),
    }


def open_sealed(private: X25519PrivateKey, box: dict[str, Any], *, context: str) -> bytes:
    try:
        if box["recipient"] != public_bytes(private.public_key()).hex():
            raise KeyStoreError("this was sealed to another recovery key")
        ephemeral = X25519PublicKey.from_public_bytes(bytes.fromhex(box["ephemeral"]))
        key = _kdf(private.exchange(ephemeral), context)
        return AESGCM(key).decrypt(
            base64.b64decode(box["nonce"]), base64.b64decode(box["sealed"]), context.encode()
        )
    except InvalidTag as exc:
        raise KeyStoreError("sealed key does not open with this recovery key") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise KeyStoreError(f"malformed sealed key: {exc}") from exc

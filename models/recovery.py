"""The recovery key: how a replacement kiosk opens a stolen or broken kiosk's backups.

It is an X25519 key pair. The kiosk keeps only the *public* half
(``keys/recovery.pub``) and seals each backup's key to it, so a thief with the
kiosk's disk learns nothing from it. The private half is written once, encrypted
with a passphrase (scrypt, then AES-256-GCM), to a file the supervisor keeps
offline (a USB stick in the office safe).

The file also records which kiosk it belongs to: the kiosk id and the kiosk's
Ed25519 public key (the key that signs its backups). They are readable without
the passphrase (so a supervisor can tell files apart) but bound to the sealed
private key as associated data, so altering them makes the file unreadable. A
replacement kiosk therefore checks a backup's signature against a public key that
came from the supervisor's safe, not from the backup itself.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from models.errors import KeyStoreError

_FORMAT = "gerbang-recovery-key-v2"
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1
MIN_PASSPHRASE = 12


@dataclass(frozen=True, slots=True)
class RecoveryKey:
    """The private recovery key and the kiosk whose backups it opens."""

    private: X25519PrivateKey
    kiosk_id: str
    kiosk_public_key: Ed25519PublicKey


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def public_bytes(key: X25519PublicKey | Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def passphrase_key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    """A 256-bit key from a passphrase (scrypt): recovery keys and sealed exports."""
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode())


def _aad(meta: dict[str, Any]) -> bytes:
    return _FORMAT.encode() + json.dumps(meta, sort_keys=True, separators=(",", ":")).encode()


def write_recovery_key(path: Path, key: RecoveryKey, passphrase: str) -> None:
    """Write ``key`` to the new file ``path`` (mode 0600), sealed with ``passphrase``."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise KeyStoreError(f"recovery passphrase must have at least {MIN_PASSPHRASE} characters")
    salt, nonce = os.urandom(16), os.urandom(12)
    meta = {
        "public": public_bytes(key.private.public_key()).hex(),
        "kiosk_id": key.kiosk_id,
        "kiosk_public_key": public_bytes(key.kiosk_public_key).hex(),
    }
    sealer = AESGCM(passphrase_key(passphrase, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P))
    doc = {
        "format": _FORMAT,
        "kdf": {
            "name": "scrypt",
            "n": _SCRYPT_N,
            "r": _SCRYPT_R,
            "p": _SCRYPT_P,
            "salt": _b64(salt),
        },
        **meta,
        "nonce": _b64(nonce),
        "sealed": _b64(sealer.encrypt(nonce, key.private.private_bytes_raw(), _aad(meta))),
    }
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise KeyStoreError(
            f"{path} exists already; a recovery key file is never overwritten"
        ) from exc
    except OSError as exc:
        raise KeyStoreError(f"cannot write recovery key {path}: {exc.strerror}") from exc
    with os.fdopen(fd, "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.flush()
        os.fsync(fh.fileno())


def read_recovery_key(path: Path, passphrase: str) -> RecoveryKey:
    try:
        doc = json.loads(path.read_text())
        if doc.get("format") != _FORMAT:
            raise KeyStoreError(f"{path} is not a Gerbang recovery key (format {_FORMAT})")
        kdf = doc["kdf"]
        meta = {name: str(doc[name]) for name in ("public", "kiosk_id", "kiosk_public_key")}
        key = passphrase_key(
            passphrase, base64.b64decode(kdf["salt"]), int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
        )
        raw = AESGCM(key).decrypt(
            base64.b64decode(doc["nonce"]), base64.b64decode(doc["sealed"]), _aad(meta)
        )
        private = X25519PrivateKey.from_private_bytes(raw)
        kiosk_public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(meta["kiosk_public_key"]))
    except InvalidTag as exc:
        raise KeyStoreError(
            "wrong recovery passphrase (or the recovery key file was altered)"
        ) from exc
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeyStoreError(f"cannot read recovery key {path}: {exc}") from exc
    return RecoveryKey(private, meta["kiosk_id"], kiosk_public)


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

"""Exports that leave the kiosk (watchlists with names, document numbers and templates):
sealed with a passphrase the officer hands over separately.

Format ``gerbang-sealed-export-v1``: a small JSON document holding the scrypt
parameters and salt, a nonce and the AES-256-GCM ciphertext of the payload; the
format name and the parameters are authenticated as associated data. A wrong
passphrase or any change to the file is refused (:class:`SecurityError`).
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from models.errors import MalformedDataError, SecurityError
from models.recovery import MIN_PASSPHRASE, passphrase_key

FORMAT = "gerbang-sealed-export-v1"
_N, _R, _P = 2**15, 8, 1
MAX_EXPORT_BYTES = 2 * 1024**3


def _aad(kind: str, kdf: dict[str, Any]) -> bytes:
    return json.dumps([FORMAT, kind, kdf], sort_keys=True, separators=(",", ":")).encode()


def seal(payload: bytes, passphrase: str, *, kind: str) -> bytes:
    """The sealed document of ``payload``; ``kind`` names the content (e.g. "watchlist")."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise SecurityError(f"the export passphrase needs at least {MIN_PASSPHRASE} characters")
    salt, nonce = os.urandom(16), os.urandom(12)
    kdf = {"name": "scrypt", "n": _N, "r": _R, "p": _P, "salt": base64.b64encode(salt).decode()}
    key = passphrase_key(passphrase, salt, _N, _R, _P)
    sealed = AESGCM(key).encrypt(nonce, payload, _aad(kind, kdf))
    doc = {
        "format": FORMAT,
        "kind": kind,
        "kdf": kdf,
        "nonce": base64.b64encode(nonce).decode(),
        "sealed": base64.b64encode(sealed).decode(),
    }
    return json.dumps(doc, indent=1).encode()


def open_sealed(data: bytes, passphrase: str, *, kind: str) -> bytes:
    """The payload of a sealed document of ``kind``."""
    try:
        doc = json.loads(data)
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise MalformedDataError(f"not a sealed Gerbang export ({FORMAT})")
        if doc.get("kind") != kind:
            raise MalformedDataError(f"a sealed {doc.get('kind')!r} export, not {kind!r}")
        kdf = doc["kdf"]
        if kdf.get("name") != "scrypt" or not (2**14 <= int(kdf["n"]) <= 2**20):
            raise MalformedDataError("unsupported key derivation in the sealed export")
        salt = base64.b64decode(kdf["salt"], validate=True)
        nonce = base64.b64decode(doc["nonce"], validate=True)
        sealed = base64.b64decode(doc["sealed"], validate=True)
        key = passphrase_key(passphrase, salt, int(kdf["n"]), int(kdf["r"]), int(kdf["p"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise MalformedDataError(f"sealed export does not parse: {type(exc).__name__}") from exc
    try:
        return AESGCM(key).decrypt(nonce, sealed, _aad(kind, kdf))
    except InvalidTag as exc:
        raise SecurityError("wrong passphrase, or the export was changed") from exc


def write_sealed(path: Path, payload: bytes, passphrase: str, *, kind: str) -> None:
    """Seal ``payload`` into ``path`` (mode 0600, written whole, then renamed)."""
    data = seal(payload, passphrase, kind=kind)
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)


def read_sealed(path: Path, passphrase: str, *, kind: str) -> bytes:
    if path.stat().st_size > MAX_EXPORT_BYTES:
        raise MalformedDataError(f"{path.name} is larger than a sealed export can be")
    return open_sealed(path.read_bytes(), passphrase, kind=kind)

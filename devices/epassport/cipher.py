"""Symmetric primitives of ICAO 9303-11: padding, 3DES/AES-CBC, retail MAC, CMAC, the KDF.

Secure messaging, BAC, PACE and Chip Authentication build on these. 3DES is two-key
3DES (K1, K2, K1) in CBC mode; its MAC is ISO/IEC 9797-1 MAC algorithm 3 ("retail MAC")
with single DES and a final 3DES step. AES uses CBC and CMAC (truncated to 8 bytes).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from devices.epassport.errors import SecureMessagingError


class CipherKind(StrEnum):
    TDES = "3DES"
    AES = "AES"


@dataclass(frozen=True, slots=True)
class CipherSpec:
    """A block cipher with its key length: what a PACE/CA OID or BAC selects."""

    kind: CipherKind
    key_bits: int  # 112 for 3DES, 128/192/256 for AES

    @property
    def block_size(self) -> int:
        return 8 if self.kind is CipherKind.TDES else 16

    @property
    def label(self) -> str:
        return "3DES" if self.kind is CipherKind.TDES else f"AES-{self.key_bits}"


TDES = CipherSpec(CipherKind.TDES, 112)
AES128 = CipherSpec(CipherKind.AES, 128)
AES192 = CipherSpec(CipherKind.AES, 192)
AES256 = CipherSpec(CipherKind.AES, 256)

_ZERO8 = bytes(8)
_ZERO16 = bytes(16)


def pad(data: bytes, block: int) -> bytes:
    """ISO/IEC 9797-1 padding method 2: 0x80, then zeros up to the block size."""
    body = data + b"\x80"
    return body + bytes(-len(body) % block)


def unpad(data: bytes, block: int) -> bytes:
    """Remove padding method 2, strictly; SecureMessagingError when it is not exactly that.

    The data must be whole blocks and end with 0x80 followed by fewer zero bytes than a
    block: padding never adds a whole block of zeros, so anything longer (or a missing
    0x80) is not the output of :func:`pad`.
    """
    if not data or len(data) % block:
        raise SecureMessagingError("padded data is not whole blocks", reason="padding")
    end = data.rstrip(b"\x00")
    if not end or end[-1] != 0x80 or len(data) - len(end) >= block:
        raise SecureMessagingError("padding of decrypted data is invalid", reason="padding")
    return end[:-1]


def _tdes(key: bytes) -> TripleDES:
    """3DES with K1 K2 K3 spelled out: two-key (K1 K2 K1) and single DES (K K K)."""
    if len(key) == 8:
        key = key * 3
    elif len(key) == 16:
        key = key + key[:8]
    elif len(key) != 24:
        raise ValueError("3DES key must be 8, 16 or 24 bytes")
    return TripleDES(key)


def tdes_encrypt(key: bytes, data: bytes, iv: bytes = _ZERO8) -> bytes:
    enc = Cipher(_tdes(key), modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def tdes_decrypt(key: bytes, data: bytes, iv: bytes = _ZERO8) -> bytes:
    dec = Cipher(_tdes(key), modes.CBC(iv)).decryptor()
    return dec.update(data) + dec.finalize()


def aes_encrypt(key: bytes, data: bytes, iv: bytes = _ZERO16) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def aes_decrypt(key: bytes, data: bytes, iv: bytes = _ZERO16) -> bytes:
    dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return dec.update(data) + dec.finalize()


def retail_mac(key: bytes, data: bytes) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3 over already padded ``data`` with a 16-byte key."""
    if len(key) != 16 or len(data) % 8:
        raise ValueError("retail MAC needs a 16-byte key and padded data")
    ka, kb = key[:8], key[8:]
    enc = Cipher(_tdes(ka), modes.CBC(_ZERO8)).encryptor()
    chain = (enc.update(data) + enc.finalize())[-8:]
    dec = Cipher(_tdes(kb), modes.ECB()).decryptor()  # noqa: S305 - one block, by the standard
    step = dec.update(chain) + dec.finalize()
    fin = Cipher(_tdes(ka), modes.ECB()).encryptor()  # noqa: S305
    return fin.update(step) + fin.finalize()


def aes_cmac(key: bytes, data: bytes) -> bytes:
    mac = cmac.CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()


def mac8(spec: CipherSpec, key: bytes, data: bytes) -> bytes:
    """The 8-byte MAC of PACE tokens and secure messaging; ``data`` is padded here."""
    if spec.kind is CipherKind.TDES:
        return retail_mac(key, pad(data, 8))
    return aes_cmac(key, data)[:8]


def encrypt(spec: CipherSpec, key: bytes, data: bytes, iv: bytes | None = None) -> bytes:
    if spec.kind is CipherKind.TDES:
        return tdes_encrypt(key, data, iv or _ZERO8)
    return aes_encrypt(key, data, iv or _ZERO16)


def decrypt(spec: CipherSpec, key: bytes, data: bytes, iv: bytes | None = None) -> bytes:
    if spec.kind is CipherKind.TDES:
        return tdes_decrypt(key, data, iv or _ZERO8)
    return aes_decrypt(key, data, iv or _ZERO16)


def adjust_parity(key: bytes) -> bytes:
    """Set the DES parity bit (lowest bit) of each byte to odd parity."""
    out = bytearray()
    for byte in key:
        high = byte & 0xFE
        out.append(high | ((bin(high).count("1") + 1) % 2))
    return bytes(out)


ENC = 1
MAC = 2
PI = 3  # PACE password key


def kdf(secret: bytes, counter: int, spec: CipherSpec) -> bytes:
    """ICAO 9303-11 §9.7.1 key derivation: hash(secret || counter) cut to the key length.

    SHA-1 for 3DES and AES-128, SHA-256 for AES-192 and AES-256; 3DES keys get DES
    parity, as the worked examples show.
    """
    data = secret + counter.to_bytes(4, "big")
    if spec.kind is CipherKind.TDES:
        return adjust_parity(hashlib.sha1(data).digest()[:16])  # noqa: S324 - mandated by ICAO 9303
    if spec.key_bits == 128:
        return hashlib.sha1(data).digest()[:16]  # noqa: S324 - mandated by ICAO 9303
    digest = hashlib.sha256(data).digest()
    return digest[: spec.key_bits // 8]


@dataclass(frozen=True, slots=True, repr=False)
class SessionKeys:
    """Secure-messaging keys. ``repr`` never shows key material."""

    spec: CipherSpec
    k_enc: bytes
    k_mac: bytes

    @classmethod
    def derive(cls, secret: bytes, spec: CipherSpec) -> SessionKeys:
        return cls(spec, kdf(secret, ENC, spec), kdf(secret, MAC, spec))

    def __repr__(self) -> str:
        return f"SessionKeys({self.spec.label})"

    @property
    def ssc_size(self) -> int:
        return self.spec.block_size

    def iv(self, ssc: int) -> bytes:
        """3DES: a zero IV. AES: E(KSenc, SSC) (ICAO 9303-11 §9.8.6.1)."""
        if self.spec.kind is CipherKind.TDES:
            return _ZERO8
        enc = Cipher(algorithms.AES(self.k_enc), modes.ECB()).encryptor()  # noqa: S305 - one block
        return enc.update(ssc.to_bytes(16, "big")) + enc.finalize()

    def encrypt(self, ssc: int, padded: bytes) -> bytes:
        return encrypt(self.spec, self.k_enc, padded, self.iv(ssc))

    def decrypt(self, ssc: int, data: bytes) -> bytes:
        if not data or len(data) % self.spec.block_size:
            raise SecureMessagingError("cryptogram length is not a whole block", reason="malformed")
        return decrypt(self.spec, self.k_enc, data, self.iv(ssc))

    def mac(self, ssc: int, data: bytes) -> bytes:
        """The 8-byte MAC over pad(SSC || data) (ICAO 9303-11 §9.8.6.2)."""
        block = self.spec.block_size
        padded = pad(ssc.to_bytes(block, "big") + data, block)
        if self.spec.kind is CipherKind.TDES:
            return retail_mac(self.k_mac, padded)
        return aes_cmac(self.k_mac, padded)[:8]

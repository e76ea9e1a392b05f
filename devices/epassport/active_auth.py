"""Active Authentication (ICAO 9303-11 §6.1): the chip signs our random challenge with the
private key whose public half is in DG15 (authenticated by Passive Authentication).

RSA signatures use ISO/IEC 9796-2 digital signature scheme 1 with partial message
recovery; ECDSA signatures are plain r || s (BSI TR-03111; DER is accepted too, some
chips send it) with the hash named by DG14's ActiveAuthenticationInfo. A chip that
cannot sign (a clone that copied the files but not the key) fails here.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from asn1crypto import core  # type: ignore[import-untyped]

from devices.apdu import CommandAPDU
from devices.base import CardChannel
from devices.epassport import ec, oids, params, tlv
from devices.epassport.asn1_errors import ASN1_ERRORS
from devices.epassport.command import exchange
from devices.epassport.errors import UnsupportedProtocolError
from devices.epassport.publickeys import (
    ECPublicKey,
    PublicKey,
    RSAPublicKey,
    parse_spki,
)
from devices.epassport.securityinfos import ActiveAuthenticationInfo
from devices.epassport.sm import SecureChannel
from models.errors import MalformedDataError

log = logging.getLogger(__name__)

DG15_TAG = 0x6F
# ISO/IEC 10118-3 hash identifiers used in the 9796-2 trailer 'xx CC'.
ISO9796_HASH_IDS = {0x33: "sha1", 0x34: "sha256", 0x35: "sha512", 0x36: "sha384", 0x38: "sha224"}
HASH_IDS_BY_NAME = {name: ident for ident, name in ISO9796_HASH_IDS.items()}


def parse_dg15(data: bytes) -> PublicKey:
    """DG15 is tag 6F around the Active Authentication SubjectPublicKeyInfo."""
    outer = tlv.parse_one(data)
    if outer.tag != DG15_TAG:
        raise MalformedDataError(f"DG15 starts with tag {outer.tag:X}, not 6F")
    key = parse_spki(outer.value)
    if not isinstance(key, RSAPublicKey | ECPublicKey):
        raise UnsupportedProtocolError("DG15 holds a key that cannot sign", what=key.algorithm)
    return key


@dataclass(frozen=True, slots=True)
class Verdict:
    valid: bool
    algorithm: str
    reason: str = ""  # why it is not valid: a stable code


def verify_rsa_9796(key: RSAPublicKey, challenge: bytes, signature: bytes) -> Verdict:
    s = int.from_bytes(signature, "big")
    if not 0 < s < key.n:
        return Verdict(False, "RSA ISO/IEC 9796-2", "signature_out_of_range")
    m = pow(s, key.e, key.n)
    if m & 0xF != 0xC:
        m = key.n - m  # the signer sent min(J^d, n - J^d)
    f = m.to_bytes((key.n.bit_length() + 7) // 8, "big").lstrip(b"\x00")
    if len(f) < 3 or f[0] != 0x6A:
        return Verdict(False, "RSA ISO/IEC 9796-2", "bad_header")
    if f[-1] == 0xBC:
        name, trailer = "sha1", 1
    elif f[-1] == 0xCC and f[-2] in ISO9796_HASH_IDS:
        name, trailer = ISO9796_HASH_IDS[f[-2]], 2
    else:
        return Verdict(False, "RSA ISO/IEC 9796-2", "bad_trailer")
    algorithm = f"RSA ISO/IEC 9796-2 {name.upper()}"
    size = hashlib.new(name).digest_size
    if len(f) < 1 + size + trailer:
        return Verdict(False, algorithm, "too_short")
    digest = f[len(f) - trailer - size : len(f) - trailer]
    m1 = f[1 : len(f) - trailer - size]
    valid = hmac.compare_digest(hashlib.new(name, m1 + challenge).digest(), digest)
    return Verdict(valid, algorithm, "" if valid else "signature_mismatch")


def _ecdsa_hash(key: ECPublicKey, info: ActiveAuthenticationInfo | None) -> str:
    if info is not None:
        name = oids.ECDSA_PLAIN_HASHES.get(info.signature_algorithm) or oids.ECDSA_X962_HASHES.get(
            info.signature_algorithm
        )
        if name is None:
            raise UnsupportedProtocolError(
                f"AA signature algorithm {info.signature_algorithm} is not supported",
                what=info.signature_algorithm,
            )
        return name
    bits = key.curve.n.bit_length()
    return "sha256" if bits <= 256 else "sha384" if bits <= 384 else "sha512"


def _rs(signature: bytes, size: int) -> tuple[int, int] | None:
    if len(signature) == 2 * size:
        return int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
    try:
        seq = core.Sequence.load(signature, strict=True)
        return int(core.Integer.load(seq[0].dump()).native), int(
            core.Integer.load(seq[1].dump()).native
        )
    except ASN1_ERRORS:
        return None


def verify_ecdsa(
    key: ECPublicKey, challenge: bytes, signature: bytes, info: ActiveAuthenticationInfo | None
) -> Verdict:
    name = _ecdsa_hash(key, info)
    algorithm = f"ECDSA {name.upper()} {key.curve.name}"
    rs = _rs(signature, key.curve.order_size)
    if rs is None:
        return Verdict(False, algorithm, "malformed_signature")
    valid = ec.ecdsa_verify(key.curve, key.point, hashlib.new(name, challenge).digest(), *rs)
    return Verdict(valid, algorithm, "" if valid else "signature_mismatch")


def verify(
    key: PublicKey, challenge: bytes, signature: bytes, info: ActiveAuthenticationInfo | None = None
) -> Verdict:
    if isinstance(key, RSAPublicKey):
        return verify_rsa_9796(key, challenge, signature)
    if isinstance(key, ECPublicKey):
        return verify_ecdsa(key, challenge, signature, info)
    raise UnsupportedProtocolError(
        "Active Authentication needs an RSA or EC key", what=key.algorithm
    )


def perform_active_authentication(
    channel: CardChannel,
    key: PublicKey,
    info: ActiveAuthenticationInfo | None = None,
    *,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> Verdict:
    """INTERNAL AUTHENTICATE with a fresh challenge, then verify the signature."""
    if isinstance(key, RSAPublicKey):
        size = (key.n.bit_length() + 7) // 8
    elif isinstance(key, ECPublicKey):
        size = 2 * key.curve.order_size + 8
    else:
        raise UnsupportedProtocolError(
            "Active Authentication needs an RSA or EC key", what=key.algorithm
        )
    challenge = random_bytes(params.AA_CHALLENGE_SIZE)
    short = channel.short_response_limit if isinstance(channel, SecureChannel) else 256
    command = CommandAPDU(0x00, 0x88, 0x00, 0x00, challenge, le=256 if size <= short else 65536)
    response = exchange(channel, command)
    response.check("INTERNAL AUTHENTICATE")
    verdict = verify(key, challenge, response.data, info)
    log.info(
        "active authentication",
        extra={"step": "aa", "outcome": "ok" if verdict.valid else verdict.reason},
    )
    return verdict

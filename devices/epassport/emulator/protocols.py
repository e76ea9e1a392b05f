"""Chip-side halves of BAC, PACE (Generic Mapping), Chip Authentication and Active
Authentication, for the virtual chip. The reader-side modules are the reference; these
mirror them (and are tested against them end to end)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec as crypto_ec
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from devices.epassport import cipher, tlv
from devices.epassport.access_key import MRZKey
from devices.epassport.bac import document_keys
from devices.epassport.cipher import TDES, SessionKeys
from devices.epassport.domain import Domain
from devices.epassport.emulator.issuer import AAKey, PaceOffer
from devices.epassport.pace import auth_token, oid_content
from models.errors import MalformedDataError

SW_OK = 0x9000
SW_AUTH_FAILED = 0x6300
SW_WRONG_DATA = 0x6A80
SW_CONDITIONS = 0x6985
SW_REFERENCE = 0x6A88


class ChipBac:
    def __init__(self, key: MRZKey) -> None:
        self._keys = document_keys(key)
        self._rnd_ic: bytes | None = None

    def get_challenge(self) -> bytes:
        self._rnd_ic = secrets.token_bytes(8)
        return self._rnd_ic

    def external_authenticate(self, data: bytes) -> tuple[bytes, SessionKeys, int] | None:
        """The answer E_IC || M_IC, the session keys and the SSC; None when authentication fails."""
        rnd_ic, self._rnd_ic = self._rnd_ic, None
        if rnd_ic is None or len(data) != 40:
            return None
        e_ifd, m_ifd = data[:32], data[32:]
        if not hmac.compare_digest(
            cipher.retail_mac(self._keys.k_mac, cipher.pad(e_ifd, 8)), m_ifd
        ):
            return None
        s = cipher.tdes_decrypt(self._keys.k_enc, e_ifd)
        rnd_ifd, k_ifd = s[:8], s[16:32]
        if not hmac.compare_digest(s[8:16], rnd_ic):
            return None
        k_ic = secrets.token_bytes(16)
        e_ic = cipher.tdes_encrypt(self._keys.k_enc, rnd_ic + rnd_ifd + k_ic)
        answer = e_ic + cipher.retail_mac(self._keys.k_mac, cipher.pad(e_ic, 8))
        seed = bytes(a ^ b for a, b in zip(k_ifd, k_ic, strict=True))
        return (
            answer,
            SessionKeys.derive(seed, TDES),
            int.from_bytes(rnd_ic[4:] + rnd_ifd[4:], "big"),
        )


@dataclass
class _PaceState:
    offer: PaceOffer
    secret: bytes
    step: int = 1
    nonce: int = 0
    mapped: Domain | None = None
    private: int = 0
    public: bytes = b""
    reader_public: bytes = b""
    session: SessionKeys | None = None


class ChipPace:
    """PACE-GM state machine of the chip: MSE:Set AT, then four GENERAL AUTHENTICATE steps."""

    def __init__(self, offers: tuple[PaceOffer, ...], mrz: MRZKey, can: str) -> None:
        self._offers = {offer.oid: offer for offer in offers}
        self._passwords = {0x01: mrz.pace_secret(), 0x02: can.encode("latin-1")}
        self._state: _PaceState | None = None

    def set_at(self, data: bytes) -> int:
        self._state = None
        try:
            objects = {o.tag: o.value for o in tlv.parse_all(data)}
        except MalformedDataError:
            return SW_WRONG_DATA
        offer = next(
            (o for o in self._offers.values() if oid_content(o.oid) == objects.get(0x80)), None
        )
        reference = objects.get(0x83, b"")
        if offer is None or len(reference) != 1 or reference[0] not in self._passwords:
            return SW_REFERENCE
        if 0x84 in objects and objects[0x84] != bytes([offer.parameter_id]):
            return SW_REFERENCE
        self._state = _PaceState(offer, self._passwords[reference[0]])
        return SW_OK

    def general_authenticate(self, cla: int, data: bytes) -> tuple[bytes, int, SessionKeys | None]:
        """Answer data, status word, and the session keys once PACE has succeeded."""
        state = self._state
        if state is None:
            return b"", SW_CONDITIONS, None
        try:
            outer = tlv.parse_one(data)
            inner = {o.tag: o.value for o in outer.children()} if outer.tag == 0x7C else None
        except MalformedDataError:
            inner = None
        chained = bool(cla & 0x10)
        if inner is None or chained != (state.step < 4):
            self._state = None
            return b"", SW_WRONG_DATA, None
        try:
            return self._step(state, inner)
        except MalformedDataError:
            self._state = None
            return b"", SW_WRONG_DATA, None

    def _step(
        self, state: _PaceState, inner: dict[int, bytes]
    ) -> tuple[bytes, int, SessionKeys | None]:
        spec, domain = state.offer.cipher, state.offer.domain
        if state.step == 1:
            nonce = secrets.token_bytes(16)
            state.nonce = int.from_bytes(nonce, "big")
            key = cipher.kdf(state.secret, cipher.PI, spec)
            state.step = 2
            return tlv.encode(0x7C, tlv.encode(0x80, cipher.encrypt(spec, key, nonce))), SW_OK, None
        if state.step == 2:
            private, public = domain.generate()
            state.mapped = domain.map_generic(state.nonce, private, inner[0x81])
            state.step = 3
            return tlv.encode(0x7C, tlv.encode(0x82, public)), SW_OK, None
        mapped = state.mapped
        if mapped is None:
            raise MalformedDataError("PACE out of order")
        if state.step == 3:
            state.private, state.public = mapped.generate()
            state.reader_public = inner[0x83]
            if mapped.same_public(state.reader_public, state.public):
                raise MalformedDataError("reader echoed the chip key")
            state.session = SessionKeys.derive(
                mapped.agree(state.private, state.reader_public), spec
            )
            state.step = 4
            return tlv.encode(0x7C, tlv.encode(0x84, state.public)), SW_OK, None
        self._state = None
        session = state.session
        if session is None:
            raise MalformedDataError("PACE out of order")
        expected = auth_token(spec, session.k_mac, state.offer.oid, mapped, state.public)
        if not hmac.compare_digest(expected, inner.get(0x85, b"")):
            return b"", SW_AUTH_FAILED, None
        token = auth_token(spec, session.k_mac, state.offer.oid, mapped, state.reader_public)
        return tlv.encode(0x7C, tlv.encode(0x86, token)), SW_OK, session


def aa_sign(key: AAKey, challenge: bytes) -> bytes:
    """INTERNAL AUTHENTICATE answer: ISO/IEC 9796-2 scheme 1 (SHA-256) or plain ECDSA."""
    if isinstance(key, rsa.RSAPrivateKey):
        numbers = key.private_numbers()
        n, d = numbers.public_numbers.n, numbers.d
        size = (n.bit_length() + 7) // 8
        m1 = secrets.token_bytes(size - 1 - 32 - 2)
        f = b"\x6a" + m1 + hashlib.sha256(m1 + challenge).digest() + b"\x34\xcc"
        s = pow(int.from_bytes(f, "big"), d, n)
        return min(s, n - s).to_bytes(size, "big")
    r, s = decode_dss_signature(key.sign(challenge, crypto_ec.ECDSA(hashes.SHA256())))
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")

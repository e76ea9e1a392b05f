"""Basic Access Control (ICAO 9303-11 §4.3): key derivation, mutual authentication, SSC.

Reader side. The worked example of ICAO 9303-11 Appendix D checks every step (tests).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from devices.apdu import CommandAPDU, ResponseAPDU
from devices.base import CardChannel
from devices.epassport import cipher
from devices.epassport.access_key import MRZKey
from devices.epassport.cipher import TDES, SessionKeys
from devices.epassport.errors import AccessControlError
from devices.epassport.sm import SecureChannel

log = logging.getLogger(__name__)

RandomBytes = Callable[[int], bytes]


def document_keys(key: MRZKey) -> SessionKeys:
    """K_enc and K_mac from the MRZ information (ICAO 9303-11 §9.7.2)."""
    return SessionKeys.derive(key.bac_seed(), TDES)


@dataclass(frozen=True, slots=True, repr=False)
class BacExchange:
    """The reader's half of the mutual authentication (kept for the check of the answer)."""

    rnd_ic: bytes
    rnd_ifd: bytes
    k_ifd: bytes
    command_data: bytes  # E_IFD || M_IFD


def reader_challenge(keys: SessionKeys, rnd_ic: bytes, rnd_ifd: bytes, k_ifd: bytes) -> BacExchange:
    s = rnd_ifd + rnd_ic + k_ifd
    e_ifd = cipher.tdes_encrypt(keys.k_enc, s)
    m_ifd = cipher.retail_mac(keys.k_mac, cipher.pad(e_ifd, 8))
    return BacExchange(rnd_ic, rnd_ifd, k_ifd, e_ifd + m_ifd)


def session_from_answer(
    keys: SessionKeys, exchange: BacExchange, answer: bytes
) -> tuple[SessionKeys, int]:
    """Check the chip's E_IC || M_IC and derive KSenc, KSmac and the SSC."""
    if len(answer) != 40:
        raise AccessControlError(
            "BAC answer of the wrong length", protocol="BAC", reason="protocol"
        )
    e_ic, m_ic = answer[:32], answer[32:]
    if not hmac.compare_digest(cipher.retail_mac(keys.k_mac, cipher.pad(e_ic, 8)), m_ic):
        raise AccessControlError(
            "BAC cryptogram of the chip has a wrong MAC", protocol="BAC", reason="token_mismatch"
        )
    r = cipher.tdes_decrypt(keys.k_enc, e_ic)
    if not (
        hmac.compare_digest(r[:8], exchange.rnd_ic)
        and hmac.compare_digest(r[8:16], exchange.rnd_ifd)
    ):
        raise AccessControlError(
            "BAC cryptogram of the chip does not echo the challenges",
            protocol="BAC",
            reason="token_mismatch",
        )
    k_ic = r[16:32]
    seed = bytes(a ^ b for a, b in zip(exchange.k_ifd, k_ic, strict=True))
    ssc = int.from_bytes(exchange.rnd_ic[4:] + exchange.rnd_ifd[4:], "big")
    return SessionKeys.derive(seed, TDES), ssc


def perform_bac(
    channel: CardChannel,
    key: MRZKey,
    *,
    extended_length: bool = False,
    random_bytes: RandomBytes = secrets.token_bytes,
) -> SecureChannel:
    """Run BAC on ``channel`` (the LDS application must be selected) and return the SM channel."""
    keys = document_keys(key)
    challenge = ResponseAPDU.parse(
        channel.transmit(CommandAPDU(0x00, 0x84, 0x00, 0x00, le=8).encode())
    )
    rnd_ic = challenge.check("GET CHALLENGE")
    if len(rnd_ic) != 8:
        raise AccessControlError(
            "GET CHALLENGE did not return 8 bytes", protocol="BAC", reason="protocol"
        )
    exchange = reader_challenge(keys, rnd_ic, random_bytes(8), random_bytes(16))
    answer = ResponseAPDU.parse(
        channel.transmit(CommandAPDU(0x00, 0x82, 0x00, 0x00, exchange.command_data, le=40).encode())
    )
    if not answer.ok:
        log.info(
            "BAC refused", extra={"step": "bac", "outcome": "refused", "status": f"{answer.sw:04X}"}
        )
        raise AccessControlError(
            "the chip refused BAC: check the document number, birth and expiry dates",
            protocol="BAC",
            reason="refused",
            sw=answer.sw,
        )
    session, ssc = session_from_answer(keys, exchange, answer.data)
    log.info("BAC established", extra={"step": "bac", "outcome": "ok"})
    return SecureChannel(channel, session, ssc, extended_length=extended_length)

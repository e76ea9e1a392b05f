"""Chip Authentication version 1 (ICAO 9303-11 §6.2, BSI TR-03110-1 §3.4).

The reader sends an ephemeral public key on the domain parameters of the chip's static
key from DG14; both sides derive new secure-messaging keys from the shared secret and
the SSC restarts at zero. Only a chip holding the static private key can answer under
the new keys, so a confirmation command (SELECT EF.DG14) under them proves the chip is
genuine (given DG14 passed Passive Authentication). 3DES uses MSE:Set KAT; AES uses
MSE:Set AT followed by GENERAL AUTHENTICATE.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from devices.apdu import CommandAPDU
from devices.epassport import tlv
from devices.epassport.cipher import TDES, SessionKeys
from devices.epassport.command import exchange
from devices.epassport.domain import KeySource, random_key
from devices.epassport.errors import SecureMessagingError
from devices.epassport.oids import CA_ALGORITHMS, ID_PK_DH, CaAlgorithm, ca_oid
from devices.epassport.pace import oid_content
from devices.epassport.securityinfos import ChipAuthenticationPublicKeyInfo, SecurityInfos
from devices.epassport.sm import SecureChannel
from models.errors import DocumentError

log = logging.getLogger(__name__)

DG14_FID = b"\x01\x0e"


@dataclass(frozen=True, slots=True)
class CaChoice:
    algorithm: CaAlgorithm
    key: ChipAuthenticationPublicKeyInfo
    inferred: bool  # no ChipAuthenticationInfo: 3DES assumed (ICAO 9303-11 §6.2.1)


@dataclass(frozen=True, slots=True)
class CaOutcome:
    valid: bool
    algorithm: str
    key_id: int | None
    reason: str = ""


def choose(infos: SecurityInfos) -> CaChoice | None:
    """The CA protocol and key the chip offers in DG14, or None when it offers none."""
    for info in infos.chip_authentication:
        algo = info.algorithm
        if algo is None or info.version != 1:
            continue
        want_protocol = ID_PK_DH if algo.key_agreement == "DH" else None
        for key in infos.chip_authentication_keys:
            kind_ok = (key.protocol == ID_PK_DH) == (want_protocol is not None)
            id_ok = info.key_id is None or key.key_id is None or key.key_id == info.key_id
            if kind_ok and id_ok:
                return CaChoice(algo, key, inferred=False)
    if not infos.chip_authentication and infos.chip_authentication_keys:
        key = infos.chip_authentication_keys[0]
        oid = ca_oid("DH" if key.protocol == ID_PK_DH else "ECDH", TDES)
        return CaChoice(CA_ALGORITHMS[oid], key, inferred=True)
    return None


def _key_reference(key_id: int | None) -> bytes:
    if key_id is None:
        return b""
    return tlv.encode(0x84, key_id.to_bytes(max(1, (key_id.bit_length() + 7) // 8), "big"))


def perform_chip_authentication(
    secure: SecureChannel, choice: CaChoice, *, keys: KeySource = random_key
) -> CaOutcome:
    """Run CA on an established secure channel; on success the channel is re-keyed.

    On failure the returned outcome is invalid and the channel is closed (the session
    cannot continue: access control must be run again).
    """
    static = choice.key.key
    domain = static.domain
    algo = choice.algorithm
    key_id = choice.key.key_id
    private, public = domain.generate(keys)
    if algo.cipher is TDES:
        command = CommandAPDU(
            0x00, 0x22, 0x41, 0xA6, tlv.encode(0x91, public) + _key_reference(key_id)
        )
        exchange(secure, command).check("MSE:Set KAT")
    else:
        mse = tlv.encode(0x80, oid_content(algo.oid)) + _key_reference(key_id)
        exchange(secure, CommandAPDU(0x00, 0x22, 0x41, 0xA4, mse)).check(
            "MSE:Set AT for Chip Authentication"
        )
        ga = CommandAPDU(0x00, 0x86, 0x00, 0x00, tlv.encode(0x7C, tlv.encode(0x80, public)), le=256)
        exchange(secure, ga).check("GENERAL AUTHENTICATE for Chip Authentication")
    shared = domain.agree(private, static.encoded)
    secure.rekey(SessionKeys.derive(shared, algo.cipher), 0)
    try:
        exchange(secure, CommandAPDU(0x00, 0xA4, 0x02, 0x0C, DG14_FID)).check(
            "SELECT EF.DG14 after CA"
        )
    except SecureMessagingError as exc:
        log.warning("chip authentication failed", extra={"step": "ca", "outcome": exc.reason})
        return CaOutcome(False, algo.name, key_id, "secure_messaging_" + exc.reason)
    except DocumentError as exc:
        secure.closed = True
        log.warning("chip authentication failed", extra={"step": "ca", "outcome": exc.code})
        return CaOutcome(False, algo.name, key_id, "status")
    log.info("chip authentication", extra={"step": "ca", "outcome": "ok"})
    return CaOutcome(True, algo.name, key_id)

"""PACE with Generic Mapping over ECDH or DH (ICAO 9303-11 §4.4, worked examples App. G/H).

Reader side. Steps: MSE:Set AT names the protocol and password; GENERAL AUTHENTICATE
(1) gets the encrypted nonce, (2) exchanges mapping keys, (3) exchanges ephemeral keys
on the mapped generator, (4) exchanges authentication tokens. The session keys then
protect everything with secure messaging (SSC starts at zero).
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass

from asn1crypto import core  # type: ignore[import-untyped]

from devices.apdu import CommandAPDU
from devices.base import CardChannel
from devices.epassport import cipher, tlv
from devices.epassport.access_key import AccessKey
from devices.epassport.cipher import CipherSpec, SessionKeys
from devices.epassport.command import exchange
from devices.epassport.domain import Domain, KeySource, random_key, standard_domain
from devices.epassport.errors import AccessControlError, UnsupportedProtocolError
from devices.epassport.oids import PaceAlgorithm
from devices.epassport.securityinfos import PACEInfo, SecurityInfos
from devices.epassport.sm import SecureChannel
from models.errors import MalformedDataError

log = logging.getLogger(__name__)

_CIPHER_RANK = {"3DES": 0, "AES-128": 1, "AES-192": 2, "AES-256": 3}


@dataclass(frozen=True, slots=True)
class PaceChoice:
    info: PACEInfo
    algorithm: PaceAlgorithm
    domain: Domain
    parameter_id: int | None
    send_parameter_id: bool  # whether MSE:Set AT names the domain parameters (84)


def oid_content(oid: str) -> bytes:
    """The content octets of an OID (the value of tag 06 or 80)."""
    return bytes(core.ObjectIdentifier(oid).contents)


def supported_choices(infos: SecurityInfos) -> list[PaceChoice]:
    """PACE variants the chip offers that we implement (Generic Mapping), strongest first."""
    choices: list[PaceChoice] = []
    for info in infos.pace:
        algo = info.algorithm
        if algo is None or algo.mapping != "GM" or info.version != 2:
            continue
        domain: Domain | None = None
        proprietary = False
        for candidate in infos.pace_domains:
            if (
                candidate.parameter_id == info.parameter_id
                and candidate.domain.kind == algo.key_agreement
            ):
                domain, proprietary = candidate.domain, True
        if domain is None and info.parameter_id is not None:
            try:
                domain = standard_domain(info.parameter_id)
            except UnsupportedProtocolError:
                continue
        if domain is None or domain.kind != algo.key_agreement:
            continue
        send_id = proprietary or len(infos.pace) > 1
        choices.append(
            PaceChoice(
                info, algo, domain, info.parameter_id, send_id and info.parameter_id is not None
            )
        )
    choices.sort(
        key=lambda c: (c.algorithm.key_agreement == "ECDH", _CIPHER_RANK[c.algorithm.cipher.label]),
        reverse=True,
    )
    return choices


def password_key(key: AccessKey, spec: CipherSpec) -> bytes:
    """K_pi = KDF_pi(password) (ICAO 9303-11 §9.7.3)."""
    return cipher.kdf(key.pace_secret(), cipher.PI, spec)


def token_input(oid: str, domain: Domain, public: bytes) -> bytes:
    """The public-key template 7F49 {06 OID, 86/84 key} that the tokens are MACs of."""
    return tlv.encode(
        0x7F49, tlv.encode(0x06, oid_content(oid)) + tlv.encode(domain.public_tag, public)
    )


def auth_token(spec: CipherSpec, ks_mac: bytes, oid: str, domain: Domain, public: bytes) -> bytes:
    return cipher.mac8(spec, ks_mac, token_input(oid, domain, public))


def _step(
    channel: CardChannel, last: bool, tag: int | None, value: bytes, want: int, step: str
) -> bytes:
    data = tlv.encode(0x7C, b"" if tag is None else tlv.encode(tag, value))
    command = CommandAPDU(0x00 if last else 0x10, 0x86, 0x00, 0x00, data, le=256)
    response = exchange(channel, command)
    if not response.ok:
        reason = "refused" if last else "protocol"
        raise AccessControlError(
            f"the chip refused PACE at {step}" + (": check the MRZ or CAN" if last else ""),
            protocol="PACE",
            reason=reason,
            sw=response.sw,
        )
    try:
        outer = tlv.parse_one(response.data)
        found = outer.find(want) if outer.tag == 0x7C else None
    except MalformedDataError as exc:
        raise AccessControlError(
            f"PACE answer at {step} is malformed", protocol="PACE", reason="protocol"
        ) from exc
    if found is None:
        raise AccessControlError(
            f"PACE answer at {step} lacks object {want:X}", protocol="PACE", reason="protocol"
        )
    return found.value


def perform_pace(
    channel: CardChannel,
    key: AccessKey,
    choice: PaceChoice,
    *,
    extended_length: bool = False,
    keys: KeySource = random_key,
) -> SecureChannel:
    algo, domain = choice.algorithm, choice.domain
    spec = algo.cipher
    mse = tlv.encode(0x80, oid_content(algo.oid)) + tlv.encode(0x83, bytes([key.pace_reference]))
    if choice.send_parameter_id and choice.parameter_id is not None:
        mse += tlv.encode(0x84, bytes([choice.parameter_id]))
    status = exchange(channel, CommandAPDU(0x00, 0x22, 0xC1, 0xA4, mse))
    if not status.ok:
        raise AccessControlError(
            "the chip refused MSE:Set AT for PACE", protocol="PACE", reason="protocol", sw=status.sw
        )

    encrypted_nonce = _step(channel, False, None, b"", 0x80, "the nonce")
    if not encrypted_nonce or len(encrypted_nonce) % spec.block_size:
        raise AccessControlError("PACE nonce has a bad length", protocol="PACE", reason="protocol")
    nonce = int.from_bytes(cipher.decrypt(spec, password_key(key, spec), encrypted_nonce), "big")

    try:
        map_private, map_public = domain.generate(keys)
        chip_map = _step(channel, False, 0x81, map_public, 0x82, "mapping")
        mapped = domain.map_generic(nonce, map_private, chip_map)
        eph_private, eph_public = mapped.generate(keys)
        chip_eph = _step(channel, False, 0x83, eph_public, 0x84, "key agreement")
        shared = mapped.agree(eph_private, chip_eph)
    except MalformedDataError as exc:
        raise AccessControlError(
            "the chip sent an invalid PACE public key", protocol="PACE", reason="invalid_key"
        ) from exc
    if mapped.same_public(chip_eph, eph_public):
        raise AccessControlError(
            "the chip echoed our ephemeral key", protocol="PACE", reason="invalid_key"
        )
    session = SessionKeys.derive(shared, spec)
    token = auth_token(spec, session.k_mac, algo.oid, mapped, chip_eph)
    chip_token = _step(channel, True, 0x85, token, 0x86, "mutual authentication")
    expected = auth_token(spec, session.k_mac, algo.oid, mapped, eph_public)
    if not hmac.compare_digest(expected, chip_token):
        raise AccessControlError(
            "the chip's PACE token is wrong", protocol="PACE", reason="token_mismatch"
        )
    log.info("PACE established", extra={"step": "pace", "outcome": "ok"})
    return SecureChannel(channel, session, 0, extended_length=extended_length)

"""Which access protocol the reader runs: the chip chooses; BAC only without usable PACE."""

from __future__ import annotations

import dataclasses

import pytest
from asn1crypto import core, keys  # type: ignore[import-untyped]

from devices.epassport import oids, pace, securityinfos, tlv
from devices.epassport.cipher import AES128, AES256
from devices.epassport.ec_curves import CURVES
from devices.epassport.emulator.chip import VirtualPassport
from devices.epassport.emulator.issuer import IssuedDocument
from devices.epassport.publickeys import ec_parameters, parse_domain_parameters
from devices.epassport.session import ReadOptions, read_document

from .scripted import LoopbackChannel


def _with_card_access(document: IssuedDocument, card_access: bytes) -> IssuedDocument:
    return dataclasses.replace(document, files={**document.files, "EF.CardAccess": card_access})


@pytest.mark.parametrize(
    ("card_access", "reason"),
    [
        # only Integrated Mapping offered: we do not implement it
        (
            securityinfos.encode_security_infos(
                [securityinfos.pace_info(oids.pace_oid("ECDH", AES128, "IM"), 13)]
            ),
            "pace_unsupported",
        ),
        # a Chip Authentication info and nothing for PACE
        (
            securityinfos.encode_security_infos(
                [securityinfos.chip_authentication_info(oids.ca_oid("ECDH", AES128), None)]
            ),
            "no_pace_info",
        ),
        (b"\x31\x03\x30\x01\x00", "card_access_malformed"),
    ],
)
def test_bac_fallback_reasons(document: IssuedDocument, card_access: bytes, reason: str) -> None:
    chip = VirtualPassport(_with_card_access(document, card_access))
    result = read_document(
        LoopbackChannel(chip), document.access_key, ReadOptions(files=("DG1",)), atr=chip.atr()
    )
    assert result.access.protocol == "BAC"
    assert result.access.fallback_reason == reason
    assert result.files["DG1"] == document.files["DG1"]


def _pace_domain_info(parameter_id: int, explicit: bool) -> bytes:
    if explicit:
        algorithm = keys.PublicKeyAlgorithm(
            {
                "algorithm": "ec",
                "parameters": ec_parameters(CURVES["brainpoolP320r1"], explicit=True),
            }
        )
    else:
        algorithm = keys.PublicKeyAlgorithm(
            {"algorithm": oids.STANDARDIZED_DOMAIN_PARAMETERS, "parameters": core.Integer(14)}
        )
    body = (
        core.ObjectIdentifier(f"{oids.ID_PACE}.2").dump()
        + algorithm.dump()
        + core.Integer(parameter_id).dump()
    )
    return tlv.encode(0x30, body)


@pytest.mark.parametrize("explicit", [True, False])
def test_proprietary_domain_parameters(explicit: bool) -> None:
    infos = securityinfos.parse_security_infos(
        securityinfos.encode_security_infos(
            [
                securityinfos.pace_info(oids.pace_oid("ECDH", AES256), 32),
                _pace_domain_info(32, explicit),
                securityinfos.pace_info(oids.pace_oid("DH", AES128), 0),
            ]
        )
    )
    assert len(infos.pace_domains) == 1
    choices = pace.supported_choices(infos)
    assert [c.algorithm.key_agreement for c in choices] == ["ECDH", "DH"]
    assert choices[0].domain.name == "brainpoolP320r1"
    assert choices[0].send_parameter_id  # proprietary parameters are named in MSE:Set AT


def test_unknown_standardized_parameters_are_skipped() -> None:
    infos = securityinfos.parse_security_infos(
        securityinfos.encode_security_infos(
            [securityinfos.pace_info(oids.pace_oid("ECDH", AES128), 99)]
        )
    )
    assert pace.supported_choices(infos) == []
    with pytest.raises(Exception, match="not defined"):
        parse_domain_parameters(
            keys.PublicKeyAlgorithm(
                {"algorithm": oids.STANDARDIZED_DOMAIN_PARAMETERS, "parameters": core.Integer(99)}
            ).dump()
        )


def test_chip_side_pace_rejects_out_of_order_and_unknown_references(
    document: IssuedDocument,
) -> None:
    chip = VirtualPassport(document)
    # GENERAL AUTHENTICATE before MSE:Set AT
    assert chip.process(bytes.fromhex("10860000027C0000"))[-2:] == bytes.fromhex("6985")
    oid = pace.oid_content(document.pace[0].oid)
    mse = b"\x80" + bytes([len(oid)]) + oid
    # password reference 03 (PIN) is not supported
    assert chip.process(bytes([0, 0x22, 0xC1, 0xA4, len(mse) + 3]) + mse + b"\x83\x01\x03")[
        -2:
    ] == bytes.fromhex("6A88")
    assert chip.process(
        bytes([0, 0x22, 0xC1, 0xA4, len(mse) + 3]) + mse + b"\x83\x01\x01"
    ) == bytes.fromhex("9000")
    # the last step (not chained) sent first
    assert chip.process(bytes.fromhex("00860000027C0000"))[-2:] == bytes.fromhex("6A80")
    # malformed dynamic authentication data
    assert chip.process(
        bytes([0, 0x22, 0xC1, 0xA4, len(mse) + 3]) + mse + b"\x83\x01\x01"
    ) == bytes.fromhex("9000")
    assert chip.process(bytes.fromhex("10860000027D00"))[-2:] == bytes.fromhex("6A80")

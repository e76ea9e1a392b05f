"""The virtual document's files are what a real issuer writes: a verifiable SOD, ICAO DG layouts."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from asn1crypto import cms  # type: ignore[import-untyped]
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from devices.epassport import tlv
from devices.epassport.active_auth import parse_dg15
from devices.epassport.emulator import records
from devices.epassport.emulator.issuer import IssuedDocument
from devices.epassport.emulator.pki import LDSSecurityObject, TestPKI, sign_sod
from devices.epassport.publickeys import RSAPublicKey
from devices.epassport.reading import com_data_groups
from devices.epassport.securityinfos import parse_dg14, parse_security_infos


def _signed_data(sod: bytes) -> cms.SignedData:
    outer = tlv.parse_one(sod)
    assert outer.tag == 0x77
    info = cms.ContentInfo.load(outer.value)
    assert info["content_type"].native == "signed_data"
    return info["content"]


def test_sod_is_a_signed_lds_security_object_with_every_dg_hash(document: IssuedDocument) -> None:
    signed = _signed_data(document.files["EF.SOD"])
    encap = signed["encap_content_info"]
    assert encap["content_type"].dotted == "2.23.136.1.1.1"
    content = encap["content"].native
    lds = LDSSecurityObject.load(content)
    assert lds["hash_algorithm"]["algorithm"].native == "sha256"
    hashes_by_dg = {
        int(v["data_group_number"].native): v["data_group_hash_value"].native
        for v in lds["data_group_hash_values"]
    }
    assert hashes_by_dg == {
        n: hashlib.sha256(data).digest() for n, data in document.data_groups.items()
    }

    signer = signed["signer_infos"][0]
    attrs = {a["type"].native: a["values"][0] for a in signer["signed_attrs"]}
    assert attrs["message_digest"].native == hashlib.sha256(content).digest()
    assert attrs["content_type"].dotted == "2.23.136.1.1.1"
    certificate = x509.load_der_x509_certificate(signed["certificates"][0].chosen.dump())
    assert certificate == document.pki.dsc
    public = certificate.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(
        signer["signature"].native, signer["signed_attrs"].untag().dump(), ec.ECDSA(hashes.SHA256())
    )
    sid = signer["sid"].chosen
    assert sid["serial_number"].native == certificate.serial_number


def test_chain_csca_to_dsc(pki: TestPKI) -> None:
    pki.dsc.verify_directly_issued_by(pki.csca)
    pki.csca.verify_directly_issued_by(pki.csca)
    assert pki.csca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = pki.dsc.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_cert_sign
    assert "TestPKI(UT" in repr(pki) and "PRIVATE" not in repr(pki)


def test_rsa_signed_sod() -> None:
    pki = TestPKI.generate(not_before=datetime(2026, 1, 1, tzinfo=UTC), dsc_key="rsa")
    sod = sign_sod(
        pki, {1: b"\x61\x00"}, signing_time=datetime(2026, 2, 1, tzinfo=UTC), hash_name="sha384"
    )
    signer = _signed_data(sod)["signer_infos"][0]
    assert signer["signature_algorithm"]["algorithm"].native == "sha384_rsa"
    public = pki.dsc.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(
        signer["signature"].native,
        signer["signed_attrs"].untag().dump(),
        padding.PKCS1v15(),
        hashes.SHA384(),
    )


def test_dg1_dg2_layouts(document: IssuedDocument, face: bytes) -> None:
    dg1 = tlv.parse_one(document.files["DG1"])
    assert dg1.tag == 0x61 and dg1.require(0x5F1F).value == "".join(document.mrz_lines).encode()

    dg2 = tlv.parse_one(document.files["DG2"])
    group = dg2.require(0x7F61)
    assert group.require(0x02).value == b"\x01"
    template = group.require(0x7F60)
    header = template.require(0xA1)
    assert header.require(0x88).value == b"\x00\x08"
    record = template.require(0x5F2E).value
    assert record[:8] == b"FAC\x00010\x00"
    assert int.from_bytes(record[8:12], "big") == len(record)
    assert int.from_bytes(record[12:14], "big") == 1
    assert int.from_bytes(record[14:18], "big") == len(record) - 14
    assert record[34:36] == b"\x01\x00"  # full frontal, JPEG
    assert (int.from_bytes(record[36:38], "big"), int.from_bytes(record[38:40], "big")) == (
        360,
        480,
    )
    assert record[46:] == face


def test_com_dg11_dg12_dg14_dg15(document: IssuedDocument) -> None:
    assert com_data_groups(document.files["EF.COM"]) == set(document.data_groups)
    dg11 = tlv.parse_one(document.files["DG11"])
    assert dg11.require(0x5C).value == b"\x5f\x11"
    assert dg11.require(0x5F11).value == b"JAKARTA"
    dg12 = tlv.parse_one(document.files["DG12"])
    assert dg12.require(0x5F26).value == b"20260301"
    infos = parse_dg14(document.files["DG14"])
    assert len(infos.pace) == 1 and len(infos.chip_authentication) == 1
    assert infos.chip_authentication_keys[0].key.algorithm == "EC brainpoolP256r1"
    assert isinstance(parse_dg15(document.files["DG15"]), RSAPublicKey)
    card_access = parse_security_infos(document.files["EF.CardAccess"])
    assert card_access.pace == infos.pace


def test_unknown_dg11_field_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown field"):
        records.dg11({"favourite_colour": "blue"})


def test_repr_hides_keys(document: IssuedDocument) -> None:
    text = repr(document) + repr(document.access_key) + repr(document.ca_key)
    assert "L898902C" not in text and "ERIKSSON" not in text

"""Passive Authentication on the real specimen data in ``icao9303/`` (10 states' SODs, BSI, ETSI)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from devices.epassport.certinfo import CertInfo
from devices.epassport.masterlist import MasterListError, parse_master_list
from devices.epassport.passive_auth import verify_passive
from devices.epassport.sod import parse_sod
from devices.epassport.trust import TrustStore

pytestmark = pytest.mark.dataset

COUNTRIES = ["AT", "AU", "CN", "DE", "FI", "FR", "NZ", "RU", "UK", "US"]
AT = datetime(2026, 11, 24, tzinfo=UTC)  # every specimen DSC and CSCA is valid then
# The signature algorithm and how it was verified, per specimen (explicit-curve keys included).
SIGNATURES = {
    "AT": ("ecdsa/sha256", "cryptography (brainpoolP256r1, explicit parameters)"),
    "AU": ("rsa-pkcs1v15/sha256", "cryptography"),
    "CN": ("rsa-pkcs1v15/sha256", "cryptography"),
    "DE": ("ecdsa/sha384", "cryptography (brainpoolP384r1, explicit parameters)"),
    "FI": ("ecdsa/sha512", "cryptography (brainpoolP512r1, explicit parameters)"),
    "FR": ("rsa-pkcs1v15/sha256", "cryptography"),
    "NZ": ("rsa-pkcs1v15/sha256", "cryptography"),
    "RU": ("ecdsa/sha1", "cryptography (secp256r1, explicit parameters)"),
    "UK": ("ecdsa/sha256", "cryptography (secp256r1, explicit parameters)"),
    "US": ("rsa-pkcs1v15/sha256", "cryptography"),
}


@pytest.fixture(scope="module")
def icao(gerbang_data: Path) -> Path:
    return gerbang_data / "icao9303"


@pytest.fixture(scope="module")
def trust(icao: Path) -> TrustStore:
    return TrustStore.from_paths([icao / "master_lists_gmrtd"], require_anchored_lists=True)


@pytest.mark.parametrize("country", COUNTRIES)
def test_every_specimen_sod_passes_with_its_expected_hashes(
    icao: Path, trust: TrustStore, country: str
) -> None:
    folder = icao / "sod_samples_gmrtd" / country
    expected = json.loads((folder / "expected.json").read_text())
    result = verify_passive(
        (folder / "EF.SOD.bin").read_bytes(),
        {},
        trust,
        AT,
        issuing_country=expected["country_alpha2"],
        required_dgs=(),  # the specimens come without their data groups
    )
    assert result.valid, result.problems
    assert result.checks["country_matches"] is True
    assert result.sod is not None
    assert result.sod.dg_hashes[1].hex() == expected["dg1_hash"]
    assert result.sod.dg_hashes[2].hex() == expected["dg2_hash"]
    assert (result.sod.lds_version or "") == expected["lds_version"]
    # The embedded DSC is the one published with the specimen, and the CSCA the store
    # found has the same key as the specimen's CSCA (it may be the CSCA or a link cert).
    assert result.signer is not None and result.csca is not None
    assert result.signer.der == (folder / "DSC.der").read_bytes()
    specimen_csca = CertInfo.load((folder / "CSCA.der").read_bytes())
    assert result.csca.cert.spki.dump() == specimen_csca.spki.dump()
    assert result.signature is not None
    assert (result.signature.algorithm, result.signature.method) == SIGNATURES[country]


@pytest.mark.parametrize("country", ["DE", "UK"])
def test_a_wrong_data_group_fails_on_a_real_sod(
    icao: Path, trust: TrustStore, country: str
) -> None:
    sod = (icao / "sod_samples_gmrtd" / country / "EF.SOD.bin").read_bytes()
    result = verify_passive(sod, {1: b"\x61\x03\x5f\x1f\x00"}, trust, AT)
    assert not result.valid and result.dg_hashes_valid == {1: False}


def test_the_nz_sod_uses_ber_indefinite_lengths(icao: Path) -> None:
    raw = (icao / "sod_samples_gmrtd" / "NZ" / "EF.SOD.bin").read_bytes()
    assert b"\x30\x80" in raw[:16]
    assert parse_sod(raw).hash_algorithm == "sha256"


def test_expired_certificates_fail_at_a_later_time(icao: Path, trust: TrustStore) -> None:
    sod = (icao / "sod_samples_gmrtd" / "FR" / "EF.SOD.bin").read_bytes()
    later = verify_passive(sod, {}, trust, datetime(2027, 10, 19, tzinfo=UTC), required_dgs=())
    assert not later.valid
    assert later.checks["dsc_valid_at"] is False and later.checks["csca_valid_at"] is True
    much_later = verify_passive(sod, {}, trust, datetime(2060, 1, 1, tzinfo=UTC), required_dgs=())
    assert much_later.checks["csca_valid_at"] is False


def _pymrtd(icao: Path, name: str) -> bytes:
    return (icao / "sod_testvectors_pymrtd" / name).read_bytes()


@pytest.mark.parametrize(
    ("name", "dsc", "at"),
    [
        ("BSI_TR-03105-5_EF_SOD.bin", "dsc_de_0142fd5cf927.cer", datetime(2014, 1, 1, tzinfo=UTC)),
        (
            "ETSI_TR103200_EACAA_EF_SOD.bin",
            "dsc_de_0130846f2b3e.cer",
            datetime(2012, 1, 1, tzinfo=UTC),
        ),
    ],
)
def test_reference_sods_verify_but_have_no_csca(
    icao: Path, trust: TrustStore, name: str, dsc: str, at: datetime
) -> None:
    result = verify_passive(_pymrtd(icao, name), {}, trust, at, required_dgs=())
    checks = result.checks
    assert checks["signature_valid"] and checks["message_digest_valid"]
    assert checks["content_type_valid"] and checks["dsc_valid_at"]
    assert result.signature is not None and result.signature.algorithm == "rsassa-pss/sha256"
    assert result.signer is not None
    assert result.signer.der == CertInfo.load(_pymrtd(icao, dsc)).der
    # Their CSCAs (HJP, ETSI test roots) are not published: the chain must fail.
    assert checks["dsc_chain_valid"] is False and not result.valid
    assert "csca_not_in_trust" in result.problems


def test_the_modified_bsi_sod_fails_its_signature(icao: Path, trust: TrustStore) -> None:
    sod = _pymrtd(icao, "BSI_TR-03105-5_EF_SOD_modified_id-data.bin")
    result = verify_passive(sod, {}, trust, datetime(2014, 1, 1, tzinfo=UTC), required_dgs=())
    assert result.checks["sod_parsed"] is True
    assert result.checks["signature_valid"] is False
    assert "signature_invalid" in result.problems and not result.valid


def test_master_list_signatures_and_anchoring(icao: Path) -> None:
    folder = icao / "master_lists_gmrtd"
    de_root = CertInfo.load((folder / "DE_ROOT_CA_CSCA07.cer").read_bytes())
    nl_root = CertInfo.load((folder / "NL_ROOT_CA.cer").read_bytes())
    de = (folder / "DE_ML_2026-05-28-08-28-45.ml").read_bytes()
    nl = (folder / "NL_ML_2026-07-22.ml").read_bytes()
    anchored = parse_master_list(de, anchors=[de_root], source="de")
    assert anchored.anchored and len(anchored.certificates) == 588
    assert anchored.signature_method == "cryptography (brainpoolP256r1, explicit parameters)"
    assert parse_master_list(nl, anchors=[nl_root]).anchored
    # Without the root, the signer still chains to the German CSCA inside the list.
    alone = parse_master_list(de)
    assert not alone.anchored and alone.trust_level == "self_consistent"
    assert [c.subject for c in alone.chain] == [de_root.subject]
    # A foreign root does not anchor the Dutch list.
    assert not parse_master_list(nl, anchors=[de_root]).anchored


def test_a_tampered_master_list_is_refused(icao: Path) -> None:
    de = bytearray((icao / "master_lists_gmrtd" / "DE_ML_2026-05-28-08-28-45.ml").read_bytes())
    de[len(de) // 2] ^= 0x01  # inside the list of CSCAs
    with pytest.raises(MasterListError, match="signed attributes"):
        parse_master_list(bytes(de), source="tampered")


def test_trust_store_from_the_shared_folder(trust: TrustStore) -> None:
    kinds = {s.kind for s in trust.sources}
    assert kinds == {"certificate", "master_list"}
    assert all(s.trust == "anchored" for s in trust.sources if s.kind == "master_list")
    assert len(trust) > 600  # DE + NL lists merged, duplicates counted once


def test_a_corrupted_embedded_dsc_is_caught_by_the_chain(icao: Path, trust: TrustStore) -> None:
    # Regression (found by fuzzing): two bytes changed inside the DSC made asn1crypto raise
    # AttributeError when the certificate set was converted with .native. Now it parses,
    # and the changed DSC no longer verifies under the French CSCA.
    raw = bytearray((icao / "sod_samples_gmrtd" / "FR" / "EF.SOD.bin").read_bytes())
    for pos, value in [(1052, 69), (894, 137)]:
        raw[pos] = value
    result = verify_passive(bytes(raw), {}, trust, AT, required_dgs=())
    assert result.checks["sod_parsed"] is True and result.checks["signature_valid"] is True
    assert result.checks["dsc_chain_valid"] is False and not result.valid

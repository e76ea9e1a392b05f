"""The CSCA trust store: files, folders, PEM/DER, CRLs, master lists generated here."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import load_der_x509_crl

from devices.epassport.certinfo import CertInfo
from devices.epassport.masterlist import MasterListError, parse_master_list
from devices.epassport.trust import TrustStore
from models.errors import MalformedDataError
from tests.unit.epassport import pki


@pytest.fixture(scope="module")
def utopia() -> dict[str, pki.Issued]:
    root = pki.make_cert("CSCA Utopia", "UT", pki.rsa_key("csca"), ca=True)
    signer = pki.make_cert("ML Signer", "UT", pki.rsa_key("mls"), root, ca=False)
    other = pki.make_cert("CSCA Other", "ZZ", pki.ec_key("other"), ca=True)
    return {"root": root, "signer": signer, "other": other}


def test_master_list_anchored_by_a_given_root(utopia: dict[str, pki.Issued]) -> None:
    ml = pki.make_master_list(utopia["signer"], [utopia["root"].der, utopia["other"].der])
    root = CertInfo.load(utopia["root"].der)
    parsed = parse_master_list(ml, anchors=[root], source="ut.ml")
    assert parsed.anchored and len(parsed.certificates) == 2
    assert parsed.summary()["trust"] == "anchored"
    self_consistent = parse_master_list(ml, source="ut.ml")
    assert not self_consistent.anchored


def test_master_list_whose_signer_chains_nowhere_is_refused(
    utopia: dict[str, pki.Issued],
) -> None:
    ml = pki.make_master_list(utopia["signer"], [utopia["other"].der])
    with pytest.raises(MasterListError, match="does not chain") as err:
        parse_master_list(ml, source="orphan.ml")
    assert err.value.source == "orphan.ml" and err.value.code == "security.master_list"


def test_master_list_without_its_signer_certificate_is_refused(
    utopia: dict[str, pki.Issued],
) -> None:
    ml = pki.make_master_list(utopia["signer"], [utopia["root"].der], embedded=[])
    with pytest.raises(MasterListError, match="signer certificate is missing"):
        parse_master_list(ml)


def test_master_list_with_a_forged_signature_is_refused(utopia: dict[str, pki.Issued]) -> None:
    ml = bytearray(pki.make_master_list(utopia["signer"], [utopia["root"].der]))
    ml[-3] ^= 0xFF  # signature value
    with pytest.raises(MasterListError, match="signature does not verify"):
        parse_master_list(bytes(ml))


def test_a_cms_that_is_not_a_master_list_is_refused(utopia: dict[str, pki.Issued]) -> None:
    sod_cms = pki.signed_data(utopia["signer"], b"\x30\x00", "2.23.136.1.1.1")
    with pytest.raises(MalformedDataError, match="no master list"):
        parse_master_list(sod_cms)


def test_from_paths_reads_folders_pem_der_crls_and_lists(
    utopia: dict[str, pki.Issued], tmp_path: Path
) -> None:
    root, other = utopia["root"], utopia["other"]
    (tmp_path / "sub").mkdir()
    (tmp_path / "root.cer").write_bytes(root.der)
    (tmp_path / "sub" / "other.pem").write_bytes(other.cert.public_bytes(Encoding.PEM))
    crl = pki.make_crl(root, [5])
    (tmp_path / "root.crl").write_bytes(crl)
    (tmp_path / "sub" / "root2.crl").write_bytes(load_der_x509_crl(crl).public_bytes(Encoding.PEM))
    (tmp_path / "ut.ml").write_bytes(pki.make_master_list(utopia["signer"], [root.der, other.der]))
    (tmp_path / "README.txt").write_text("ignored: not a trust file suffix")
    store = TrustStore.from_paths([tmp_path], require_anchored_lists=True)
    assert len(store) == 2  # the list's certificates were given singly too
    kinds = sorted(s.kind for s in store.sources)
    assert kinds == ["certificate", "certificate", "crl", "crl", "master_list"]
    (ml_source,) = [s for s in store.sources if s.kind == "master_list"]
    assert ml_source.trust == "anchored" and ml_source.certificates == 0
    info = CertInfo.load(root.der)
    assert len(store.crls_for(info)) == 2
    assert store.summary()["crls"] == 2
    assert [t.cert.fingerprint for t in store.issuer_candidates(info)] == [info.fingerprint]


def test_require_anchored_refuses_a_self_consistent_list(
    utopia: dict[str, pki.Issued], tmp_path: Path
) -> None:
    path = tmp_path / "ut.ml"
    path.write_bytes(pki.make_master_list(utopia["signer"], [utopia["root"].der]))
    assert len(TrustStore.from_paths([path])) == 1
    with pytest.raises(MasterListError, match="--trust"):
        TrustStore.from_paths([path], require_anchored_lists=True)


def test_unreadable_or_missing_trust_files_are_typed_errors(tmp_path: Path) -> None:
    with pytest.raises(MalformedDataError, match="does not exist"):
        TrustStore.from_paths([tmp_path / "absent.ml"])
    junk = tmp_path / "junk.cer"
    junk.write_bytes(b"\x30\x03\x02\x01\x00")
    with pytest.raises(MalformedDataError):
        TrustStore.from_paths([junk])
    bad_pem = tmp_path / "bad.pem"
    bad_pem.write_bytes(b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n")
    with pytest.raises(MalformedDataError):
        TrustStore.from_paths([bad_pem])


def test_issuer_lookup_falls_back_to_the_key_identifier(utopia: dict[str, pki.Issued]) -> None:
    root = utopia["root"]
    renamed = pki.make_cert(
        "DS", "UT", pki.rsa_key("dsc"), root, ca=False, issuer_name=pki.name("Renamed CA", "UT")
    )
    store = TrustStore()
    store.add_certificate(CertInfo.load(root.der), source="root")
    assert not store.add_certificate(CertInfo.load(root.der), source="again")
    found = store.issuer_candidates(CertInfo.load(renamed.der))
    assert [t.sources for t in found] == [["root", "again"]]

"""Passive Authentication on a PKI generated in the test: every check, pass and fail."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from devices.epassport import tlv
from devices.epassport.certinfo import CertInfo
from devices.epassport.passive_auth import CHECKS, verify_passive
from devices.epassport.trust import TrustStore
from tests.unit.epassport import pki

AT = datetime(2025, 6, 1, tzinfo=UTC)


@dataclass
class World:
    csca: pki.Issued
    dsc: pki.Issued
    dgs: dict[int, bytes]

    def trust(self, *extra: pki.Issued) -> TrustStore:
        store = TrustStore()
        for cert in (self.csca, *extra):
            store.add_certificate(CertInfo.load(cert.der), source="test")
        return store


@pytest.fixture(scope="module")
def world() -> World:
    csca = pki.make_cert("CSCA Utopia", "UT", pki.rsa_key("csca"), ca=True)
    dsc = pki.make_cert(
        "DS Utopia", "UT", pki.rsa_key("dsc"), csca, ca=False, not_after=pki.T0 + 3 * pki.YEAR
    )
    dgs = {1: pki.dg1(pki.TD3_MRZ), 2: tlv.encode(0x75, b"face"), 14: tlv.encode(0x6E, b"ca")}
    return World(csca, dsc, dgs)


def failing(result: object) -> set[str]:
    checks = result.checks  # type: ignore[attr-defined]
    return {name for name, value in checks.items() if value is False}


def test_a_genuine_document_passes_every_check(world: World) -> None:
    result = verify_passive(pki.make_sod(world.dsc, world.dgs), world.dgs, world.trust(), AT)
    assert result.valid, result.problems
    assert set(result.checks) == set(CHECKS)
    assert all(v is True for k, v in result.checks.items() if k != "not_revoked")
    assert result.checks["not_revoked"] is None  # no CRL given
    assert result.dg_hashes_valid == {1: True, 2: True, 14: True}
    assert result.hash_algorithm == "sha256"
    report = result.to_json()
    assert report["passive_authentication"]["valid"] is True
    assert report["passive_authentication"]["checks"]["dg_hashes"] == {
        "1": True,
        "2": True,
        "14": True,
    }
    assert set(report["dg_hashes"]) == {"1", "2", "14"}
    assert report["signer"]["country"] == "UT" and report["csca"]["sources"] == ["test"]


def test_country_comes_from_dg1_or_the_caller(world: World) -> None:
    sod = pki.make_sod(world.dsc, world.dgs)
    trust = world.trust()
    assert verify_passive(sod, {}, trust, AT, issuing_country="UTO", required_dgs=()).checks[
        "country_matches"
    ]
    wrong = verify_passive(sod, {}, trust, AT, issuing_country="IDN", required_dgs=())
    assert failing(wrong) == {"country_matches"}
    assert "document_country_mismatch" in wrong.problems
    unknown = verify_passive(sod, {}, trust, AT, issuing_country="XXA", required_dgs=())
    assert "document_country_unknown" in unknown.problems
    other = {1: pki.dg1(pki.TD3_MRZ.replace("P<UTO", "P<IDN", 1))}
    from_dg1 = verify_passive(pki.make_sod(world.dsc, other), other, trust, AT)
    assert failing(from_dg1) == {"country_matches"}


def test_a_changed_data_group_fails_only_its_hash(world: World) -> None:
    sod = pki.make_sod(world.dsc, world.dgs)
    changed = dict(world.dgs)
    changed[2] = tlv.encode(0x75, b"another face")
    changed[3] = tlv.encode(0x63, b"not in the SOD")
    result = verify_passive(sod, changed, world.trust(), AT)
    assert not result.valid
    assert result.dg_hashes_valid == {1: True, 2: False, 3: False, 14: True}
    assert {"dg2_hash_mismatch", "dg3_not_in_sod"} <= set(result.problems)
    assert failing(result) == set()


@pytest.mark.parametrize(
    ("at", "failed"),
    [
        (pki.T0 - timedelta(days=1), {"dsc_valid_at", "csca_valid_at"}),
        (pki.T0 + 4 * pki.YEAR, {"dsc_valid_at"}),
        (pki.T0 + 11 * pki.YEAR, {"dsc_valid_at", "csca_valid_at"}),
    ],
)
def test_validity_is_checked_at_the_given_time(
    world: World, at: datetime, failed: set[str]
) -> None:
    result = verify_passive(pki.make_sod(world.dsc, world.dgs), world.dgs, world.trust(), at)
    assert not result.valid
    assert failing(result) == failed


def test_naive_times_are_refused(world: World) -> None:
    with pytest.raises(ValueError, match="timezone"):
        verify_passive(b"", {}, world.trust(), datetime(2025, 1, 1))


def test_a_crl_revoking_the_dsc_fails_the_document(world: World) -> None:
    serial = CertInfo.load(world.dsc.der).serial
    trust = world.trust()
    trust.add_crl(pki.make_crl(world.csca, [serial, 77]), source="csca.crl")
    result = verify_passive(pki.make_sod(world.dsc, world.dgs), world.dgs, trust, AT)
    assert not result.valid
    assert result.checks["not_revoked"] is False and "dsc_revoked" in result.problems
    # Before the revocation date the same CRL does not revoke it.
    earlier = verify_passive(
        pki.make_sod(world.dsc, world.dgs), world.dgs, trust, pki.T0 + timedelta(days=100)
    )
    assert earlier.checks["not_revoked"] is True and earlier.valid


def test_a_crl_not_revoking_the_dsc_passes_and_a_forged_crl_is_ignored(world: World) -> None:
    trust = world.trust()
    trust.add_crl(pki.make_crl(world.csca, [77], when=AT - timedelta(days=10)), source="c.crl")
    result = verify_passive(pki.make_sod(world.dsc, world.dgs), world.dgs, trust, AT)
    assert result.valid and result.checks["not_revoked"] is True
    assert "note:crl_not_current" not in result.problems
    forger = pki.make_cert("CSCA Utopia", "UT", pki.rsa_key("forger"), ca=True)
    serial = CertInfo.load(world.dsc.der).serial
    forged = world.trust()
    forged.add_crl(pki.make_crl(forger, [serial]), source="forged.crl")
    result = verify_passive(pki.make_sod(world.dsc, world.dgs), world.dgs, forged, AT)
    assert result.valid and result.checks["not_revoked"] is None
    assert "note:crl_signature_invalid" in result.problems


def test_a_stale_crl_is_still_used_and_noted(world: World) -> None:
    trust = world.trust()
    trust.add_crl(pki.make_crl(world.csca, [77], when=pki.T0), source="old.crl")
    result = verify_passive(pki.make_sod(world.dsc, world.dgs), world.dgs, trust, AT)
    assert result.checks["not_revoked"] is True and "note:crl_not_current" in result.problems


def test_a_dsc_from_an_unknown_csca_fails_the_chain(world: World) -> None:
    rogue_ca = pki.make_cert("CSCA Utopia", "UT", pki.rsa_key("rogue"), ca=True)
    rogue_dsc = pki.make_cert("DS Utopia", "UT", pki.rsa_key("dsc"), rogue_ca, ca=False)
    result = verify_passive(pki.make_sod(rogue_dsc, world.dgs), world.dgs, world.trust(), AT)
    assert failing(result) == {"dsc_chain_valid", "csca_valid_at"}
    assert "no_csca_verifies_dsc" in result.problems
    empty = verify_passive(pki.make_sod(world.dsc, world.dgs), world.dgs, TrustStore(), AT)
    assert "csca_not_in_trust" in empty.problems


def test_dsc_and_csca_of_different_countries_fail(world: World) -> None:
    dsc = pki.make_cert("DS Elsewhere", "ID", pki.rsa_key("dsc2"), world.csca, ca=False)
    result = verify_passive(pki.make_sod(dsc, world.dgs), world.dgs, world.trust(), AT)
    assert failing(result) == {"country_matches"}
    assert "dsc_csca_country_mismatch" in result.problems


def test_tampered_signed_content_fails_signature_or_digest(world: World) -> None:
    trust = world.trust()
    bad_digest = pki.make_sod(world.dsc, world.dgs, message_digest=b"\x00" * 32)
    assert failing(verify_passive(bad_digest, {}, trust, AT, required_dgs=())) == {
        "message_digest_valid"
    }
    bad_type = pki.make_sod(world.dsc, world.dgs, attr_content_type="1.2.840.113549.1.7.1")
    assert failing(verify_passive(bad_type, {}, trust, AT, required_dgs=())) == {
        "content_type_valid"
    }
    sod = bytearray(pki.make_sod(world.dsc, world.dgs))
    sod[-5] ^= 0x01  # inside the signature value
    assert failing(verify_passive(bytes(sod), {}, trust, AT, required_dgs=())) == {
        "signature_valid"
    }


def test_a_sod_without_its_dsc_uses_a_dsc_given_as_trust(world: World) -> None:
    sod = pki.make_sod(world.dsc, world.dgs, certificates=[])
    missing = verify_passive(sod, world.dgs, world.trust(), AT)
    assert failing(missing) >= {"dsc_found", "signature_valid", "dsc_chain_valid"}
    given = verify_passive(sod, world.dgs, world.trust(world.dsc), AT)
    assert given.valid, given.problems


@pytest.mark.parametrize(
    ("hash_name", "signature"), [("sha1", "auto"), ("sha512", "auto"), ("sha256", "pss")]
)
def test_rsa_variants(world: World, hash_name: str, signature: str) -> None:
    sod = pki.make_sod(world.dsc, world.dgs, hash_name=hash_name, signature=signature)
    result = verify_passive(sod, world.dgs, world.trust(), AT)
    assert result.valid and result.hash_algorithm == hash_name
    assert result.signature is not None
    assert result.signature.algorithm.startswith("rsassa-pss" if signature == "pss" else "rsa-")


@pytest.mark.parametrize("signature", ["auto", "plain"])
def test_brainpool_keys_with_explicit_parameters(signature: str) -> None:
    csca = pki.make_cert("CSCA", "UT", pki.ec_key("ecsca", "brainpoolP384r1"), ca=True)
    dsc = pki.make_cert("DSC", "UT", pki.ec_key("edsc"), csca, ca=False)
    csca_x = pki.with_explicit_params(csca, csca, "brainpoolP384r1")
    dsc_x = pki.with_explicit_params(dsc, csca, "brainpoolP256r1")
    dgs = {1: pki.dg1(pki.TD1_MRZ)}
    trust = TrustStore()
    trust.add_certificate(CertInfo.load(csca_x.der), source="csca")
    result = verify_passive(pki.make_sod(dsc_x, dgs, signature=signature), dgs, trust, AT)
    assert result.valid, result.problems
    assert result.signature is not None
    assert result.signature.method == "cryptography (brainpoolP256r1, explicit parameters)"
    assert result.csca is not None
    assert result.csca.cert.key_description == "ec brainpoolP384r1 (explicit parameters)"


def test_a_curve_unknown_to_cryptography_is_verified_by_our_arithmetic() -> None:
    csca = pki.make_cert("CSCA", "UT", pki.ec_key("ecsca", "brainpoolP384r1"), ca=True)
    template = pki.make_cert("DSC", "UT", pki.ec_key("tmpl"), csca, ca=False)
    dsc = pki.with_explicit_params(
        template, csca, "brainpoolP224r1", key=pki.ArithKey("brainpoolP224r1", 987654321)
    )
    trust = TrustStore()
    trust.add_certificate(CertInfo.load(csca.der), source="csca")
    dgs = {1: pki.dg1(pki.TD1_MRZ)}
    result = verify_passive(pki.make_sod(dsc, dgs), dgs, trust, AT)
    assert result.valid, result.problems
    assert result.signature is not None
    assert result.signature.method == "explicit-curve arithmetic (brainpoolP224r1)"


def test_ber_indefinite_lengths_are_accepted(world: World) -> None:
    der = tlv.parse_one(pki.make_sod(world.dsc, world.dgs)).value
    for depth in (1, 3, 4):
        sod = b"\x77\x80" + pki.to_indefinite(der, depth) + b"\x00\x00"
        result = verify_passive(sod, world.dgs, world.trust(), AT)
        assert result.valid, (depth, result.problems)


@pytest.mark.parametrize(
    "sod",
    [b"", b"\x77\x00", b"\x30\x03\x02\x01\x00", b"\x77\x84\xff\xff\xff\xff", b"\x77\x80\x30\x80"],
)
def test_malformed_sods_fail_without_raising(world: World, sod: bytes) -> None:
    result = verify_passive(sod, world.dgs, world.trust(), AT)
    assert not result.valid
    assert result.checks["sod_parsed"] is False
    assert result.problems[0].startswith("sod_malformed")
    assert result.dg_hashes_valid == {1: False, 2: False, 14: False}
    assert result.to_json()["hash_algorithm"] is None


def test_the_log_carries_outcome_and_reasons_only(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="devices.epassport.passive_auth"):
        verify_passive(
            pki.make_sod(world.dsc, world.dgs),
            {},
            world.trust(),
            AT,
            issuing_country="IDN",
            required_dgs=(),
        )
    (record,) = caplog.records
    assert record.outcome == "invalid"  # type: ignore[attr-defined]
    assert record.reasons == ["document_country_mismatch"]  # type: ignore[attr-defined]
    assert "ERIKSSON" not in record.getMessage()


# --------------------------------------------------------------- certificate types


def _verify_with(csca: pki.Issued, dsc: pki.Issued, world: World, *, as_file: bool) -> object:
    store = TrustStore()
    if as_file:
        store.add_certificate(CertInfo.load(csca.der), source="operator file")
    else:  # a master-list entry: the list's signer is a proper CSCA given as a file
        root = pki.make_cert("ML Root", "UT", pki.rsa_key("mlroot"), ca=True)
        signer = pki.make_cert("ML Signer", "UT", pki.rsa_key("mls"), root, ca=False)
        store.add_certificate(CertInfo.load(root.der), source="root")
        store.add_master_list(
            pki.make_master_list(signer, [csca.der], embedded=[signer.der]), source="ml"
        )
    return verify_passive(pki.make_sod(dsc, world.dgs), world.dgs, store, AT)


def test_the_issuer_must_be_a_ca_with_key_cert_sign(world: World) -> None:
    key = pki.rsa_key("csca")  # the same key as the world's CSCA: only the profile differs
    not_ca = pki.make_cert(
        "CSCA Utopia", "UT", key, ca=False, basic_constraints=True, key_usage=("key_cert_sign",)
    )  # cA = FALSE, as 7 certificates of the German master list say
    no_kcs = pki.make_cert("CSCA Utopia", "UT", key, ca=True, key_usage=("crl_sign",))
    for issuer, problem in (
        (not_ca, "csca_issuer_not_a_ca"),
        (no_kcs, "csca_issuer_without_key_cert_sign"),
    ):
        # In a master list: found as the DSC's issuer, its signature verifies, refused.
        result = _verify_with(issuer, world.dsc, world, as_file=False)
        assert not result.valid  # type: ignore[attr-defined]
        assert result.checks["dsc_chain_valid"] is False  # type: ignore[attr-defined]
        assert problem in result.problems  # type: ignore[attr-defined]
        # Given as a file, it is not even taken as a CSCA (kept as a document signer).
        result = _verify_with(issuer, world.dsc, world, as_file=True)
        assert not result.valid  # type: ignore[attr-defined]
        assert "csca_not_in_trust" in result.problems  # type: ignore[attr-defined]


def test_a_legacy_csca_without_extensions_is_trusted_only_as_an_operator_file(world: World) -> None:
    legacy = pki.make_cert("CSCA Utopia", "UT", pki.rsa_key("csca"), ca=True, extensions=False)
    assert CertInfo.load(legacy.der).key_usage is None
    given = _verify_with(legacy, world.dsc, world, as_file=True)
    assert given.valid, given.problems  # type: ignore[attr-defined]
    listed = _verify_with(legacy, world.dsc, world, as_file=False)
    assert "csca_issuer_not_a_ca" in listed.problems  # type: ignore[attr-defined]


def test_a_legacy_csca_must_be_self_signed(world: World) -> None:
    # No extensions, given as a file, but issued by someone else: not a trust anchor.
    other = pki.make_cert("Elsewhere", "UT", pki.rsa_key("other"), ca=True)
    link = pki.make_cert("CSCA Utopia", "UT", pki.rsa_key("csca"), other, ca=True, extensions=False)
    assert CertInfo.load(link.der).issuer_problem(operator_anchor=True) == "issuer_not_a_ca"
    result = _verify_with(link, world.dsc, world, as_file=True)
    assert not result.valid  # type: ignore[attr-defined]
    assert "csca_not_in_trust" in result.problems  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("ca", "usage", "problem"),
    [
        (True, None, "dsc_is_a_ca"),
        (False, ("content_commitment",), "dsc_without_digital_signature"),
    ],
)
def test_the_dsc_must_be_a_document_signer(
    world: World, ca: bool, usage: tuple[str, ...] | None, problem: str
) -> None:
    dsc = pki.make_cert("DS Utopia", "UT", pki.rsa_key("dsc"), world.csca, ca=ca, key_usage=usage)
    result = verify_passive(pki.make_sod(dsc, world.dgs), world.dgs, world.trust(), AT)
    assert not result.valid
    assert result.checks["dsc_is_document_signer"] is False
    assert problem in result.problems
    no_usage = pki.make_cert(
        "DS Utopia", "UT", pki.rsa_key("dsc"), world.csca, ca=False, extensions=False
    )
    result = verify_passive(pki.make_sod(no_usage, world.dgs), world.dgs, world.trust(), AT)
    assert "dsc_without_digital_signature" in result.problems


def test_a_dsc_given_as_a_file_is_never_an_issuer(world: World) -> None:
    store = world.trust(world.dsc)
    assert CertInfo.load(world.dsc.der).fingerprint in {
        c.fingerprint for c in store.document_signers
    }
    assert all(c.fingerprint != CertInfo.load(world.dsc.der).fingerprint for c in store.anchors)
    # A "DSC" issued by the world's DSC (whose subject it names) finds no issuer.
    forged = pki.make_cert("DS Forged", "UT", pki.rsa_key("forged"), world.dsc, ca=False)
    result = verify_passive(pki.make_sod(forged, world.dgs), world.dgs, store, AT)
    assert not result.valid
    assert result.checks["dsc_chain_valid"] is False
    assert "csca_not_in_trust" in result.problems
    assert [s.kind for s in store.sources] == ["certificate", "document_signer"]

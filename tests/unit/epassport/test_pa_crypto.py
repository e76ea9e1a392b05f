"""Explicit-parameter EC keys, our ECDSA arithmetic, and the signature dispatcher."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from asn1crypto import algos  # type: ignore[import-untyped]
from asn1crypto import keys as ak
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.epassport.certinfo import CertInfo
from devices.epassport.ec import decode_point, ecdsa_verify, multiply, multiply_public
from devices.epassport.ec_curves import CURVES
from devices.epassport.publickeys import ec_key_from_spki
from devices.epassport.signatures import (
    UnsupportedAlgorithmError,
    digest,
    openssl_key,
    verify_signature,
)
from models.errors import MalformedDataError
from tests.unit.epassport import pki

SUPPORTED = {
    "secp256r1": ec.SECP256R1,
    "secp384r1": ec.SECP384R1,
    "brainpoolP256r1": ec.BrainpoolP256R1,
    "brainpoolP384r1": ec.BrainpoolP384R1,
    "brainpoolP512r1": ec.BrainpoolP512R1,
    "secp521r1": ec.SECP521R1,
}


@pytest.mark.parametrize("name", sorted(CURVES))
def test_every_curve_in_the_table_is_a_group_of_the_stated_order(name: str) -> None:
    curve = CURVES[name]
    assert curve.contains(curve.g)
    assert multiply_public(curve, curve.n, curve.g) is None
    assert multiply(curve, curve.n, curve.g) is None
    assert multiply_public(curve, curve.n - 1, curve.g) == (
        curve.gx,
        curve.p - curve.gy,
    )


@pytest.mark.parametrize("name", sorted(SUPPORTED))
def test_table_agrees_with_openssl_and_our_arithmetic_verifies_its_signatures(name: str) -> None:
    key = ec.generate_private_key(SUPPORTED[name]())
    numbers = key.public_key().public_numbers()
    curve = CURVES[name]
    ours = (numbers.x, numbers.y)
    assert curve.contains(ours)
    message = b"LDS security object"
    r, s = utils.decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
    assert ecdsa_verify(curve, ours, hashlib.sha256(message).digest(), r, s)
    assert not ecdsa_verify(curve, ours, hashlib.sha256(message + b"!").digest(), r, s)
    assert not ecdsa_verify(curve, ours, hashlib.sha256(message + b"!").digest(), r, curve.n - s)


def _spki(params: ak.ECDomainParameters, point: bytes) -> ak.PublicKeyInfo:
    return ak.PublicKeyInfo(
        {"algorithm": {"algorithm": "ec", "parameters": params}, "public_key": point}
    )


def test_explicit_parameters_map_to_the_named_curve() -> None:
    key = pki.ec_key("map", "brainpoolP256r1")
    numbers = key.public_key().public_numbers()
    point = b"\x04" + numbers.x.to_bytes(32, "big") + numbers.y.to_bytes(32, "big")
    explicit = ec_key_from_spki(
        _spki(
            ak.ECDomainParameters(name="specified", value=pki.specified_domain("brainpoolP256r1")),
            point,
        )
    )
    assert explicit.named_curve == "brainpoolP256r1" and explicit.explicit
    assert openssl_key(explicit) is not None
    named = ec_key_from_spki(
        _spki(ak.ECDomainParameters(name="named", value="1.3.36.3.3.2.8.1.1.7"), point)
    )
    assert (named.point, named.explicit) == (explicit.point, False)


@pytest.mark.parametrize("name", ["secp224r1", "brainpoolP224r1", "brainpoolP256r1"])
def test_compressed_points_decode_on_both_square_root_paths(name: str) -> None:
    # secp224r1 has p = 1 mod 4 (Tonelli-Shanks); brainpool primes are 3 mod 4.
    curve = CURVES[name]
    point = multiply(curve, 123456789, curve.g)
    assert point is not None
    size = (curve.p.bit_length() + 7) // 8
    compressed = bytes([2 + point[1] % 2]) + point[0].to_bytes(size, "big")
    assert decode_point(curve, compressed) == point


def test_points_off_the_curve_and_odd_encodings_are_refused() -> None:
    curve = CURVES["brainpoolP256r1"]
    good = b"\x04" + curve.gx.to_bytes(32, "big") + curve.gy.to_bytes(32, "big")
    with pytest.raises(MalformedDataError, match="not on its curve"):
        decode_point(curve, good[:-1] + bytes([good[-1] ^ 1]))
    with pytest.raises(MalformedDataError, match="encoding"):
        decode_point(curve, good[:-1])
    with pytest.raises(MalformedDataError, match="square root"):
        # x = 0 is not on brainpoolP256r1 iff b is a non-residue; find an x that is not.
        x = next(
            x
            for x in range(1, 50)
            if pow(x**3 + curve.a * x + curve.b, (curve.p - 1) // 2, curve.p) != 1
        )
        decode_point(curve, b"\x02" + x.to_bytes(32, "big"))


def test_a_custom_curve_with_a_wrong_order_is_refused() -> None:
    domain = pki.specified_domain("brainpoolP224r1")
    domain["order"] = CURVES["brainpoolP224r1"].n + 2
    curve = CURVES["brainpoolP224r1"]
    point = b"\x04" + curve.gx.to_bytes(28, "big") + curve.gy.to_bytes(28, "big")
    with pytest.raises(MalformedDataError, match=r"prime|order"):
        ec_key_from_spki(_spki(ak.ECDomainParameters(name="specified", value=domain), point))


def test_binary_field_parameters_are_refused() -> None:
    domain = pki.specified_domain("brainpoolP256r1")
    domain["field_id"] = {
        "field_type": "characteristic_two_field",
        "parameters": {"m": 163, "basis": "tp_basis", "parameters": 7},
    }
    with pytest.raises(MalformedDataError, match="binary field"):
        ec_key_from_spki(_spki(ak.ECDomainParameters(name="specified", value=domain), b"\x04"))


def test_a_curve_cryptography_lacks_is_verified_by_our_arithmetic() -> None:
    key = pki.ArithKey("brainpoolP224r1", 0xC0FFEE1234567890)
    point = key.point
    spki = _spki(
        ak.ECDomainParameters(name="specified", value=pki.specified_domain("brainpoolP224r1")),
        point,
    )
    message = b"signed attributes"
    signature = key.sign(message)
    algorithm = algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"})
    outcome = verify_signature(spki, algorithm, signature, message)
    assert outcome.valid and "arithmetic (brainpoolP224r1)" in outcome.method
    assert not verify_signature(spki, algorithm, signature, message + b"x").valid


@settings(max_examples=60, deadline=timedelta(seconds=2))
@given(
    r=st.integers(min_value=-5, max_value=2**260),
    s=st.integers(min_value=-5, max_value=2**260),
    data=st.binary(max_size=70),
)
def test_arithmetic_verification_never_raises(r: int, s: int, data: bytes) -> None:
    curve = CURVES["brainpoolP256r1"]
    assert ecdsa_verify(curve, curve.g, data, r, s) in (True, False)


# --------------------------------------------------------------- signature dispatcher


@pytest.fixture(scope="module")
def rsa_cert() -> tuple[pki.Issued, CertInfo]:
    issued = pki.make_cert("Signer", "UT", pki.rsa_key("sig"), ca=True)
    return issued, CertInfo.load(issued.der)


def _alg(spec: dict[str, object]) -> algos.SignedDigestAlgorithm:
    return algos.SignedDigestAlgorithm(spec)


def test_rsa_pkcs1_with_and_without_a_digest_in_the_algorithm(
    rsa_cert: tuple[pki.Issued, CertInfo],
) -> None:
    issued, info = rsa_cert
    sig = pki.sign_bytes(issued.key, b"m", "sha384")
    assert verify_signature(info.spki, _alg({"algorithm": "sha384_rsa"}), sig, b"m").valid
    bare = _alg({"algorithm": "rsassa_pkcs1v15"})
    assert verify_signature(info.spki, bare, sig, b"m", "sha384").valid
    assert not verify_signature(info.spki, bare, sig, b"m", "sha256").valid
    with pytest.raises(UnsupportedAlgorithmError):
        verify_signature(info.spki, bare, sig, b"m")  # no digest anywhere


def test_rsa_pss_parameters_are_honoured(rsa_cert: tuple[pki.Issued, CertInfo]) -> None:
    issued, info = rsa_cert
    key = issued.key
    assert not isinstance(key, pki.ArithKey | ec.EllipticCurvePrivateKey)
    sig = key.sign(
        b"m", padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=20), hashes.SHA512()
    )

    def pss(hash_name: str, salt: int) -> algos.SignedDigestAlgorithm:
        return _alg(
            {
                "algorithm": "rsassa_pss",
                "parameters": {
                    "hash_algorithm": {"algorithm": hash_name},
                    "mask_gen_algorithm": {
                        "algorithm": "mgf1",
                        "parameters": {"algorithm": hash_name},
                    },
                    "salt_length": salt,
                    "trailer_field": "trailer_field_bc",
                },
            }
        )

    assert verify_signature(info.spki, pss("sha512", 20), sig, b"m").valid
    assert not verify_signature(info.spki, pss("sha512", 32), sig, b"m").valid
    assert not verify_signature(info.spki, pss("sha256", 20), sig, b"m").valid


def test_key_type_mismatch_is_a_failed_signature(rsa_cert: tuple[pki.Issued, CertInfo]) -> None:
    _, info = rsa_cert
    outcome = verify_signature(info.spki, _alg({"algorithm": "sha256_ecdsa"}), b"\x30\x00", b"m")
    assert not outcome.valid and "mismatch" in outcome.method


def test_unknown_algorithms_and_bad_signature_encodings(
    rsa_cert: tuple[pki.Issued, CertInfo],
) -> None:
    _, info = rsa_cert
    with pytest.raises(UnsupportedAlgorithmError) as err:
        verify_signature(info.spki, _alg({"algorithm": "md5_rsa"}), b"", b"m")
    assert err.value.code == "document.unsupported_algorithm"
    ec_info = CertInfo.load(pki.make_cert("E", "UT", pki.ec_key("e"), ca=True).der)
    with pytest.raises(MalformedDataError, match="Ecdsa-Sig-Value"):
        verify_signature(ec_info.spki, _alg({"algorithm": "sha256_ecdsa"}), b"junk", b"m")
    plain = _alg({"algorithm": "0.4.0.127.0.7.1.1.4.1.3"})
    with pytest.raises(MalformedDataError, match="plain ECDSA"):
        verify_signature(ec_info.spki, plain, b"\x01" * 10, b"m")
    with pytest.raises(UnsupportedAlgorithmError):
        digest("md5", b"")


def test_small_rsa_keys_are_refused() -> None:
    small = pki.make_cert("S", "UT", pki.rsa_key("small", 1024), ca=True)
    info = CertInfo.load(small.der)
    sig = pki.sign_bytes(small.key, b"m")
    assert verify_signature(info.spki, _alg({"algorithm": "sha256_rsa"}), sig, b"m").valid
    tiny = ak.PublicKeyInfo.wrap(
        ak.RSAPublicKey({"modulus": 2**511 + 1, "public_exponent": 3}), "rsa"
    )
    with pytest.raises(MalformedDataError, match=r"out of range|does not load"):
        verify_signature(tiny, _alg({"algorithm": "sha256_rsa"}), b"\x00" * 64, b"m")

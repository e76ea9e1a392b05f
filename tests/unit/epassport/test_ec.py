"""The EC module against cryptography (where it has the curve) and group laws (everywhere)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec as crypto_ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.epassport import ec
from devices.epassport.domain import DH_GROUPS
from devices.epassport.ec_curves import CURVES
from models.errors import MalformedDataError

CRYPTOGRAPHY_CURVES = {
    "secp192r1": crypto_ec.SECP192R1(),
    "secp224r1": crypto_ec.SECP224R1(),
    "secp256r1": crypto_ec.SECP256R1(),
    "secp384r1": crypto_ec.SECP384R1(),
    "secp521r1": crypto_ec.SECP521R1(),
    "brainpoolP256r1": crypto_ec.BrainpoolP256R1(),
    "brainpoolP384r1": crypto_ec.BrainpoolP384R1(),
    "brainpoolP512r1": crypto_ec.BrainpoolP512R1(),
}


@pytest.mark.parametrize("name", sorted(CURVES))
def test_curve_constants(name: str) -> None:
    curve = CURVES[name]
    assert curve.contains(curve.g)
    assert ec.multiply(curve, curve.n, curve.g) is None
    assert ec.multiply(curve, curve.n - 1, curve.g) == ec.negate(curve, curve.g)
    assert ec.add(curve, curve.g, ec.negate(curve, curve.g)) is None
    assert ec.add(curve, None, curve.g) == curve.g


@pytest.mark.parametrize("name", sorted(CRYPTOGRAPHY_CURVES))
def test_public_keys_match_cryptography(name: str) -> None:
    curve = CURVES[name]
    for scalar in (1, 2, 3, curve.n - 2, 0x1234567890ABCDEF, ec.random_scalar(curve)):
        numbers = (
            crypto_ec.derive_private_key(scalar, CRYPTOGRAPHY_CURVES[name])
            .public_key()
            .public_numbers()
        )
        assert ec.multiply(curve, scalar, curve.g) == (numbers.x, numbers.y)


@pytest.mark.parametrize("name", ["secp256r1", "brainpoolP256r1", "secp521r1"])
def test_ecdsa_against_cryptography(name: str) -> None:
    curve = CURVES[name]
    key = crypto_ec.generate_private_key(CRYPTOGRAPHY_CURVES[name])
    numbers = key.public_key().public_numbers()
    public = (numbers.x, numbers.y)
    message = b"challenge"
    digest = hashlib.sha256(message).digest()
    r, s = decode_dss_signature(key.sign(message, crypto_ec.ECDSA(hashes.SHA256())))
    assert ec.ecdsa_verify(curve, public, digest, r, s)
    assert not ec.ecdsa_verify(curve, public, hashlib.sha256(b"other").digest(), r, s)
    assert not ec.ecdsa_verify(curve, public, digest, r, (s + 1) % curve.n)
    assert not ec.ecdsa_verify(curve, public, digest, 0, s)


@pytest.mark.parametrize("name", ["secp224r1", "brainpoolP256r1", "secp521r1"])
def test_compressed_points(name: str) -> None:
    curve = CURVES[name]
    point = ec.multiply(curve, 0xC0FFEE, curve.g)
    assert point is not None
    compressed = bytes([2 + (point[1] & 1)]) + point[0].to_bytes(curve.size, "big")
    assert ec.decode_point(curve, compressed) == point
    assert ec.decode_point(curve, ec.encode_point(curve, point)) == point


def test_invalid_points_are_refused() -> None:
    curve = CURVES["brainpoolP256r1"]
    good = ec.encode_point(curve, curve.g)
    off_curve = good[:-1] + bytes([good[-1] ^ 1])
    for bad in (off_curve, good[:-1], b"\x05" + good[1:], b"", b"\x04", b"\x02" + b"\xff" * 32):
        with pytest.raises(MalformedDataError):
            ec.decode_point(curve, bad)


@pytest.mark.parametrize("group_id", sorted(DH_GROUPS))
def test_rfc5114_groups(group_id: int) -> None:
    group = DH_GROUPS[group_id]
    assert group.q is not None
    assert pow(group.g, group.q, group.p) == 1
    assert (group.p - 1) % group.q == 0


@settings(max_examples=25, deadline=timedelta(seconds=5))
@given(st.integers(min_value=1, max_value=2**256), st.integers(min_value=1, max_value=2**256))
def test_scalar_multiplication_is_linear(a: int, b: int) -> None:
    curve = CURVES["brainpoolP256r1"]
    left = ec.multiply(curve, a + b, curve.g)
    right = ec.add(curve, ec.multiply(curve, a, curve.g), ec.multiply(curve, b, curve.g))
    assert left == right
    assert ec.multiply(curve, a, ec.multiply(curve, b, curve.g)) == ec.multiply(
        curve, b, ec.multiply(curve, a, curve.g)
    )

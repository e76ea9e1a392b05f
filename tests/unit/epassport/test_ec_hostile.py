"""Hostile EC and DH domain parameters: refused quickly with typed errors, never a hang.

Each of these inputs used to hang the reader forever (a square root over a composite
"prime"), or to escape as a raw ValueError. pytest-timeout turns a hang into a failure.
"""

from __future__ import annotations

import contextlib
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import core, keys, x509  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.epassport import active_auth, ec, oids, securityinfos, tlv
from devices.epassport.certinfo import CertInfo
from devices.epassport.ec_curves import CURVES, curve_from_explicit
from devices.epassport.errors import UnsupportedProtocolError
from devices.epassport.publickeys import ECPublicKey, parse_domain_parameters, parse_spki
from models.errors import MalformedDataError

pytestmark = pytest.mark.timeout(20)

TYPED = (MalformedDataError, UnsupportedProtocolError)
# A composite "prime" of 202 bits, 1 mod 4 (the Tonelli-Shanks path), and a 200-bit "order".
COMPOSITE_P = next(p for p in range(3 * (2**200 + 1), 3 * (2**200 + 1) + 100, 3) if p % 4 == 1)
P256 = CURVES["secp256r1"]


def specified(
    p: int, a: int, b: int, base: bytes, n: int, h: int | None = 1
) -> keys.SpecifiedECDomain:
    size = max(1, (p.bit_length() + 7) // 8)
    value: dict[str, object] = {
        "version": "ecdpVer1",
        "field_id": keys.FieldID({"field_type": "prime_field", "parameters": p}),
        "curve": keys.Curve({"a": a.to_bytes(size, "big"), "b": b.to_bytes(size, "big")}),
        "base": base,
        "order": n,
    }
    if h is not None:
        value["cofactor"] = h
    return keys.SpecifiedECDomain(value)


def ec_spki(domain: keys.SpecifiedECDomain, point: bytes) -> keys.PublicKeyInfo:
    params = keys.ECDomainParameters(name="specified", value=domain)
    return keys.PublicKeyInfo(
        {"algorithm": {"algorithm": "ec", "parameters": params}, "public_key": point}
    )


def card_access_with(domain: keys.SpecifiedECDomain) -> bytes:
    algo = keys.PublicKeyAlgorithm(
        {"algorithm": "ec", "parameters": keys.ECDomainParameters(name="specified", value=domain)}
    )
    info = securityinfos._info(f"{oids.ID_PACE}.2", algo, core.Integer(16))
    return securityinfos.encode_security_infos([info])


def test_the_66_byte_card_access_of_the_review_is_refused() -> None:
    # p = 21, compressed base point x = 0: y^2 = 1 has "roots" but no non-residue exists mod 21.
    data = card_access_with(specified(21, 1, 1, b"\x02\x00", 7))
    assert len(data) == 66
    with pytest.raises(MalformedDataError):
        securityinfos.parse_security_infos(data)


@pytest.mark.parametrize("compressed", [True, False])
def test_a_large_composite_field_is_refused_before_any_point_is_decoded(compressed: bool) -> None:
    size = (COMPOSITE_P.bit_length() + 7) // 8
    point = b"\x02" + bytes(size) if compressed else b"\x04" + bytes(2 * size)
    domain = specified(COMPOSITE_P, 1, 1, point, 2**199 + 1)
    with pytest.raises(MalformedDataError, match=r"range|prime|Hasse"):
        parse_spki(ec_spki(domain, point).dump())


def test_square_roots_are_bounded_whatever_the_modulus() -> None:
    assert ec.sqrt_mod(4, 23) in (2, 21)  # a real prime, p = 3 mod 4
    root = ec.sqrt_mod(10, 13)  # p = 1 mod 4: Tonelli-Shanks
    assert root is not None and root * root % 13 == 10
    assert ec.sqrt_mod(5, 13) is None  # a non-residue
    for composite in (21, 33, 65, COMPOSITE_P, 561 * 1105):
        with contextlib.suppress(MalformedDataError):
            ec.sqrt_mod(1, composite)


def test_custom_curve_checks_come_before_the_base_point() -> None:
    c = P256
    base = ec.encode_point(c, c.g)
    good = (c.p, c.a, c.b, c.n, 1, base)
    assert curve_from_explicit(*good) is c
    cases = {
        "field size": (c.p + 2, c.a, c.b, c.n, 1, base),  # p + 2 is not prime
        "coefficient": (c.p, c.a + c.p, c.b, c.n, 1, base),
        "cofactor": (c.p, c.a, c.b, c.n, 9, base),
        "order": (c.p, c.a, c.b, c.n + 2, 1, base),  # breaks primality of n
        "hasse": (c.p, c.a, c.b, c.n // 3, 1, base),
        "singular": (c.p, c.p - 3, 2, c.n, 1, base),  # 4(-3)^3 + 27*4 = 0
        "small": (2**127 - 1, 1, 1, 2**127 - 1, 1, b"\x02" + bytes(16)),
    }
    for why, args in cases.items():
        with pytest.raises(MalformedDataError):
            curve_from_explicit(*args)
        assert why


def test_a_custom_curve_that_passes_is_usable() -> None:
    # secp256r1's equation with generator 2G: not the table entry, checked as a custom curve.
    c = P256
    g2 = ec.multiply(c, 2, c.g)
    assert g2 is not None
    curve = curve_from_explicit(c.p, c.a, c.b, c.n, 1, ec.encode_point(c, g2))
    assert not curve.standard and curve.g == g2 and curve.name == "explicit-256"


def test_a_dsc_with_a_composite_field_key_loads_and_fails_verification_quickly() -> None:
    size = (COMPOSITE_P.bit_length() + 7) // 8
    point = b"\x02" + bytes(size)
    spki = ec_spki(specified(COMPOSITE_P, 1, 1, point, 2**199 + 1), point)
    name = x509.Name.build({"country_name": "UT", "common_name": "hostile DSC"})
    start = datetime(2020, 1, 1, tzinfo=UTC)
    when = x509.Time(name="utc_time", value=start)
    until = x509.Time(name="utc_time", value=start + timedelta(days=1))
    tbs = x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": 1,
            "signature": {"algorithm": "sha256_ecdsa"},
            "issuer": name,
            "validity": {"not_before": when, "not_after": until},
            "subject": name,
            "subject_public_key_info": spki,
        }
    )
    cert = x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": {"algorithm": "sha256_ecdsa"},
            "signature_value": b"\x30\x00",
        }
    )
    info = CertInfo.load(cert.dump())
    assert info.key_description == "ec (unreadable parameters)"
    with pytest.raises(MalformedDataError):  # Passive Authentication: signature_unverifiable
        info.verify_issued(info)


def test_a_dg15_with_a_composite_order_is_refused_and_ecdsa_never_raises() -> None:
    c = P256
    domain = specified(c.p, c.a, c.b, ec.encode_point(c, c.g), 2 * c.n)
    dg15 = tlv.encode(0x6F, ec_spki(domain, ec.encode_point(c, c.g)).dump())
    with pytest.raises(MalformedDataError):
        active_auth.parse_dg15(dg15)
    # Even on a curve object with a composite order, verification answers False, not ValueError.
    bad = ec.Curve("bad", c.p, c.a, c.b, c.gx, c.gy, 2 * c.n)
    digest = hashlib.sha256(b"x").digest()
    assert ec.ecdsa_verify(bad, c.g, digest, 1, 2) is False
    verdict = active_auth.verify(ECPublicKey(bad, c.g), b"12345678", (1).to_bytes(33, "big") * 2)
    assert not verdict.valid


def _dh_params(p: int, g: int, q: int) -> bytes:
    algo = keys.PublicKeyAlgorithm(
        {
            "algorithm": "1.2.840.10046.2.1",
            "parameters": keys.DomainParameters({"p": p, "g": g, "q": q}),
        }
    )
    return bytes(algo.dump())


@pytest.mark.parametrize(
    ("p", "g", "q"),
    [
        (2**1024 + 643, 2, 2),  # q = 2: randbelow(0) used to escape as ValueError
        (23, 2, 11),  # a toy group
        (2**1279 - 1, 3, 2**160 + 7),  # q does not divide p - 1
        ((1 << 5000) + 1, 2, 2**160 + 7),  # too large
    ],
)
def test_degenerate_dh_groups_are_refused_at_parsing(p: int, g: int, q: int) -> None:
    with pytest.raises(MalformedDataError):
        parse_domain_parameters(_dh_params(p, g, q))


# --------------------------------------------------------------- properties

small_or_composite = st.one_of(
    st.integers(2, 2**16),
    st.integers(2**159, 2**260).map(lambda v: v | 1),  # mostly composite, odd
    st.sampled_from([21, 33, 65, 561, COMPOSITE_P, P256.p, P256.p + 2]),
)


@settings(max_examples=150, deadline=timedelta(seconds=2))
@given(
    p=small_or_composite,
    a=st.integers(0, 2**64),
    b=st.integers(0, 2**64),
    x=st.integers(0, 2**260),
    odd=st.booleans(),
    n=small_or_composite,
    h=st.one_of(st.none(), st.integers(0, 16)),
)
def test_explicit_domains_with_compressed_points_never_hang(
    p: int, a: int, b: int, x: int, odd: bool, n: int, h: int | None
) -> None:
    size = max(1, (p.bit_length() + 7) // 8)
    point = bytes([2 + odd]) + (x % (1 << (8 * size))).to_bytes(size, "big")
    domain = specified(p, a % max(p, 1), b % max(p, 1), point, n, h)
    with contextlib.suppress(TYPED):
        parse_spki(ec_spki(domain, point).dump())
    with contextlib.suppress(TYPED):
        securityinfos.parse_security_infos(card_access_with(domain))


@settings(max_examples=100, deadline=timedelta(seconds=2))
@given(r=st.integers(-5, 2**300), s=st.integers(-5, 2**300), n=small_or_composite, data=st.binary())
def test_ecdsa_verification_is_total(r: int, s: int, n: int, data: bytes) -> None:
    c = P256
    curve = ec.Curve("any", c.p, c.a, c.b, c.gx, c.gy, n)
    assert ec.ecdsa_verify(curve, c.g, data, r, s) in (True, False)


@settings(max_examples=150, deadline=timedelta(seconds=2))
@given(p=small_or_composite.filter(lambda v: v > 3), x=st.integers(0, 2**260), odd=st.booleans())
def test_compressed_points_on_an_unvalidated_curve_are_bounded(p: int, x: int, odd: bool) -> None:
    # The second line of defence: even a Curve built around validate_domain never loops.
    curve = ec.Curve("raw", p, 1, 1, 0, 0, 7)
    point = bytes([2 + odd]) + (x % p).to_bytes(curve.size, "big")
    with contextlib.suppress(MalformedDataError):
        decoded = ec.decode_point(curve, point)
        assert curve.contains(decoded)

"""SubjectPublicKeyInfo of every key the ePassport code meets, parsed once, validated.

DG14 (Chip Authentication), DG15 (Active Authentication), PACE/CA domain parameters
in EF.CardAccess and DG14, and CSCA/DSC certificates (Passive Authentication) all
come through here. EC keys often carry *explicit* domain parameters (brainpool curves
spelled out), which ``cryptography`` does not load; they are matched to the curve
table or validated as custom curves by :mod:`devices.epassport.ec_curves` before any
point is decoded. DH keys are ``dhpublicnumber`` (X9.42: p, g, q), checked for sizes,
primality of q and the subgroup; RSA keys are ``rsaEncryption``. Anything malformed
raises MalformedDataError, anything unknown UnsupportedProtocolError; this never
loops and never lets a built-in exception out.
"""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import core, keys  # type: ignore[import-untyped]

from devices.epassport import ec, oids
from devices.epassport.asn1_errors import ASN1_ERRORS
from devices.epassport.domain import DH_GROUPS, DHDomain, DHGroup, Domain, ECDomain, standard_domain
from devices.epassport.ec_curves import curve_from_explicit, named_curve
from devices.epassport.errors import UnsupportedProtocolError
from devices.epassport.pa_params import (
    MAX_DH_BITS,
    MAX_RSA_BITS,
    MIN_DH_BITS,
    MIN_DH_ORDER_BITS,
    MIN_RSA_BITS,
)
from models.errors import MalformedDataError


@dataclass(frozen=True, slots=True)
class ECPublicKey:
    curve: ec.Curve
    point: ec.Point
    explicit: bool = False  # the key spelled its curve out (SpecifiedECDomain)

    @property
    def domain(self) -> ECDomain:
        return ECDomain(self.curve)

    @property
    def encoded(self) -> bytes:
        return ec.encode_point(self.curve, self.point)

    @property
    def algorithm(self) -> str:
        return f"EC {self.curve.name}"

    @property
    def named_curve(self) -> str | None:
        """The matching standard curve's name, or None for a custom curve."""
        return self.curve.name if self.curve.standard else None


@dataclass(frozen=True, slots=True)
class DHPublicKey:
    group: DHGroup
    y: int

    @property
    def domain(self) -> DHDomain:
        return DHDomain(self.group)

    @property
    def encoded(self) -> bytes:
        return self.y.to_bytes(self.group.size, "big")

    @property
    def algorithm(self) -> str:
        return f"DH {self.group.p.bit_length()}-bit"


@dataclass(frozen=True, slots=True)
class RSAPublicKey:
    n: int
    e: int

    @property
    def algorithm(self) -> str:
        return f"RSA {self.n.bit_length()}-bit"


PublicKey = ECPublicKey | DHPublicKey | RSAPublicKey


def _curve_from_specified(spec: keys.SpecifiedECDomain) -> ec.Curve:
    if spec["field_id"]["field_type"].native != "prime_field":
        raise MalformedDataError("EC parameters over a binary field are not supported")
    p = int(spec["field_id"]["parameters"].native)
    a = int.from_bytes(spec["curve"]["a"].native, "big")
    b = int.from_bytes(spec["curve"]["b"].native, "big")
    n = int(spec["order"].native)
    cofactor = spec["cofactor"].native
    base = bytes(spec["base"].native)
    return curve_from_explicit(p, a, b, n, None if cofactor is None else int(cofactor), base)


def ec_curve(params: keys.ECDomainParameters) -> tuple[ec.Curve, bool]:
    """The curve of EC domain parameters and whether they were explicit."""
    if params.name == "named":
        return named_curve(params.chosen.dotted), False
    if params.name == "specified":
        return _curve_from_specified(params.chosen), True
    raise MalformedDataError("EC key with implicitlyCA parameters has no curve")


def ec_key_from_spki(spki: keys.PublicKeyInfo) -> ECPublicKey:
    """The EC key of a parsed SubjectPublicKeyInfo (certificates: Passive Authentication)."""
    try:
        if spki["algorithm"]["algorithm"].dotted != oids.EC_PUBLIC_KEY:
            raise MalformedDataError(f"not an EC key: {spki['algorithm']['algorithm'].native}")
        params = keys.ECDomainParameters.load(spki["algorithm"]["parameters"].dump())
        curve, explicit = ec_curve(params)
        return ECPublicKey(curve, ec.decode_point(curve, bytes(spki["public_key"])), explicit)
    except ASN1_ERRORS as exc:
        raise MalformedDataError("EC public key does not parse") from exc


def _dh_group(params: keys.DomainParameters) -> DHGroup:
    p, g = int(params["p"].native), int(params["g"].native)
    q_value = params["q"].native
    if q_value is None:
        raise MalformedDataError("DH domain parameters without the subgroup order q")
    q = int(q_value)
    for known in DH_GROUPS.values():
        if (known.p, known.g, known.q) == (p, g, q):
            return known
    if not MIN_DH_BITS <= p.bit_length() <= MAX_DH_BITS:
        raise MalformedDataError(f"DH modulus of {p.bit_length()} bits is out of range")
    if not MIN_DH_ORDER_BITS <= q.bit_length() < p.bit_length() or p % 2 == 0:
        raise MalformedDataError("DH subgroup order is out of range")
    if not 1 < g < p - 1 or (p - 1) % q:
        raise MalformedDataError("DH domain parameters are degenerate")
    if not ec.probably_prime(q) or pow(g, q, p) != 1:
        raise MalformedDataError("DH generator does not generate a prime-order subgroup")
    if not ec.probably_prime(p):
        raise MalformedDataError("DH modulus is not prime")
    return DHGroup(f"DH {p.bit_length()}-bit", p, g, q)


def parse_spki(der: bytes) -> PublicKey:
    """Parse a DER SubjectPublicKeyInfo into one of our key types."""
    try:
        spki = keys.PublicKeyInfo.load(der, strict=True)
        algorithm = spki["algorithm"]["algorithm"].dotted
        if algorithm == oids.EC_PUBLIC_KEY:
            return ec_key_from_spki(spki)
        if algorithm == oids.DH_PUBLIC_NUMBER:
            group = _dh_group(keys.DomainParameters.load(spki["algorithm"]["parameters"].dump()))
            raw = spki["public_key"].native
            y = int(core.Integer.load(bytes(raw)).native) if isinstance(raw, bytes) else int(raw)
            if not 0 < y < group.p:
                raise MalformedDataError("DH public value out of range")
            DHDomain(group).decode_public(y.to_bytes(group.size, "big"))
            return DHPublicKey(group, y)
        if algorithm == oids.RSA_ENCRYPTION:
            rsa = spki["public_key"].parsed
            n, e = int(rsa["modulus"].native), int(rsa["public_exponent"].native)
            if not MIN_RSA_BITS // 2 <= n.bit_length() <= MAX_RSA_BITS or e < 3 or e % 2 == 0:
                raise MalformedDataError("RSA public key is out of range or has a bad exponent")
            return RSAPublicKey(n, e)
    except ASN1_ERRORS as exc:
        raise MalformedDataError("SubjectPublicKeyInfo does not parse") from exc
    raise UnsupportedProtocolError(
        f"public key algorithm {algorithm} is not supported", what=algorithm
    )


def parse_domain_parameters(der: bytes) -> Domain:
    """An AlgorithmIdentifier with explicit domain parameters (PACE/CA DomainParameterInfo)."""
    try:
        algo = keys.PublicKeyAlgorithm.load(der, strict=True)
        oid = algo["algorithm"].dotted
        params = algo["parameters"]
        if oid == oids.STANDARDIZED_DOMAIN_PARAMETERS:
            return standard_domain(int(core.Integer.load(params.dump()).native))
        if oid == oids.EC_PUBLIC_KEY:
            return ECDomain(ec_curve(keys.ECDomainParameters.load(params.dump()))[0])
        if oid == oids.DH_PUBLIC_NUMBER:
            return DHDomain(_dh_group(keys.DomainParameters.load(params.dump())))
    except ASN1_ERRORS as exc:
        raise MalformedDataError("domain parameters do not parse") from exc
    raise UnsupportedProtocolError(f"domain parameters {oid} are not supported", what=oid)


# ---------------------------------------------------------------- encoding (virtual chip)


def _explicit_ec_parameters(curve: ec.Curve) -> keys.ECDomainParameters:
    size = curve.size
    return keys.ECDomainParameters(
        name="specified",
        value=keys.SpecifiedECDomain(
            {
                "version": "ecdpVer1",
                "field_id": keys.FieldID({"field_type": "prime_field", "parameters": curve.p}),
                "curve": keys.Curve(
                    {"a": curve.a.to_bytes(size, "big"), "b": curve.b.to_bytes(size, "big")}
                ),
                "base": ec.encode_point(curve, curve.g),
                "order": curve.n,
                "cofactor": curve.h,
            }
        ),
    )


def ec_parameters(curve: ec.Curve, *, explicit: bool) -> keys.ECDomainParameters:
    if not explicit and curve.standard:
        return keys.ECDomainParameters(name="named", value=curve.oid)
    return _explicit_ec_parameters(curve)


def encode_spki(key: PublicKey, *, explicit: bool = True) -> bytes:
    return bytes(_spki(key, explicit=explicit).dump())


def _spki(key: PublicKey, *, explicit: bool) -> keys.PublicKeyInfo:
    if isinstance(key, ECPublicKey):
        return keys.PublicKeyInfo(
            {
                "algorithm": {
                    "algorithm": "ec",
                    "parameters": ec_parameters(key.curve, explicit=explicit),
                },
                "public_key": key.encoded,
            }
        )
    if isinstance(key, DHPublicKey):
        params = keys.DomainParameters({"p": key.group.p, "g": key.group.g, "q": key.group.q or 0})
        return keys.PublicKeyInfo(
            {
                "algorithm": {"algorithm": "dh", "parameters": params},
                "public_key": core.Integer(key.y),
            }
        )
    return keys.PublicKeyInfo(
        {
            "algorithm": {"algorithm": "rsa"},
            "public_key": keys.RSAPublicKey({"modulus": key.n, "public_exponent": key.e}),
        }
    )

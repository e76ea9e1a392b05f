"""SubjectPublicKeyInfo of DG14 (Chip Authentication) and DG15 (Active Authentication) keys.

ePassports often encode EC keys with *explicit* domain parameters (brainpool curves
spelled out), which ``cryptography`` does not load; we parse them with asn1crypto into
our own :mod:`ec` curves. DH keys are ``dhpublicnumber`` (X9.42: p, g, q), RSA keys are
``rsaEncryption``. Anything malformed raises MalformedDataError, anything unknown
UnsupportedProtocolError.
"""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import core, keys  # type: ignore[import-untyped]

from devices.epassport import ec, oids
from devices.epassport.domain import DH_GROUPS, DHDomain, DHGroup, Domain, ECDomain, standard_domain
from devices.epassport.errors import UnsupportedProtocolError
from models.errors import MalformedDataError

ASN1_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError)
"""What asn1crypto raises on malformed input; translated to MalformedDataError at our boundary."""


@dataclass(frozen=True, slots=True)
class ECPublicKey:
    curve: ec.Curve
    point: ec.Point

    @property
    def domain(self) -> ECDomain:
        return ECDomain(self.curve)

    @property
    def encoded(self) -> bytes:
        return ec.encode_point(self.curve, self.point)

    @property
    def algorithm(self) -> str:
        return f"EC {self.curve.name}"


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


def _curve_from_explicit(spec: keys.SpecifiedECDomain) -> ec.Curve:
    if spec["field_id"]["field_type"].native != "prime_field":
        raise UnsupportedProtocolError("EC keys over binary fields are not supported", what="f2m")
    p = int(spec["field_id"]["parameters"].native)
    a = int.from_bytes(spec["curve"]["a"].native, "big")
    b = int.from_bytes(spec["curve"]["b"].native, "big")
    n = int(spec["order"].native)
    cofactor = spec["cofactor"].native
    h = int(cofactor) if cofactor is not None else 1
    if p < 5 or p % 2 == 0 or n < 2 or h < 1 or (4 * a**3 + 27 * b**2) % p == 0:
        raise MalformedDataError("explicit EC domain parameters are degenerate")
    provisional = ec.Curve("explicit", p, a % p, b % p, 0, 0, n, h)
    gx, gy = ec.decode_point(provisional, spec["base"].native)
    curve = ec.Curve(f"explicit-{p.bit_length()}", p, a % p, b % p, gx, gy, n, h)
    for known in ec.CURVES.values():
        if known.same_parameters(curve):
            return known
    return curve


def _ec_curve(params: keys.ECDomainParameters) -> ec.Curve:
    if params.name == "named":
        oid = params.chosen.dotted
        name = oids.NAMED_CURVE_OIDS.get(oid)
        if name is None:
            raise UnsupportedProtocolError(f"named curve {oid} is not supported", what=oid)
        return ec.CURVES[name]
    if params.name == "specified":
        return _curve_from_explicit(params.chosen)
    raise MalformedDataError("EC key without domain parameters")


def _dh_group(params: keys.DomainParameters) -> DHGroup:
    p, g, q = (int(params[k].native) for k in ("p", "g", "q"))
    if p < 5 or not 1 < g < p - 1 or q < 2:
        raise MalformedDataError("DH domain parameters are degenerate")
    for known in DH_GROUPS.values():
        if (known.p, known.g, known.q) == (p, g, q):
            return known
    return DHGroup(f"DH {p.bit_length()}-bit", p, g, q)


def parse_spki(der: bytes) -> PublicKey:
    """Parse a DER SubjectPublicKeyInfo into one of our key types."""
    try:
        spki = keys.PublicKeyInfo.load(der, strict=True)
        algorithm = spki["algorithm"]["algorithm"].dotted
        if algorithm == oids.EC_PUBLIC_KEY:
            curve = _ec_curve(keys.ECDomainParameters.load(spki["algorithm"]["parameters"].dump()))
            return ECPublicKey(curve, ec.decode_point(curve, bytes(spki["public_key"].native)))
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
            if n < 2**511 or e < 3 or e % 2 == 0:
                raise MalformedDataError("RSA public key is too small or has a bad exponent")
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
            return ECDomain(_ec_curve(keys.ECDomainParameters.load(params.dump())))
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
    if not explicit and curve.name in oids.CURVE_OIDS:
        return keys.ECDomainParameters(name="named", value=oids.CURVE_OIDS[curve.name])
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

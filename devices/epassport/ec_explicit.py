"""EC public keys with explicit domain parameters, and ECDSA verification for them.

The ``cryptography`` package loads EC keys only on named curves. eMRTD PKIs
often encode keys with EXPLICIT parameters (RFC 3279 ``SpecifiedECDomain``),
so we handle them in two steps:

1. **Map to a named curve** (preferred): the prime, a, b, generator, order and
   cofactor are compared with the table in :mod:`devices.epassport.ec_curves`.
   On a match that ``cryptography`` supports, the key is rebuilt on the named
   curve and verification is done by OpenSSL through ``cryptography``.
2. **Own arithmetic** (fallback): for prime-field curves that ``cryptography``
   lacks (brainpoolP160/192/224/320r1, the ``t1`` twists, custom curves), ECDSA
   is verified here in Jacobian coordinates with Python integers. Verification
   uses only public values, so constant time is not needed. The parameters are
   sanity-checked first (field size, generator on the curve, n·G = O).

Binary-field (characteristic 2) curves are not supported; none appears in the
German or Dutch master lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from asn1crypto import keys as asn1_keys  # type: ignore[import-untyped]
from cryptography.hazmat.primitives.asymmetric import ec

from devices.epassport.ec_curves import BY_OID, CURVES, CurveParams
from devices.epassport.pa_params import MAX_EC_FIELD_BITS, MIN_EC_FIELD_BITS
from models.errors import MalformedDataError

# Curves that cryptography (OpenSSL) can verify on directly.
_CRYPTOGRAPHY_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "secp192r1": ec.SECP192R1,
    "secp224r1": ec.SECP224R1,
    "secp256r1": ec.SECP256R1,
    "secp384r1": ec.SECP384R1,
    "secp521r1": ec.SECP521R1,
    "secp256k1": ec.SECP256K1,
    "brainpoolP256r1": ec.BrainpoolP256R1,
    "brainpoolP384r1": ec.BrainpoolP384R1,
    "brainpoolP512r1": ec.BrainpoolP512R1,
}

_BY_DOMAIN: dict[tuple[int, int, int, int, int, int], CurveParams] = {
    (c.p, c.a, c.b, c.gx, c.gy, c.n): c for c in CURVES.values()
}


@dataclass(frozen=True, slots=True)
class ECKey:
    """An EC public key: its curve, its point, and whether the curve was explicit."""

    curve: CurveParams
    x: int
    y: int
    explicit: bool

    @property
    def named_curve(self) -> str | None:
        """The name of the matching standard curve, or ``None`` for a custom curve."""
        return self.curve.name or None

    def cryptography_key(self) -> ec.EllipticCurvePublicKey | None:
        """The key on a curve ``cryptography`` supports, or ``None`` (use :func:`verify_ecdsa`)."""
        cls = _CRYPTOGRAPHY_CURVES.get(self.curve.name)
        if cls is None:
            return None
        try:
            return ec.EllipticCurvePublicNumbers(self.x, self.y, cls()).public_key()
        except ValueError as exc:
            raise MalformedDataError(f"EC point not on {self.curve.name}") from exc


def _int(octets: bytes) -> int:
    return int.from_bytes(octets, "big")


def _sqrt_mod(value: int, p: int) -> int:
    """A square root of ``value`` modulo the odd prime ``p`` (Tonelli-Shanks)."""
    value %= p
    if value == 0:
        return 0
    if pow(value, (p - 1) // 2, p) != 1:
        raise MalformedDataError("compressed EC point has no square root")
    if p % 4 == 3:
        return pow(value, (p + 1) // 4, p)
    q, s = p - 1, 0
    while q % 2 == 0:
        q, s = q // 2, s + 1
    z = 2
    while pow(z, (p - 1) // 2, p) != p - 1:
        z += 1
    m, c, t, r = s, pow(z, q, p), pow(value, q, p), pow(value, (q + 1) // 2, p)
    while t != 1:
        i, t2 = 0, t
        while t2 != 1:
            t2, i = t2 * t2 % p, i + 1
            if i == m:
                raise MalformedDataError("compressed EC point has no square root")
        b = pow(c, 1 << (m - i - 1), p)
        m, c, t, r = i, b * b % p, t * b * b % p, r * b % p
    return r


def decode_point(octets: bytes, curve: CurveParams) -> tuple[int, int]:
    """SEC 1 point decoding (uncompressed 04, compressed 02/03), checked to lie on the curve."""
    size = (curve.p.bit_length() + 7) // 8
    if len(octets) == 1 + 2 * size and octets[0] == 4:
        x, y = _int(octets[1 : 1 + size]), _int(octets[1 + size :])
    elif len(octets) == 1 + size and octets[0] in (2, 3):
        x = _int(octets[1:])
        if x >= curve.p:
            raise MalformedDataError("compressed EC point out of range")
        y = _sqrt_mod(x * x * x + curve.a * x + curve.b, curve.p)
        if y % 2 != octets[0] % 2:
            y = curve.p - y
    else:
        raise MalformedDataError(f"EC point encoding of {len(octets)} bytes not understood")
    if not on_curve(curve, x, y):
        raise MalformedDataError("EC point is not on its curve")
    return x, y


def on_curve(curve: CurveParams, x: int, y: int) -> bool:
    p = curve.p
    return 0 <= x < p and 0 <= y < p and (y * y - (x * x * x + curve.a * x + curve.b)) % p == 0


def _specified_curve(params: asn1_keys.SpecifiedECDomain) -> tuple[CurveParams, bool]:
    """The curve of explicit parameters: the table entry on a match, else a checked custom curve."""
    field = params["field_id"]
    if field["field_type"].native != "prime_field":
        raise MalformedDataError("EC parameters over a binary field are not supported")
    p = int(field["parameters"].native)
    a = _int(params["curve"]["a"].native)
    b = _int(params["curve"]["b"].native)
    n = int(params["order"].native)
    cofactor = params["cofactor"].native
    h = int(cofactor) if cofactor is not None else 1
    if not MIN_EC_FIELD_BITS <= p.bit_length() <= MAX_EC_FIELD_BITS:
        raise MalformedDataError(f"EC field of {p.bit_length()} bits is out of range")
    if p % 2 == 0 or n <= 1 or h <= 0:
        raise MalformedDataError("EC parameters are not a valid prime-field curve")
    provisional = CurveParams("", "", p, a % p, b % p, 0, 0, n, h)
    gx, gy = decode_point(bytes(params["base"].native), provisional)
    known = _BY_DOMAIN.get((p, a % p, b % p, gx, gy, n))
    if known is not None and known.h == h:
        return known, True
    custom = CurveParams("", "", p, a % p, b % p, gx, gy, n, h)
    _check_custom_curve(custom)
    return custom, True


@lru_cache(maxsize=64)
def _check_custom_curve(curve: CurveParams) -> None:
    """Reject parameters that cannot be a curve with a generator of order n."""
    if curve.n.bit_length() < MIN_EC_FIELD_BITS - 8 or curve.n > 2 * curve.p + 1:
        raise MalformedDataError("EC group order out of range")
    if not _probably_prime(curve.p) or not _probably_prime(curve.n):
        raise MalformedDataError("EC field size or group order is not prime")
    if _mul(curve, curve.n, (curve.gx, curve.gy)) is not None:
        raise MalformedDataError("EC generator does not have the stated order")


def _probably_prime(n: int) -> bool:
    """Deterministic Miller-Rabin bases; error below 2^-80 for the sizes we accept."""
    if n < 2:
        return False
    small = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47)
    for q in small:
        if n % q == 0:
            return n == q
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for base in small:
        x = pow(base, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def ec_key_from_spki(spki: asn1_keys.PublicKeyInfo) -> ECKey:
    """The EC key in a SubjectPublicKeyInfo, whatever way its curve is given."""
    if spki.algorithm != "ec":
        raise MalformedDataError(f"not an EC key: {spki.algorithm}")
    params = spki["algorithm"]["parameters"]
    if params.name == "named":
        oid = params.chosen.dotted
        curve = BY_OID.get(oid)
        if curve is None:
            raise MalformedDataError(f"unknown named EC curve {oid}")
        explicit = False
    elif params.name == "specified":
        curve, explicit = _specified_curve(params.chosen)
    else:
        raise MalformedDataError("EC key with implicitly-CA parameters has no curve")
    x, y = decode_point(bytes(spki["public_key"]), curve)
    return ECKey(curve, x, y, explicit)


# ------------------------------------------------------------------ own ECDSA arithmetic
_Jacobian = tuple[int, int, int]
_Affine = tuple[int, int]


def _double(curve: CurveParams, pt: _Jacobian) -> _Jacobian:
    x, y, z = pt
    p = curve.p
    if y == 0 or z == 0:
        return (1, 1, 0)
    yy = y * y % p
    s = 4 * x * yy % p
    zz = z * z % p
    m = (3 * x * x + curve.a * zz * zz) % p
    nx = (m * m - 2 * s) % p
    ny = (m * (s - nx) - 8 * yy * yy) % p
    nz = 2 * y * z % p
    return (nx, ny, nz)


def _add(curve: CurveParams, p1: _Jacobian, p2: _Jacobian) -> _Jacobian:
    if p1[2] == 0:
        return p2
    if p2[2] == 0:
        return p1
    p = curve.p
    x1, y1, z1 = p1
    x2, y2, z2 = p2
    z1z1, z2z2 = z1 * z1 % p, z2 * z2 % p
    u1, u2 = x1 * z2z2 % p, x2 * z1z1 % p
    s1, s2 = y1 * z2 * z2z2 % p, y2 * z1 * z1z1 % p
    if u1 == u2:
        return _double(curve, p1) if s1 == s2 else (1, 1, 0)
    h = (u2 - u1) % p
    hh = h * h % p
    hhh = h * hh % p
    r = (s2 - s1) % p
    v = u1 * hh % p
    nx = (r * r - hhh - 2 * v) % p
    ny = (r * (v - nx) - s1 * hhh) % p
    nz = h * z1 * z2 % p
    return (nx, ny, nz)


def _to_affine(curve: CurveParams, pt: _Jacobian) -> _Affine | None:
    x, y, z = pt
    if z == 0:
        return None
    zinv = pow(z, -1, curve.p)
    zinv2 = zinv * zinv % curve.p
    return (x * zinv2 % curve.p, y * zinv2 * zinv % curve.p)


def _mul(curve: CurveParams, k: int, point: _Affine) -> _Affine | None:
    return _mul2(curve, k, point, 0, point)


def _mul2(curve: CurveParams, k1: int, p1: _Affine, k2: int, p2: _Affine) -> _Affine | None:
    """k1·P1 + k2·P2 by Shamir's trick (one pass over the bits of both scalars)."""
    j1: _Jacobian = (p1[0], p1[1], 1)
    j2: _Jacobian = (p2[0], p2[1], 1)
    both = _add(curve, j1, j2)
    acc: _Jacobian = (1, 1, 0)
    for bit in range(max(k1.bit_length(), k2.bit_length()) - 1, -1, -1):
        acc = _double(curve, acc)
        b1, b2 = (k1 >> bit) & 1, (k2 >> bit) & 1
        if b1 and b2:
            acc = _add(curve, acc, both)
        elif b1:
            acc = _add(curve, acc, j1)
        elif b2:
            acc = _add(curve, acc, j2)
    return _to_affine(curve, acc)


def _digest_to_int(digest: bytes, n: int) -> int:
    """The leftmost bits of the digest, as many as the order has (SEC 1 §4.1.4 step 5)."""
    e = _int(digest)
    excess = len(digest) * 8 - n.bit_length()
    return e >> excess if excess > 0 else e


def verify_ecdsa(key: ECKey, r: int, s: int, digest: bytes) -> bool:
    """ECDSA verification (SEC 1 §4.1.4) on any prime-field curve; True iff the signature holds."""
    curve = key.curve
    n = curve.n
    if not (0 < r < n and 0 < s < n):
        return False
    e = _digest_to_int(digest, n)
    w = pow(s, -1, n)
    point = _mul2(curve, e * w % n, (curve.gx, curve.gy), r * w % n, (key.x, key.y))
    if point is None:
        return False
    return point[0] % n == r

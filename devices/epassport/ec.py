"""Elliptic-curve arithmetic over prime fields, for every EC use of the ePassport code.

PACE (mapped generators, G~ = s*G + H), Chip Authentication (DG14 keys, often with
explicit domain parameters), Active Authentication (DG15) and Passive Authentication
(CSCA/DSC keys on curves ``cryptography`` does not load: brainpoolP224r1, the ``t1``
twists, explicit parameters) all use this one module. Short Weierstrass curves
y^2 = x^3 + ax + b over GF(p); points are affine ``(x, y)`` tuples and ``None`` is the
point at infinity; arithmetic runs in Jacobian coordinates.

Curves from untrusted input (a chip's EF.CardAccess or DG14, a certificate) reach the
arithmetic only through :func:`validate_domain` (see
:func:`devices.epassport.ec_curves.curve_from_explicit`): a field that is not a prime
of a sane size would make square roots loop and inverses fail. As a second line of
defence, the square root itself is bounded (:data:`~pa_params.MAX_NONRESIDUE_SEARCH`)
and raises MalformedDataError instead of looping.

Scalar multiplication with a secret scalar (:func:`multiply`) is a Montgomery ladder
with a fixed number of steps; signature verification uses Shamir's trick on public
values. Python integers are not constant-time: on the reader side the scalars are
ephemeral, and the virtual chip is a test device.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from functools import lru_cache

from devices.epassport.pa_params import (
    EC_MAX_COFACTOR,
    MAX_EC_FIELD_BITS,
    MAX_NONRESIDUE_SEARCH,
    MILLER_RABIN_RANDOM_ROUNDS,
    MIN_EC_FIELD_BITS,
    MIN_EC_ORDER_BITS,
)
from models.errors import MalformedDataError

Point = tuple[int, int]
_Jac = tuple[int, int, int]
_INFINITY: _Jac = (0, 1, 0)


@dataclass(frozen=True, slots=True)
class Curve:
    """y^2 = x^3 + ax + b over GF(p), base point G of prime order n, cofactor h.

    ``oid`` is the named curve's object identifier; empty for a custom curve.
    """

    name: str
    p: int
    a: int
    b: int
    gx: int
    gy: int
    n: int
    h: int = 1
    oid: str = ""

    @property
    def g(self) -> Point:
        return (self.gx, self.gy)

    @property
    def size(self) -> int:
        """Bytes of a field element (coordinate)."""
        return (self.p.bit_length() + 7) // 8

    @property
    def order_size(self) -> int:
        return (self.n.bit_length() + 7) // 8

    @property
    def standard(self) -> bool:
        """A curve of the table (named), not custom explicit parameters."""
        return bool(self.oid)

    def contains(self, point: Point) -> bool:
        x, y = point
        if not (0 <= x < self.p and 0 <= y < self.p):
            return False
        return (y * y - (x * x * x + self.a * x + self.b)) % self.p == 0

    def same_parameters(self, other: Curve) -> bool:
        return (self.p, self.a, self.b, self.gx, self.gy, self.n, self.h) == (
            other.p,
            other.a,
            other.b,
            other.gx,
            other.gy,
            other.n,
            other.h,
        )


# ------------------------------------------------------------------------ primality


_SMALL_PRIMES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71)


def _strong_probable_prime(n: int, base: int, d: int, s: int) -> bool:
    x = pow(base, d, n)
    if x in (1, n - 1):
        return True
    for _ in range(s - 1):
        x = x * x % n
        if x == n - 1:
            return True
    return False


@lru_cache(maxsize=256)
def probably_prime(n: int) -> bool:
    """Miller-Rabin with the first 20 prime bases and random ones.

    The fixed bases make the answer exact below 3.3e24; the random bases (an
    adversary cannot choose a composite that fools bases it does not know) bound
    the error for larger inputs to 4^-MILLER_RABIN_RANDOM_ROUNDS.
    """
    if n < 2:
        return False
    for q in _SMALL_PRIMES:
        if n % q == 0:
            return n == q
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    bases = list(_SMALL_PRIMES)
    if n.bit_length() > 80:
        bases += [secrets.randbelow(n - 3) + 2 for _ in range(MILLER_RABIN_RANDOM_ROUNDS)]
    return all(_strong_probable_prime(n, base, d, s) for base in bases)


def validate_domain(p: int, a: int, b: int, n: int, h: int) -> None:
    """Raise MalformedDataError unless (p, a, b, n, h) can be a curve group we compute in.

    Checked before any point is decoded: p a prime of MIN..MAX_EC_FIELD_BITS bits;
    a and b field elements (0 <= a, b < p); a non-zero discriminant; n a prime of at
    least MIN_EC_ORDER_BITS bits other than p (anomalous curves); 1 <= h <= EC_MAX_COFACTOR;
    and n*h within the Hasse interval p + 1 +- 2 sqrt(p).
    """
    if not MIN_EC_FIELD_BITS <= p.bit_length() <= MAX_EC_FIELD_BITS:
        raise MalformedDataError(f"EC field of {p.bit_length()} bits is out of range")
    if not (0 <= a < p and 0 <= b < p):
        raise MalformedDataError("EC curve coefficient is not a field element")
    if not 1 <= h <= EC_MAX_COFACTOR:
        raise MalformedDataError(f"EC cofactor {h} is out of range")
    if not MIN_EC_ORDER_BITS <= n.bit_length() <= p.bit_length() + 1:
        raise MalformedDataError(f"EC group order of {n.bit_length()} bits is out of range")
    if abs(n * h - (p + 1)) > 2 * math.isqrt(p) + 2:
        raise MalformedDataError("EC group order and cofactor break the Hasse bound")
    if (4 * a * a * a + 27 * b * b) % p == 0:
        raise MalformedDataError("EC curve is singular (zero discriminant)")
    if not probably_prime(p):
        raise MalformedDataError("EC field size is not prime")
    if n == p or not probably_prime(n):
        raise MalformedDataError("EC group order is not a prime other than p")


def check_generator(curve: Curve) -> None:
    """The base point lies on the curve and has order n (after :func:`validate_domain`)."""
    if not curve.contains(curve.g):
        raise MalformedDataError("EC generator is not on its curve")
    if multiply_public(curve, curve.n, curve.g) is not None:
        raise MalformedDataError("EC generator does not have the stated order")


# ------------------------------------------------------------------------ arithmetic


def _to_jac(point: Point | None) -> _Jac:
    return _INFINITY if point is None else (point[0], point[1], 1)


def _to_affine(curve: Curve, pt: _Jac) -> Point | None:
    x, y, z = pt
    if z == 0:
        return None
    p = curve.p
    try:
        zi = pow(z, -1, p)
    except ValueError as exc:  # only when p is not prime: validate_domain refuses those
        raise MalformedDataError("EC arithmetic over a non-prime field") from exc
    zi2 = zi * zi % p
    return (x * zi2 % p, y * zi2 * zi % p)


def _double(curve: Curve, pt: _Jac) -> _Jac:
    x, y, z = pt
    p = curve.p
    if z == 0 or y == 0:
        return _INFINITY
    yy = y * y % p
    s = 4 * x * yy % p
    zz = z * z % p
    m = (3 * x * x + curve.a * zz * zz) % p
    x3 = (m * m - 2 * s) % p
    y3 = (m * (s - x3) - 8 * yy * yy) % p
    z3 = 2 * y * z % p
    return (x3, y3, z3)


def _add(curve: Curve, p1: _Jac, p2: _Jac) -> _Jac:
    x1, y1, z1 = p1
    x2, y2, z2 = p2
    if z1 == 0:
        return p2
    if z2 == 0:
        return p1
    p = curve.p
    z1z1 = z1 * z1 % p
    z2z2 = z2 * z2 % p
    u1 = x1 * z2z2 % p
    u2 = x2 * z1z1 % p
    s1 = y1 * z2 * z2z2 % p
    s2 = y2 * z1 * z1z1 % p
    if u1 == u2:
        return _double(curve, p1) if s1 == s2 else _INFINITY
    h = (u2 - u1) % p
    r = (s2 - s1) % p
    hh = h * h % p
    hhh = h * hh % p
    v = u1 * hh % p
    x3 = (r * r - hhh - 2 * v) % p
    y3 = (r * (v - x3) - s1 * hhh) % p
    z3 = z1 * z2 * h % p
    return (x3, y3, z3)


def add(curve: Curve, p1: Point | None, p2: Point | None) -> Point | None:
    return _to_affine(curve, _add(curve, _to_jac(p1), _to_jac(p2)))


def negate(curve: Curve, point: Point | None) -> Point | None:
    return None if point is None else (point[0], (-point[1]) % curve.p)


def multiply(curve: Curve, k: int, point: Point | None) -> Point | None:
    """k * point by a Montgomery ladder over max(bits(n), bits(k)) steps (secret scalars)."""
    if point is None:
        return None
    if k < 0:
        return multiply(curve, -k, negate(curve, point))
    r0: _Jac = _INFINITY
    r1 = _to_jac(point)
    for i in reversed(range(max(curve.n.bit_length(), k.bit_length()))):
        if (k >> i) & 1:
            r0, r1 = _add(curve, r0, r1), _double(curve, r1)
        else:
            r0, r1 = _double(curve, r0), _add(curve, r0, r1)
    return _to_affine(curve, r0)


def multiply2(curve: Curve, k1: int, p1: Point, k2: int, p2: Point) -> Point | None:
    """k1*P1 + k2*P2 by Shamir's trick (public scalars only: signature verification)."""
    j1, j2 = _to_jac(p1), _to_jac(p2)
    both = _add(curve, j1, j2)
    acc = _INFINITY
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


def multiply_public(curve: Curve, k: int, point: Point) -> Point | None:
    """k * point for a public scalar (a subgroup check, a test): faster than the ladder."""
    return multiply2(curve, k, point, 0, point)


def random_scalar(curve: Curve) -> int:
    return secrets.randbelow(curve.n - 1) + 1


# ------------------------------------------------------------------------ point codec


def encode_point(curve: Curve, point: Point) -> bytes:
    """X9.62 uncompressed encoding 04 || X || Y."""
    size = curve.size
    return b"\x04" + point[0].to_bytes(size, "big") + point[1].to_bytes(size, "big")


def sqrt_mod(value: int, p: int) -> int | None:
    """A square root modulo the odd prime ``p`` (Tonelli-Shanks), None when there is none.

    Bounded whatever ``p`` is: the search for a non-residue stops after
    MAX_NONRESIDUE_SEARCH candidates and the inner loop after log2(p) squarings,
    raising MalformedDataError (a composite ``p`` has no such non-residue).
    """
    value %= p
    if value == 0:
        return 0
    if pow(value, (p - 1) // 2, p) != 1:
        return None
    if p % 4 == 3:
        root = pow(value, (p + 1) // 4, p)
        return root if root * root % p == value else None
    q, s = p - 1, 0
    while q % 2 == 0:
        q //= 2
        s += 1
    for z in range(2, 2 + MAX_NONRESIDUE_SEARCH):
        if pow(z, (p - 1) // 2, p) == p - 1:
            break
    else:
        raise MalformedDataError("no quadratic non-residue found: the EC field is not prime")
    m, c, t, r = s, pow(z, q, p), pow(value, q, p), pow(value, (q + 1) // 2, p)
    while t != 1:
        i, t2 = 0, t
        while t2 != 1:
            t2 = t2 * t2 % p
            i += 1
            if i >= m:
                raise MalformedDataError("square root does not converge: the EC field is not prime")
        b = pow(c, 1 << (m - i - 1), p)
        m, c, t, r = i, b * b % p, t * b * b % p, r * b % p
    return r


def decode_point(curve: Curve, data: bytes) -> Point:
    """Decode and validate a point (SEC 1 §2.3.4, uncompressed or compressed); never infinity."""
    size = curve.size
    if len(data) == 2 * size + 1 and data[0] == 0x04:
        point = (int.from_bytes(data[1 : 1 + size], "big"), int.from_bytes(data[1 + size :], "big"))
    elif len(data) == size + 1 and data[0] in (0x02, 0x03):
        x = int.from_bytes(data[1:], "big")
        if x >= curve.p:
            raise MalformedDataError("EC point x-coordinate out of range")
        y = sqrt_mod(x * x * x + curve.a * x + curve.b, curve.p)
        if y is None:
            raise MalformedDataError("compressed EC point has no square root: not on the curve")
        if (y & 1) != (data[0] & 1):
            y = (curve.p - y) % curve.p
        point = (x, y)
    else:
        raise MalformedDataError(
            f"EC point encoding of {len(data)} bytes does not fit {curve.name or 'its curve'}"
        )
    if not curve.contains(point):
        raise MalformedDataError(f"EC point is not on its curve ({curve.name})")
    if curve.h != 1 and multiply_public(curve, curve.n, point) is not None:
        raise MalformedDataError("EC point is not in the prime-order subgroup")
    return point


# ------------------------------------------------------------------------ ECDSA


def _hash_to_int(n: int, digest: bytes) -> int:
    """The leftmost bits of the digest, as many as the order has (SEC 1 §4.1.4 step 5)."""
    e = int.from_bytes(digest, "big")
    excess = len(digest) * 8 - n.bit_length()
    return e >> excess if excess > 0 else e


def ecdsa_verify(curve: Curve, public: Point, digest: bytes, r: int, s: int) -> bool:
    """ECDSA verification (SEC 1 §4.1.4) of a precomputed digest; True iff it holds.

    Never raises on any r and s: out of range or not invertible modulo n is False.
    """
    n = curve.n
    if not (0 < r < n and 0 < s < n) or math.gcd(s, n) != 1:
        return False
    e = _hash_to_int(n, digest)
    w = pow(s, -1, n)
    point = multiply2(curve, e * w % n, curve.g, r * w % n, public)
    return point is not None and point[0] % n == r

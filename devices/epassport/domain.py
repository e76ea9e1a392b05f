"""Key-agreement domains of PACE and Chip Authentication: ECDH on a curve or DH in a group.

A :class:`Domain` hides the difference between the two for the protocols: generate a
key pair, encode a public key as the protocols send it, validate a peer's public key,
compute the shared secret, and map a nonce to a new generator (PACE Generic Mapping,
ICAO 9303-11 §4.4.3.3.1). Standardized domain parameter ids are those of ICAO 9303-11
§9.5.1 (Table 6), which are those of BSI TR-03110-3.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from devices.epassport import ec
from devices.epassport.ec_curves import CURVES
from devices.epassport.errors import UnsupportedProtocolError
from models.errors import MalformedDataError

KeySource = Callable[[int], int]
"""Returns a private key below the given bound (exclusive); tests inject fixed keys."""


def random_key(bound: int) -> int:
    return secrets.randbelow(bound - 2) + 1


@dataclass(frozen=True, slots=True)
class DHGroup:
    name: str
    p: int
    g: int
    q: int | None = None

    @property
    def size(self) -> int:
        return (self.p.bit_length() + 7) // 8


class Domain:
    """Interface of ECDomain and DHDomain."""

    kind: str  # "ECDH" or "DH"
    name: str

    @property
    def public_tag(self) -> int:
        """Tag of the public key inside a 7F49 public-key template (PACE tokens)."""
        raise NotImplementedError

    def private_bound(self) -> int:
        raise NotImplementedError

    def generate(self, keys: KeySource = random_key) -> tuple[int, bytes]:
        private = keys(self.private_bound())
        return private, self.public_key(private)

    def public_key(self, private: int) -> bytes:
        raise NotImplementedError

    def agree(self, private: int, peer: bytes) -> bytes:
        """The shared secret as the KDF takes it (x-coordinate, or the DH value)."""
        raise NotImplementedError

    def map_generic(self, nonce: int, private: int, peer: bytes) -> Domain:
        raise NotImplementedError

    def same_public(self, a: bytes, b: bytes) -> bool:
        return a == b


class ECDomain(Domain):
    kind = "ECDH"

    def __init__(self, curve: ec.Curve, generator: ec.Point | None = None) -> None:
        self.curve = curve
        self.generator = generator or curve.g
        self.name = curve.name

    @property
    def public_tag(self) -> int:
        return 0x86

    def private_bound(self) -> int:
        return self.curve.n

    def public_key(self, private: int) -> bytes:
        point = ec.multiply(self.curve, private, self.generator)
        if point is None:
            raise ValueError("private key is a multiple of the group order")
        return ec.encode_point(self.curve, point)

    def shared_point(self, private: int, peer: bytes) -> ec.Point:
        point = ec.multiply(self.curve, private, ec.decode_point(self.curve, peer))
        if point is None:
            raise MalformedDataError("key agreement gave the point at infinity")
        return point

    def agree(self, private: int, peer: bytes) -> bytes:
        return self.shared_point(private, peer)[0].to_bytes(self.curve.size, "big")

    def map_generic(self, nonce: int, private: int, peer: bytes) -> ECDomain:
        """G~ = s*G + H with H = private * peer (ICAO 9303-11 §4.4.3.3.1)."""
        h = self.shared_point(private, peer)
        mapped = ec.add(self.curve, ec.multiply(self.curve, nonce, self.generator), h)
        if mapped is None:
            raise MalformedDataError("generic mapping gave the point at infinity")
        return ECDomain(self.curve, mapped)


class DHDomain(Domain):
    kind = "DH"

    def __init__(self, group: DHGroup, generator: int | None = None) -> None:
        self.group = group
        self.generator = generator if generator is not None else group.g
        self.name = group.name

    @property
    def public_tag(self) -> int:
        return 0x84

    def private_bound(self) -> int:
        return self.group.q or (1 << min(self.group.p.bit_length() - 1, 512))

    def _encode(self, value: int) -> bytes:
        return value.to_bytes(self.group.size, "big")

    def public_key(self, private: int) -> bytes:
        return self._encode(pow(self.generator, private, self.group.p))

    def decode_public(self, peer: bytes) -> int:
        p = self.group.p
        if not 0 < len(peer) <= self.group.size:
            raise MalformedDataError("DH public value of the wrong size")
        y = int.from_bytes(peer, "big")
        if not 1 < y < p - 1:
            raise MalformedDataError("DH public value out of range")
        if self.group.q is not None and pow(y, self.group.q, p) != 1:
            raise MalformedDataError("DH public value is not in the prime-order subgroup")
        return y

    def shared_value(self, private: int, peer: bytes) -> int:
        return pow(self.decode_public(peer), private, self.group.p)

    def agree(self, private: int, peer: bytes) -> bytes:
        return self._encode(self.shared_value(private, peer))

    def map_generic(self, nonce: int, private: int, peer: bytes) -> DHDomain:
        """g~ = g^s * h mod p with h = peer^private (ICAO 9303-11 §4.4.3.3.1)."""
        p = self.group.p
        h = self.shared_value(private, peer)
        mapped = pow(self.generator, nonce, p) * h % p
        if mapped <= 1:
            raise MalformedDataError("generic mapping gave a degenerate generator")
        return DHDomain(self.group, mapped)

    def same_public(self, a: bytes, b: bytes) -> bool:
        return int.from_bytes(a, "big") == int.from_bytes(b, "big")


DH_GROUPS: dict[int, DHGroup] = {
    0: DHGroup(
        "1024-bit MODP group with 160-bit prime order subgroup (RFC 5114 §2.1)",
        int(
            "B10B8F96A080E01DDE92DE5EAE5D54EC52C99FBCFB06A3C69A6A9DCA52D23B61"
            "6073E28675A23D189838EF1E2EE652C013ECB4AEA906112324975C3CD49B83BF"
            "ACCBDD7D90C4BD7098488E9C219A73724EFFD6FAE5644738FAA31A4FF55BCCC0"
            "A151AF5F0DC8B4BD45BF37DF365C1A65E68CFDA76D4DA708DF1FB2BC2E4A4371",
            16,
        ),
        int(
            "A4D1CBD5C3FD34126765A442EFB99905F8104DD258AC507FD6406CFF14266D31"
            "266FEA1E5C41564B777E690F5504F213160217B4B01B886A5E91547F9E2749F4"
            "D7FBD7D3B9A92EE1909D0D2263F80A76A6A24C087A091F531DBF0A0169B6A28A"
            "D662A4D18E73AFA32D779D5918D08BC8858F4DCEF97C2A24855E6EEB22B3B2E5",
            16,
        ),
        int("F518AA8781A8DF278ABA4E7D64B7CB9D49462353", 16),
    ),
    1: DHGroup(
        "2048-bit MODP group with 224-bit prime order subgroup (RFC 5114 §2.2)",
        int(
            "AD107E1E9123A9D0D660FAA79559C51FA20D64E5683B9FD1B54B1597B61D0A75"
            "E6FA141DF95A56DBAF9A3C407BA1DF15EB3D688A309C180E1DE6B85A1274A0A6"
            "6D3F8152AD6AC2129037C9EDEFDA4DF8D91E8FEF55B7394B7AD5B7D0B6C12207"
            "C9F98D11ED34DBF6C6BA0B2C8BBC27BE6A00E0A0B9C49708B3BF8A3170918836"
            "81286130BC8985DB1602E714415D9330278273C7DE31EFDC7310F7121FD5A074"
            "15987D9ADC0A486DCDF93ACC44328387315D75E198C641A480CD86A1B9E587E8"
            "BE60E69CC928B2B9C52172E413042E9B23F10B0E16E79763C9B53DCF4BA80A29"
            "E3FB73C16B8E75B97EF363E2FFA31F71CF9DE5384E71B81C0AC4DFFE0C10E64F",
            16,
        ),
        int(
            "AC4032EF4F2D9AE39DF30B5C8FFDAC506CDEBE7B89998CAF74866A08CFE4FFE3"
            "A6824A4E10B9A6F0DD921F01A70C4AFAAB739D7700C29F52C57DB17C620A8652"
            "BE5E9001A8D66AD7C17669101999024AF4D027275AC1348BB8A762D0521BC98A"
            "E247150422EA1ED409939D54DA7460CDB5F6C6B250717CBEF180EB34118E98D1"
            "19529A45D6F834566E3025E316A330EFBB77A86F0C1AB15B051AE3D428C8F8AC"
            "B70A8137150B8EEB10E183EDD19963DDD9E263E4770589EF6AA21E7F5F2FF381"
            "B539CCE3409D13CD566AFBB48D6C019181E1BCFE94B30269EDFE72FE9B6AA4BD"
            "7B5A0F1C71CFFF4C19C418E1F6EC017981BC087F2A7065B384B890D3191F2BFA",
            16,
        ),
        int("801C0D34C58D93FE997177101F80535A4738CEBCBF389A99B36371EB", 16),
    ),
    2: DHGroup(
        "2048-bit MODP group with 256-bit prime order subgroup (RFC 5114 §2.3)",
        int(
            "87A8E61DB4B6663CFFBBD19C651959998CEEF608660DD0F25D2CEED4435E3B00"
            "E00DF8F1D61957D4FAF7DF4561B2AA3016C3D91134096FAA3BF4296D830E9A7C"
            "209E0C6497517ABD5A8A9D306BCF67ED91F9E6725B4758C022E0B1EF4275BF7B"
            "6C5BFC11D45F9088B941F54EB1E59BB8BC39A0BF12307F5C4FDB70C581B23F76"
            "B63ACAE1CAA6B7902D52526735488A0EF13C6D9A51BFA4AB3AD8347796524D8E"
            "F6A167B5A41825D967E144E5140564251CCACB83E6B486F6B3CA3F7971506026"
            "C0B857F689962856DED4010ABD0BE621C3A3960A54E710C375F26375D7014103"
            "A4B54330C198AF126116D2276E11715F693877FAD7EF09CADB094AE91E1A1597",
            16,
        ),
        int(
            "3FB32C9B73134D0B2E77506660EDBD484CA7B18F21EF205407F4793A1A0BA125"
            "10DBC15077BE463FFF4FED4AAC0BB555BE3A6C1B0C6B47B1BC3773BF7E8C6F62"
            "901228F8C28CBB18A55AE31341000A650196F931C77A57F2DDF463E5E9EC144B"
            "777DE62AAAB8A8628AC376D282D6ED3864E67982428EBC831D14348F6F2F9193"
            "B5045AF2767164E1DFC967C1FB3F2E55A4BD1BFFE83B9C80D052B985D182EA0A"
            "DB2A3B7313D3FE14C8484B1E052588B9B7D2BBD2DF016199ECD06E1557CD0915"
            "B3353BBB64E0EC377FD028370DF92B52C7891428CDC67EB6184B523D1DB246C3"
            "2F63078490F00EF8D647D148D47954515E2327CFEF98C582664B4C0F6CC41659",
            16,
        ),
        int("8CF83642A709A097B447997640129DA299B1A47D1EB3750BA308B0FE64F5FBD3", 16),
    ),
}

EC_PARAMETER_IDS: dict[int, str] = {
    8: "secp192r1",
    9: "brainpoolP192r1",
    10: "secp224r1",
    11: "brainpoolP224r1",
    12: "secp256r1",
    13: "brainpoolP256r1",
    14: "brainpoolP320r1",
    15: "secp384r1",
    16: "brainpoolP384r1",
    17: "brainpoolP512r1",
    18: "secp521r1",
}


def standard_domain(parameter_id: int) -> Domain:
    """The standardized domain parameters with this id (ICAO 9303-11 Table 6)."""
    if parameter_id in DH_GROUPS:
        return DHDomain(DH_GROUPS[parameter_id])
    if parameter_id in EC_PARAMETER_IDS:
        return ECDomain(CURVES[EC_PARAMETER_IDS[parameter_id]])
    raise UnsupportedProtocolError(
        f"standardized domain parameters {parameter_id} are not defined",
        what=f"parameterId {parameter_id}",
    )

"""Object identifiers and algorithm descriptors of ICAO 9303-11 §9.2 / BSI TR-03110-3 A.1."""

from __future__ import annotations

from dataclasses import dataclass

from devices.epassport.cipher import AES128, AES192, AES256, TDES, CipherSpec

BSI_DE = "0.4.0.127.0.7"
ID_PACE = f"{BSI_DE}.2.2.4"
ID_CA = f"{BSI_DE}.2.2.3"
ID_PK = f"{BSI_DE}.2.2.1"
ID_TA = f"{BSI_DE}.2.2.2"
ID_PK_DH = f"{ID_PK}.1"
ID_PK_ECDH = f"{ID_PK}.2"
ID_CA_DH = f"{ID_CA}.1"
ID_CA_ECDH = f"{ID_CA}.2"
STANDARDIZED_DOMAIN_PARAMETERS = f"{BSI_DE}.1.2"
ECDSA_PLAIN = f"{BSI_DE}.1.1.4.1"
ID_AA = "2.23.136.1.1.5"
LDS_SECURITY_OBJECT = "2.23.136.1.1.1"
EC_PUBLIC_KEY = "1.2.840.10045.2.1"
DH_PUBLIC_NUMBER = "1.2.840.10046.2.1"
RSA_ENCRYPTION = "1.2.840.113549.1.1.1"

_CIPHERS = {1: TDES, 2: AES128, 3: AES192, 4: AES256}
_MAPPINGS = {
    1: ("DH", "GM"),
    2: ("ECDH", "GM"),
    3: ("DH", "IM"),
    4: ("ECDH", "IM"),
    6: ("ECDH", "CAM"),
}


@dataclass(frozen=True, slots=True)
class PaceAlgorithm:
    oid: str
    key_agreement: str  # "DH" or "ECDH"
    mapping: str  # "GM", "IM" or "CAM"
    cipher: CipherSpec

    @property
    def name(self) -> str:
        suffix = "3DES-CBC-CBC" if self.cipher is TDES else f"AES-CBC-CMAC-{self.cipher.key_bits}"
        return f"id-PACE-{self.key_agreement}-{self.mapping}-{suffix}"


@dataclass(frozen=True, slots=True)
class CaAlgorithm:
    oid: str
    key_agreement: str
    cipher: CipherSpec

    @property
    def name(self) -> str:
        suffix = "3DES-CBC-CBC" if self.cipher is TDES else f"AES-CBC-CMAC-{self.cipher.key_bits}"
        return f"id-CA-{self.key_agreement}-{suffix}"


PACE_ALGORITHMS: dict[str, PaceAlgorithm] = {
    f"{ID_PACE}.{m}.{c}": PaceAlgorithm(f"{ID_PACE}.{m}.{c}", ka, mapping, spec)
    for m, (ka, mapping) in _MAPPINGS.items()
    for c, spec in _CIPHERS.items()
    if not (mapping == "CAM" and c == 1)
}
CA_ALGORITHMS: dict[str, CaAlgorithm] = {
    f"{ID_CA}.{k}.{c}": CaAlgorithm(f"{ID_CA}.{k}.{c}", ka, spec)
    for k, ka in ((1, "DH"), (2, "ECDH"))
    for c, spec in _CIPHERS.items()
}


def pace_oid(key_agreement: str, cipher: CipherSpec, mapping: str = "GM") -> str:
    for algo in PACE_ALGORITHMS.values():
        if (algo.key_agreement, algo.mapping, algo.cipher) == (key_agreement, mapping, cipher):
            return algo.oid
    raise KeyError(f"no PACE OID for {key_agreement}-{mapping} {cipher.label}")


def ca_oid(key_agreement: str, cipher: CipherSpec) -> str:
    for algo in CA_ALGORITHMS.values():
        if (algo.key_agreement, algo.cipher) == (key_agreement, cipher):
            return algo.oid
    raise KeyError(f"no CA OID for {key_agreement} {cipher.label}")


# BSI TR-03111 plain ECDSA signatures (r || s), used by ECDSA Active Authentication.
ECDSA_PLAIN_HASHES = {
    f"{ECDSA_PLAIN}.1": "sha1",
    f"{ECDSA_PLAIN}.2": "sha224",
    f"{ECDSA_PLAIN}.3": "sha256",
    f"{ECDSA_PLAIN}.4": "sha384",
    f"{ECDSA_PLAIN}.5": "sha512",
}
# X9.62 ECDSA OIDs, which some chips name in ActiveAuthenticationInfo instead.
ECDSA_X962_HASHES = {
    "1.2.840.10045.4.1": "sha1",
    "1.2.840.10045.4.3.1": "sha224",
    "1.2.840.10045.4.3.2": "sha256",
    "1.2.840.10045.4.3.3": "sha384",
    "1.2.840.10045.4.3.4": "sha512",
}

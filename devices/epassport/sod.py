"""EF.SOD, the Document Security Object (ICAO Doc 9303 Part 10 §4.6.2, Part 11 §5.1).

EF.SOD is tag 0x77 around a CMS ContentInfo/SignedData whose encapsulated
content is the ``LDSSecurityObject``: the hash algorithm and the hash of each
data group, signed by the Document Signer (DSC). Parsing here is structural;
the cryptographic checks are in :mod:`devices.epassport.passive_auth`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from asn1crypto import algos, core  # type: ignore[import-untyped]

from devices.epassport import tlv
from devices.epassport.asn1_errors import asn1_guard
from devices.epassport.cms import OID_DATA, SignedData, check_ber_depth, parse_signed_data
from devices.epassport.pa_params import MAX_DG_HASHES, MAX_SOD_BYTES, MAX_SOD_CERTIFICATES
from devices.epassport.signatures import hash_algorithm
from models.errors import MalformedDataError

SOD_TAG = 0x77
OID_LDS_SECURITY_OBJECT = "2.23.136.1.1.1"


class _DataGroupHash(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("data_group_number", core.Integer),
        ("data_group_hash_value", core.OctetString),
    ]


class _DataGroupHashes(core.SequenceOf):  # type: ignore[misc]
    _child_spec = _DataGroupHash


class _LDSVersionInfo(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("lds_version", core.PrintableString),
        ("unicode_version", core.PrintableString),
    ]


class LDSSecurityObjectASN1(core.Sequence):  # type: ignore[misc]
    """ICAO 9303 p10 §4.6.2.2 ``LDSSecurityObject`` (v0, and v1 with LDSVersionInfo)."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", _DataGroupHashes),
        ("lds_version_info", _LDSVersionInfo, {"optional": True}),
    ]


@dataclass(frozen=True, slots=True)
class SecurityObject:
    """A parsed EF.SOD: the signed LDS security object and its CMS envelope."""

    signed: SignedData
    version: int
    hash_algorithm: str  # e.g. "sha256"
    dg_hashes: dict[int, bytes]
    lds_version: str | None  # "0108" for LDS 1.8 (v1 objects only)
    unicode_version: str | None

    @property
    def content_type_is_standard(self) -> bool:
        """ICAO requires id-icao-mrtd-security-ldsSecurityObject; some states use id-data."""
        return self.signed.content_type == OID_LDS_SECURITY_OBJECT


def unwrap_sod(data: bytes) -> bytes:
    """The ContentInfo inside the 0x77 tag; padding after it (00 or FF) is tolerated."""
    if len(data) > MAX_SOD_BYTES:
        raise MalformedDataError(f"EF.SOD of {len(data)} bytes exceeds {MAX_SOD_BYTES}")
    outer = tlv.parse_one(data, allow_indefinite=True)
    if outer.tag != SOD_TAG:
        raise MalformedDataError(f"EF.SOD starts with tag {outer.tag:X}, expected 77")
    if data[outer.end :].strip(b"\x00\xff"):
        raise MalformedDataError("EF.SOD has data after its 0x77 object")
    return outer.value


def _parse_lds_security_object(
    content: bytes,
) -> tuple[int, str, dict[int, bytes], str | None, str | None]:
    check_ber_depth(content)
    with asn1_guard("LDSSecurityObject"):
        obj = LDSSecurityObjectASN1.load(content, strict=True)
        version = int(obj["version"].native)
        hash_name = str(obj["hash_algorithm"]["algorithm"].native)
        entries = [
            (int(e["data_group_number"].native), bytes(e["data_group_hash_value"].native))
            for e in obj["data_group_hash_values"]
        ]
        info = obj["lds_version_info"]
        lds_version = unicode_version = None
        if info.native is not None:
            lds_version = str(info["lds_version"].native)
            unicode_version = str(info["unicode_version"].native)
    if version not in (0, 1):
        raise MalformedDataError(f"LDSSecurityObject version {version} is unknown")
    size = hash_algorithm(hash_name).digest_size  # raises UnsupportedAlgorithmError
    if not 1 <= len(entries) <= MAX_DG_HASHES:
        raise MalformedDataError(f"LDSSecurityObject lists {len(entries)} data groups")
    hashes: dict[int, bytes] = {}
    for number, value in entries:
        if not 1 <= number <= MAX_DG_HASHES or number in hashes:
            raise MalformedDataError(f"LDSSecurityObject: bad or repeated DG number {number}")
        if len(value) != size:
            raise MalformedDataError(
                f"DG{number} hash is {len(value)} bytes, {hash_name} gives {size}"
            )
        hashes[number] = value
    return version, hash_name, hashes, lds_version, unicode_version


def parse_sod(data: bytes) -> SecurityObject:
    """Parse EF.SOD (the whole file, tag 0x77). Raises MalformedDataError on any defect."""
    signed = parse_signed_data(
        unwrap_sod(data), what="EF.SOD", max_certificates=MAX_SOD_CERTIFICATES
    )
    if signed.content_type not in (OID_LDS_SECURITY_OBJECT, OID_DATA):
        raise MalformedDataError(f"EF.SOD content type {signed.content_type} is not an LDS object")
    version, hash_name, hashes, lds, uni = _parse_lds_security_object(signed.content)
    return SecurityObject(signed, version, hash_name, hashes, lds, uni)

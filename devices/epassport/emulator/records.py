"""Encoders of the LDS files a virtual chip carries (ICAO 9303-10 §4.6-4.7).

DG1 (MRZ), DG2 (ISO/IEC 19794-5:2005 face record with a JPEG), DG7 (signature image),
DG11 (additional personal details), DG12 (additional document details), DG15 (Active
Authentication key) and EF.COM. Parsers of these live elsewhere; these encoders make
the bytes a real issuer would write.
"""

from __future__ import annotations

from collections.abc import Mapping

from devices.epassport import tlv
from devices.epassport.reading import DATA_GROUPS

LDS_VERSION = b"0108"
UNICODE_VERSION = b"040000"

# DG11 / DG12 field tags (ICAO 9303-10 §4.7.11, §4.7.12)
DG11_TAGS = {
    "full_name": 0x5F0E,
    "personal_number": 0x5F10,
    "full_date_of_birth": 0x5F2B,  # YYYYMMDD
    "place_of_birth": 0x5F11,
    "address": 0x5F42,
    "telephone": 0x5F12,
    "profession": 0x5F13,
    "title": 0x5F14,
    "personal_summary": 0x5F15,
    "custody_information": 0x5F18,
}
DG12_TAGS = {
    "issuing_authority": 0x5F19,
    "date_of_issue": 0x5F26,  # YYYYMMDD
    "endorsements": 0x5F1B,
    "tax_exit_requirements": 0x5F1C,
    "personalization_time": 0x5F55,  # YYYYMMDDhhmmss
    "personalization_device": 0x5F56,
}


def dg1(mrz_lines: list[str]) -> bytes:
    return tlv.encode(0x61, tlv.encode(0x5F1F, "".join(mrz_lines).encode("ascii")))


def face_record(jpeg: bytes, width: int, height: int) -> bytes:
    """An ISO/IEC 19794-5:2005 facial record with one full-frontal JPEG image."""
    image_info = bytes([0x01, 0x00]) + width.to_bytes(2, "big") + height.to_bytes(2, "big")
    image_info += bytes([0x01, 0x02]) + bytes(4)  # sRGB, digital still; device type, quality
    facial = bytes(2 + 1 + 1 + 1 + 3 + 2 + 3 + 3) + image_info + jpeg  # no feature points
    facial = (len(facial) + 4).to_bytes(4, "big") + facial
    total = 14 + len(facial)
    return b"FAC\x00010\x00" + total.to_bytes(4, "big") + (1).to_bytes(2, "big") + facial


def dg2(jpeg: bytes, width: int, height: int) -> bytes:
    header = (
        tlv.encode(0x81, b"\x02")  # biometric type: facial features
        + tlv.encode(0x82, b"\x00")  # subtype: none
        + tlv.encode(0x87, b"\x01\x01")  # format owner: ISO/IEC JTC 1/SC 37
        + tlv.encode(0x88, b"\x00\x08")  # format type: face image
    )
    template = tlv.encode(
        0x7F60, tlv.encode(0xA1, header) + tlv.encode(0x5F2E, face_record(jpeg, width, height))
    )
    return tlv.encode(0x75, tlv.encode(0x7F61, tlv.encode(0x02, b"\x01") + template))


def dg7(image: bytes) -> bytes:
    return tlv.encode(0x67, tlv.encode(0x02, b"\x01") + tlv.encode(0x5F43, image))


def _text_group(tag: int, fields: Mapping[str, str], tags: Mapping[str, int]) -> bytes:
    for name in fields:
        if name not in tags:
            raise ValueError(f"unknown field {name!r}")
    used = [(tags[name], value) for name, value in fields.items() if value]
    tag_list = b"".join(tlv.encode_tag(t) for t, _ in used)
    body = tlv.encode(0x5C, tag_list) + b"".join(tlv.encode(t, v.encode("utf-8")) for t, v in used)
    return tlv.encode(tag, body)


def dg11(fields: Mapping[str, str]) -> bytes:
    return _text_group(0x6B, fields, DG11_TAGS)


def dg12(fields: Mapping[str, str]) -> bytes:
    return _text_group(0x6C, fields, DG12_TAGS)


def dg14(security_infos: bytes) -> bytes:
    return tlv.encode(0x6E, security_infos)


def dg15(spki: bytes) -> bytes:
    return tlv.encode(0x6F, spki)


def ef_com(data_groups: list[int]) -> bytes:
    tags = bytes(DATA_GROUPS[n].tag for n in sorted(data_groups))
    return tlv.encode(
        0x60,
        tlv.encode(0x5F01, LDS_VERSION)
        + tlv.encode(0x5F36, UNICODE_VERSION)
        + tlv.encode(0x5C, tags),
    )

"""LDS elementary files (ICAO Doc 9303 Part 10 §4.6-4.7): EF.COM, DG1, DG7, and shared helpers.

Pure functions on the bytes of a whole file (its outer tag included, as read
from the chip). DG2 is in :mod:`devices.epassport.faceimage`, DG11/DG12 in
:mod:`devices.epassport.dg_personal`, EF.SOD in :mod:`devices.epassport.sod`.
MRZ field parsing belongs to :mod:`devices.mrz`; DG1 gives the raw lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from devices.epassport import tlv
from devices.epassport.images import DecodedImage, ImageFormat, decode_image, sniff_format
from devices.epassport.pa_params import MAX_DG_BYTES, MAX_IMAGES_PER_GROUP
from devices.mrz.layout import TD1, TD2, TD3
from models.errors import MalformedDataError

#: Data group number -> the tag its file starts with (9303 p10 table 34). 0 is EF.COM.
DG_TAGS: dict[int, int] = {
    0: 0x60,
    1: 0x61,
    2: 0x75,
    3: 0x63,
    4: 0x76,
    5: 0x65,
    6: 0x66,
    7: 0x67,
    8: 0x68,
    9: 0x69,
    10: 0x6A,
    11: 0x6B,
    12: 0x6C,
    13: 0x6D,
    14: 0x6E,
    15: 0x6F,
    16: 0x70,
}
TAG_TO_DG: dict[int, int] = {tag: number for number, tag in DG_TAGS.items()}

_MRZ_CHARS = re.compile(r"[A-Z0-9<]+")
# Total MRZ length -> (document layout, line length), from the MRZ layouts (MRV-A and
# MRV-B have the sizes of TD3 and TD2).
_MRZ_LAYOUTS: dict[int, tuple[str, int]] = {
    layout.lines * layout.width: (layout.mrz_type.value, layout.width) for layout in (TD1, TD2, TD3)
}


def check_size(data: bytes, name: str, limit: int = MAX_DG_BYTES) -> None:
    if len(data) > limit:
        raise MalformedDataError(f"{name} of {len(data)} bytes exceeds {limit}")


def expect_tag(data: bytes, tag: int, name: str) -> tlv.TLV:
    """The file's single top-level object, which must carry ``tag``."""
    item = tlv.parse_one(data)
    if item.tag != tag:
        raise MalformedDataError(f"{name} starts with tag {item.tag:X}, expected {tag:X}")
    if data[item.end :].strip(b"\x00\xff"):
        raise MalformedDataError(f"{name} has data after its {tag:X} object")
    return item


def tag_list(data: bytes) -> list[int]:
    """The tags of a tag list (``5C``): tags back to back, without lengths or values."""
    tags, pos = [], 0
    while pos < len(data):
        tag, pos = tlv.read_tag(data, pos)
        tags.append(tag)
    return tags


def text(value: bytes) -> str:
    """LDS text fields are UTF-8 (LDS 1.8); older chips use Latin-1, which always decodes."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


# ----------------------------------------------------------------------- EF.COM


@dataclass(frozen=True, slots=True)
class EFCom:
    lds_version: str  # "0107" = LDS 1.7
    unicode_version: str  # "040000" = Unicode 4.0.0
    data_groups: tuple[int, ...]  # numbers of the DGs present, in file order


def parse_ef_com(data: bytes) -> EFCom:
    check_size(data, "EF.COM")
    com = expect_tag(data, DG_TAGS[0], "EF.COM")
    lds = com.require(0x5F01).value
    uni = com.require(0x5F36).value
    tags = com.require(0x5C).value
    if not re.fullmatch(rb"[0-9]{4}", lds) or not re.fullmatch(rb"[0-9]{6}", uni):
        raise MalformedDataError("EF.COM version fields are not digits")
    groups = []
    for item in tag_list(tags):
        number = TAG_TO_DG.get(item)
        if number is None or number == 0:
            raise MalformedDataError(f"EF.COM lists unknown tag {item:X}")
        groups.append(number)
    return EFCom(lds.decode("ascii"), uni.decode("ascii"), tuple(groups))


# ----------------------------------------------------------------------- DG1


@dataclass(frozen=True, slots=True)
class DG1:
    """The MRZ as stored on the chip, split into its lines (no field parsing here)."""

    layout: str  # "TD1" (3x30), "TD2" (2x36; also MRV-B), "TD3" (2x44; also MRV-A)
    lines: tuple[str, ...] = field(repr=False)

    @property
    def mrz(self) -> str:
        return "".join(self.lines)

    @property
    def document_code(self) -> str:
        return self.lines[0][:2]

    @property
    def issuing_state(self) -> str:
        """The issuing state or organisation code (positions 3-5), fillers kept."""
        return self.lines[0][2:5]

    def matches_printed(self, printed_lines: list[str] | tuple[str, ...]) -> bool:
        """Raw comparison with the MRZ read from the data page (spaces and case ignored)."""
        printed = "".join(line.strip().replace(" ", "").upper() for line in printed_lines)
        return printed == self.mrz


def parse_dg1(data: bytes) -> DG1:
    check_size(data, "DG1", 4096)
    mrz = expect_tag(data, DG_TAGS[1], "DG1").require(0x5F1F).value
    try:
        value = mrz.decode("ascii")
    except UnicodeDecodeError as exc:
        raise MalformedDataError("DG1 MRZ is not ASCII") from exc
    layout = _MRZ_LAYOUTS.get(len(value))
    if layout is None:
        raise MalformedDataError(f"DG1 MRZ of {len(value)} characters fits no layout")
    if not _MRZ_CHARS.fullmatch(value):
        raise MalformedDataError("DG1 MRZ holds characters outside A-Z, 0-9 and <")
    name, width = layout
    lines = tuple(value[i : i + width] for i in range(0, len(value), width))
    return DG1(name, lines)


# ----------------------------------------------------------------------- DG7


@dataclass(frozen=True, slots=True)
class StoredImage:
    """An image stored in a data group (DG7 signature, DG11/DG12 document images)."""

    format: ImageFormat
    data: bytes = field(repr=False)

    def decode(self) -> DecodedImage:
        return decode_image(self.data)


def stored_image(data: bytes) -> StoredImage:
    return StoredImage(sniff_format(data), data)


def parse_dg7(data: bytes) -> list[StoredImage]:
    """The displayed signature or usual mark images of DG7 (``67 { 02 n, 5F43 img ... }``)."""
    check_size(data, "DG7")
    items = expect_tag(data, DG_TAGS[7], "DG7").children()
    if not items or items[0].tag != 0x02 or len(items[0].value) != 1:
        raise MalformedDataError("DG7 does not start with its image count")
    images = [stored_image(item.value) for item in items[1:] if item.tag == 0x5F43]
    if items[0].value[0] != len(images) or not 1 <= len(images) <= MAX_IMAGES_PER_GROUP:
        raise MalformedDataError("DG7 image count disagrees with its images")
    return images

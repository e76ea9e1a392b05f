"""Standalone finger minutiae records: ANSI INCITS 378-2004, INCITS 378-2009 and ISO/IEC
19794-2:2005, every finger view, to :class:`MinutiaeTemplate` at 500 ppi.

All three start with ``"FMR\\0"``; the version and the length field tell them apart::

    ISO 19794-2:2005   " 20\\0"  length:u32 (== record size)  equipment:u16  width height
                       x_res y_res (px/cm):u16  views:u8  reserved:u8                 24 bytes
    INCITS 378-2004    " 20\\0"  length:u16 (or 0 then u32)  CBEFF product id:u32
                       equipment:u16  width height x_res y_res:u16  views:u8  reserved:u8
    INCITS 378-2009    "030\\0"  length:u32  CBEFF product id:u32  equipment:u16
                       views:u8  reserved:u8                                          20 bytes

A view of the 2005/2004 records is ``position:u8  view(4)|impression(4)  quality:u8
count:u8``; a 2009 view is ``position view impression quality:u8  quality vendor:u16
quality algorithm:u16  width height x_res y_res:u16  count:u8`` (the frame moves into the
view). Minutiae are 6 bytes in all three: ``type(2)|x(14)  reserved(2)|y(14)  angle:u8
quality:u8``, pixels from the top-left, type 01 ending, 10 bifurcation, 00 other.
The angle differs: **ISO counts 256ths of a turn (1.40625 degrees), INCITS 378 counts
2-degree units (0-179)**, both counter-clockwise with the same direction convention as
our template. Each view ends with its extended data block (length:u16, skipped).
Resolutions other than 500 ppi (more than 1% off) are scaled to 500 ppi. Every failure
is a :class:`TemplateError` with the byte offset.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Literal

from biometrics.fingerprint import iso
from biometrics.fingerprint.errors import TemplateError
from biometrics.fingerprint.template import MinutiaeTemplate

Standard = Literal["iso19794-2:2005", "incits378-2004", "incits378-2009"]
MAGIC = b"FMR\x00"
TARGET_PPI = 500.0
MINUTIA = struct.Struct(">HHBB")
ISO_ANGLE = 360.0 / 256.0
INCITS_ANGLE = 2.0


@dataclass(frozen=True, slots=True)
class FingerView:
    template: MinutiaeTemplate
    position: int  # finger position code (0 unknown, 1-10 fingers)
    view: int
    impression: int
    quality: int  # 0-100
    # an ISO record of ours: this view is the enhanced minutiae set of the same capture
    # as the first (:mod:`iso`, ``ENHANCED_BLOCK``), not another impression
    enhanced_set: bool = False


@dataclass(frozen=True, slots=True)
class MinutiaeRecord:
    standard: Standard
    views: tuple[FingerView, ...]
    warnings: tuple[str, ...] = ()  # tolerated deviations (extended data lengths)


def sniff(data: bytes) -> Standard | None:
    """Which of the three records ``data`` is, or None."""
    if len(data) < 16 or data[:4] != MAGIC:
        return None
    version = data[4:8]
    if version == b"030\x00":
        return "incits378-2009"
    if version != b" 20\x00":
        return None
    (long_length,) = struct.unpack_from(">I", data, 8)
    if long_length == len(data):
        return "iso19794-2:2005"
    (short_length,) = struct.unpack_from(">H", data, 8)
    if short_length == len(data) or (short_length == 0 and len(data) >= 14):
        return "incits378-2004"
    return None


def parse(data: bytes) -> MinutiaeRecord:
    """Every finger view of an ISO 19794-2:2005, INCITS 378-2004 or -2009 record."""
    standard = sniff(data)
    if standard is None:
        raise TemplateError(
            "not an ISO 19794-2:2005 or INCITS 378 finger minutiae record", offset=0
        )
    reader = _Reader(data)
    reader.skip(8)
    frame: tuple[int, int, int, int] | None = None
    if standard == "iso19794-2:2005":
        reader.u32()
        reader.u16()  # equipment
        frame = (reader.u16(), reader.u16(), reader.u16(), reader.u16())
        count = reader.u8()
        reader.u8()
    elif standard == "incits378-2004":
        length = reader.u16()
        if length == 0:
            length = reader.u32()
        if length != len(data):
            raise TemplateError(
                f"length field says {length}, record has {len(data)} bytes", offset=8
            )
        reader.skip(4 + 2)  # CBEFF product id, equipment
        frame = (reader.u16(), reader.u16(), reader.u16(), reader.u16())
        count = reader.u8()
        reader.u8()
    else:
        length = reader.u32()
        if length != len(data):
            raise TemplateError(
                f"length field says {length}, record has {len(data)} bytes", offset=8
            )
        reader.skip(4 + 2)
        count = reader.u8()
        reader.u8()
    views: list[FingerView] = []
    warnings: list[str] = []
    # nbis-py's ISO writer says 0 views with one following (see iso.py): read what is there
    while len(views) < max(count, 1) and reader.offset < len(data):
        views.append(_view(reader, standard, frame, warnings))
    if not views:
        raise TemplateError("record holds no finger view", offset=reader.offset)
    if reader.offset != len(data):
        # seen in libbiomeval's fmr.ansi2004: the extended data's length is 2 bytes short
        warnings.append(f"{len(data) - reader.offset} bytes after the last finger view, skipped")
    return MinutiaeRecord(standard, tuple(views), tuple(warnings))


def _view(
    reader: _Reader,
    standard: Standard,
    frame: tuple[int, int, int, int] | None,
    warnings: list[str],
) -> FingerView:
    start = reader.offset
    position = reader.u8()
    if standard == "incits378-2009":
        view, impression, quality = reader.u8(), reader.u8(), reader.u8()
        reader.skip(4)  # quality algorithm vendor and id
        frame = (reader.u16(), reader.u16(), reader.u16(), reader.u16())
    else:
        packed = reader.u8()
        view, impression = packed >> 4, packed & 0x0F
        quality = reader.u8()
    if frame is None:  # pragma: no cover - the 2004/2005 headers always set it
        raise TemplateError("finger view without a frame", offset=start)
    width, height, x_res, y_res = frame
    if width == 0 or height == 0:
        raise TemplateError(f"finger view frame is {width}x{height}", offset=start)
    count = reader.u8()
    unit = ISO_ANGLE if standard == "iso19794-2:2005" else INCITS_ANGLE
    sx, sy = _scale(x_res), _scale(y_res)
    rows = []
    for k in range(count):
        offset = reader.offset
        type_x, y_field, angle, minutia_quality = reader.unpack(MINUTIA)
        kind = type_x >> 14
        x, y = type_x & 0x3FFF, y_field & 0x3FFF
        if x >= width or y >= height:
            raise TemplateError(
                f"minutia {k} at ({x}, {y}) lies outside the {width}x{height} frame", offset=offset
            )
        if unit == INCITS_ANGLE and angle > 179:
            raise TemplateError(
                f"minutia {k}: angle {angle} is not 0-179 (2-degree units)", offset=offset
            )
        rows.append(
            (
                x * sx,
                y * sy,
                math.radians(angle * unit),
                kind if kind in (1, 2) else 0,
                min(minutia_quality, 100) / 100,
            )
        )
    if not rows:
        raise TemplateError(f"finger view at byte {start} holds no minutiae", offset=start)
    extended = reader.u16()
    if reader.offset + extended > len(reader.data):
        # seen in libbiomeval's fmr.iso2005: the last view's extended data is 1 byte short
        warnings.append(f"extended data of the view at byte {start} runs past the record")
        extended = len(reader.data) - reader.offset
    marked = standard == "iso19794-2:2005" and (
        reader.data[reader.offset : reader.offset + extended] == iso.enhanced_block()
    )
    reader.skip(extended)
    template = MinutiaeTemplate.from_lists(
        math.ceil(width * sx), math.ceil(height * sy), rows, quality=min(quality, 100)
    )
    return FingerView(template, position, view, impression, quality, marked)


def _scale(pixels_per_cm: int) -> float:
    """Factor to 500 ppi; 0 (not given) and anything within 1% of 500 ppi count as 500."""
    ppi = pixels_per_cm * 2.54
    if pixels_per_cm == 0 or abs(ppi - TARGET_PPI) <= TARGET_PPI / 100:
        return 1.0
    return TARGET_PPI / ppi


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def _take(self, size: int) -> int:
        start = self.offset
        if start + size > len(self.data):
            raise TemplateError("record is truncated", offset=start)
        self.offset += size
        return start

    def skip(self, size: int) -> None:
        self._take(size)

    def u8(self) -> int:
        return self.data[self._take(1)]

    def u16(self) -> int:
        return int.from_bytes(self.data[(start := self._take(2)) : start + 2], "big")

    def u32(self) -> int:
        return int.from_bytes(self.data[(start := self._take(4)) : start + 4], "big")

    def unpack(self, layout: struct.Struct) -> tuple[int, ...]:
        return layout.unpack_from(self.data, self._take(layout.size))

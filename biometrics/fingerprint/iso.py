"""ISO/IEC 19794-2:2005 finger minutiae records: import and export.

Layout (big-endian)::

    record header, 24 bytes
      "FMR\\0"  " 20\\0"  length:u32  equipment:u16 (4 bits compliance, 12 bits id)
      width:u16  height:u16  x_res:u16  y_res:u16 (pixels per cm)  views:u8  reserved:u8
    per finger view: 4 bytes
      position:u8  view(4 bits)|impression type(4 bits)  quality:u8  minutiae:u8
      per minutia, 6 bytes
        type(2 bits: 01 ending, 10 bifurcation, 00 other)|x(14 bits)
        reserved(2 bits)|y(14 bits)  angle:u8 (1.40625 degree units, counter-clockwise)
        quality:u8 (0-100)
      extended data length:u16 (+ that many bytes, skipped)

Only the first view is imported (one finger per template here). nbis-py's
exporter writes 0 views and 0 resolution with one view following; such a
record is read (``views`` says 0). The FVC2002
shared templates say 300x400 px at 197 px/cm whatever the image size: their
coordinates are the extractor's frame, which MCC does not mind (it is
invariant to translation and rotation). Every parse failure is a
:class:`~biometrics.fingerprint.errors.TemplateError` with the byte offset.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import numpy as np

from biometrics.fingerprint.errors import TemplateError
from biometrics.fingerprint.template import MinutiaeTemplate

MAGIC = b"FMR\x00 20\x00"
HEADER = struct.Struct(">8sIHHHHHBB")
VIEW = struct.Struct(">BBBB")
MINUTIA = struct.Struct(">HHBB")
ANGLE_UNIT = 2 * math.pi / 256
PPCM_500_PPI = 197  # 500 ppi in pixels per centimetre, rounded


@dataclass(frozen=True, slots=True)
class IsoRecord:
    template: MinutiaeTemplate
    position: int  # finger position code (models.biometric.FingerPosition values)
    impression: int
    resolution_ppcm: tuple[int, int]
    equipment: int
    views: int
    finger_quality: int


def parse(data: bytes) -> IsoRecord:
    """Read the first finger view of an ISO 19794-2:2005 record."""
    if len(data) < HEADER.size:
        raise TemplateError(f"record of {len(data)} bytes is shorter than the header", offset=0)
    magic, length, equipment, width, height, x_res, y_res, views, _ = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise TemplateError("not an ISO 19794-2:2005 record (bad magic or version)", offset=0)
    if length != len(data):
        raise TemplateError(f"length field says {length}, record has {len(data)} bytes", offset=8)
    if views < 1 and len(data) < HEADER.size + VIEW.size + 2:
        raise TemplateError("record holds no finger view", offset=22)
    offset = HEADER.size
    if offset + VIEW.size > len(data):
        raise TemplateError("truncated finger view header", offset=offset)
    position, view_impression, finger_quality, count = VIEW.unpack_from(data, offset)
    offset += VIEW.size
    end = offset + count * MINUTIA.size
    if end + 2 > len(data):
        raise TemplateError(f"{count} minutiae do not fit in the record", offset=offset)
    rows = []
    for k in range(count):
        type_x, y_field, angle, quality = MINUTIA.unpack_from(data, offset + k * MINUTIA.size)
        kind = type_x >> 14
        x, y = type_x & 0x3FFF, y_field & 0x3FFF
        if x >= width or y >= height:
            raise TemplateError(
                f"minutia {k} at ({x}, {y}) lies outside the {width}x{height} frame",
                offset=offset + k * MINUTIA.size,
            )
        # ISO type 01 ending, 10 bifurcation; ours 1 ending, 2 bifurcation, 0 other
        rows.append(
            (float(x), float(y), angle * ANGLE_UNIT, kind if kind in (1, 2) else 0, quality / 100)
        )
    (extended,) = struct.unpack_from(">H", data, end)
    if end + 2 + extended > len(data):
        raise TemplateError("extended data runs past the record", offset=end)
    template = MinutiaeTemplate.from_lists(width, height, rows, quality=finger_quality)
    return IsoRecord(
        template=template,
        position=position,
        impression=view_impression & 0x0F,
        resolution_ppcm=(x_res, y_res),
        equipment=equipment & 0x0FFF,
        views=views,
        finger_quality=finger_quality,
    )


MAX_FRAME = 0x3FFF  # 14-bit coordinates: the largest frame side a record holds


def frame_fits(template: MinutiaeTemplate) -> bool:
    """Whether :func:`dump` can store ``template`` (its frame within 14-bit coordinates)."""
    return template.width <= MAX_FRAME and template.height <= MAX_FRAME


def dump(
    template: MinutiaeTemplate,
    *,
    position: int = 0,
    impression: int = 0,
    finger_quality: int | None = None,
    equipment: int = 0,
) -> bytes:
    """One-view ISO 19794-2:2005 record of ``template`` (at most 255 minutiae, most reliable)."""
    if not frame_fits(template):
        raise TemplateError("frame too large for 14-bit coordinates")
    order = np.argsort(-template.reliability, kind="stable")[:255]
    order.sort()
    body = bytearray()
    for k in order.tolist():
        x = min(max(round(float(template.x[k])), 0), template.width - 1)
        y = min(max(round(float(template.y[k])), 0), template.height - 1)
        kind = int(template.kind[k]) if int(template.kind[k]) in (1, 2) else 0
        angle = round(float(template.angle[k]) / ANGLE_UNIT) % 256
        minutia_quality = min(max(round(float(template.reliability[k]) * 100), 0), 100)
        body += MINUTIA.pack((kind << 14) | x, y, angle, minutia_quality)
    quality = template.quality if finger_quality is None else finger_quality
    view = VIEW.pack(position, impression & 0x0F, min(max(quality or 0, 0), 100), len(order))
    length = HEADER.size + VIEW.size + len(body) + 2
    header = HEADER.pack(
        MAGIC,
        length,
        equipment & 0x0FFF,
        template.width,
        template.height,
        PPCM_500_PPI,
        PPCM_500_PPI,
        1,
        0,
    )
    return header + view + bytes(body) + b"\x00\x00"

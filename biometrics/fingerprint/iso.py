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

Every view is read; the first is the finger's template (a damaged later view
does not cost it: ``later_views_problem`` says what was wrong, and no enhanced
set is taken from such a record). A record we write may
carry a second view of the same finger: the minutiae mindtct finds on the
Gabor-enhanced image of the same capture (``gerbang_dual``, :mod:`dual`),
marked by a vendor-defined extended data block (type ``ENHANCED_BLOCK``,
content ``ENHANCED_TAG``) so that a second view written by another system
(another impression of the finger) is never taken for it; other readers see
an ordinary second view. That view's extended data may go on with a second
vendor-defined block (type ``FLOW_BLOCK``) holding the print's ridge flow
(:func:`flow.to_bytes`), which ``gerbang_dual`` needs too; a flow block that
does not parse costs the flow (``flow`` None, ``flow_problem`` says why), not
the record. nbis-py's
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

from biometrics.fingerprint import flow as ridge_flow
from biometrics.fingerprint.errors import TemplateError
from biometrics.fingerprint.flow import RidgeFlow
from biometrics.fingerprint.template import MinutiaeTemplate

MAGIC = b"FMR\x00 20\x00"
HEADER = struct.Struct(">8sIHHHHHBB")
VIEW = struct.Struct(">BBBB")
MINUTIA = struct.Struct(">HHBB")
ANGLE_UNIT = 2 * math.pi / 256
PPCM_500_PPI = 197  # 500 ppi in pixels per centimetre, rounded
ENHANCED_BLOCK = 0x0100  # first vendor-defined extended data type
ENHANCED_TAG = b"gerbang:enhanced-minutiae"
FLOW_BLOCK = 0x0101  # the ridge flow of the enhanced view's print
BLOCK = struct.Struct(">HH")  # extended data block: type, length of the data that follows


@dataclass(frozen=True, slots=True)
class IsoRecord:
    template: MinutiaeTemplate
    position: int  # finger position code (models.biometric.FingerPosition values)
    impression: int
    resolution_ppcm: tuple[int, int]
    equipment: int
    views: int
    finger_quality: int
    enhanced: MinutiaeTemplate | None = None  # our marked second view (see above), if any
    more_views: int = 0  # views after the first that are not our enhanced set
    # a view after the first that could not be read: the first stands, no enhanced set
    later_views_problem: str = ""
    flow: RidgeFlow | None = None  # the enhanced view's ridge flow block, if any and valid
    flow_problem: str = ""  # why a flow block present was not taken


def parse(data: bytes) -> IsoRecord:
    """Read an ISO 19794-2:2005 record: its first finger view, and our enhanced set if marked."""
    if len(data) < HEADER.size:
        raise TemplateError(f"record of {len(data)} bytes is shorter than the header", offset=0)
    magic, length, equipment, width, height, x_res, y_res, views, _ = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise TemplateError("not an ISO 19794-2:2005 record (bad magic or version)", offset=0)
    if length != len(data):
        raise TemplateError(f"length field says {length}, record has {len(data)} bytes", offset=8)
    if views < 1 and len(data) < HEADER.size + VIEW.size + 2:
        raise TemplateError("record holds no finger view", offset=22)
    first, offset = _view(data, HEADER.size, width, height)
    enhanced: MinutiaeTemplate | None = None
    flow_data: bytes | None = None
    more = 0
    problem = ""
    for number in range(2, views + 1):
        if offset >= len(data):
            problem = f"header says {views} views, the record ends after {number - 1}"
            break
        try:
            view, offset = _view(data, offset, width, height)
        except TemplateError as exc:  # the first view stands; the rest is not trusted
            problem = f"view {number} of {views} unreadable: {exc}"
            break
        if enhanced is None and view.marked and view.position == first.position:
            enhanced, flow_data = view.template, view.flow
        else:
            more += 1
    flow: RidgeFlow | None = None
    flow_problem = ""
    if flow_data is not None and enhanced is not None and not problem:
        try:
            flow = ridge_flow.from_bytes(flow_data)
        except TemplateError as exc:
            flow_problem = str(exc)
    return IsoRecord(
        template=first.template,
        position=first.position,
        impression=first.impression,
        resolution_ppcm=(x_res, y_res),
        equipment=equipment & 0x0FFF,
        views=views,
        finger_quality=first.quality,
        enhanced=None if problem else enhanced,
        more_views=more,
        later_views_problem=problem,
        flow=flow,
        flow_problem=flow_problem,
    )


@dataclass(frozen=True, slots=True)
class _View:
    template: MinutiaeTemplate
    position: int
    impression: int
    quality: int
    marked: bool  # carries our ENHANCED_BLOCK
    flow: bytes | None  # the data of a FLOW_BLOCK after it, if any (not yet checked)


def _view(data: bytes, offset: int, width: int, height: int) -> tuple[_View, int]:
    """The finger view at ``offset`` and the offset after it."""
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
    blocks = data[end + 2 : end + 2 + extended]
    tag = enhanced_block()
    marked = blocks[: len(tag)] == tag
    template = MinutiaeTemplate.from_lists(width, height, rows, quality=finger_quality)
    flow = _flow_block(blocks[len(tag) :]) if marked else None
    view = _View(template, position, view_impression & 0x0F, finger_quality, marked, flow)
    return view, end + 2 + extended


def _flow_block(rest: bytes) -> bytes | None:
    """The data of a ``FLOW_BLOCK`` among the blocks after our tag (others are skipped)."""
    offset = 0
    while offset + BLOCK.size <= len(rest):
        kind, size = BLOCK.unpack_from(rest, offset)
        offset += BLOCK.size
        if kind == FLOW_BLOCK:
            return rest[offset : offset + size]  # a short block fails in flow.from_bytes
        offset += size
    return None


def flow_block(flow: RidgeFlow) -> bytes:
    """The extended data block that carries a ridge flow."""
    data = ridge_flow.to_bytes(flow)
    if len(data) + BLOCK.size + len(enhanced_block()) > 0xFFFF:
        raise TemplateError("the ridge flow is too large for an extended data block")
    return BLOCK.pack(FLOW_BLOCK, len(data)) + data


def enhanced_block() -> bytes:
    """The extended data that marks a view as our enhanced set."""
    return BLOCK.pack(ENHANCED_BLOCK, len(ENHANCED_TAG)) + ENHANCED_TAG


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
    enhanced: MinutiaeTemplate | None = None,
    flow: RidgeFlow | None = None,
) -> bytes:
    """ISO 19794-2:2005 record of ``template`` (at most 255 minutiae, most reliable); with
    ``enhanced``, a second, marked view of the same finger holding that set (same frame),
    and ``flow`` (only with ``enhanced``) in that view's extended data."""
    if flow is not None and enhanced is None:
        raise TemplateError("a ridge flow is stored with the enhanced set only")
    if not frame_fits(template):
        raise TemplateError("frame too large for 14-bit coordinates")
    if enhanced is not None and (enhanced.width, enhanced.height) != (
        template.width,
        template.height,
    ):
        raise TemplateError("the enhanced set must have the first view's frame")
    quality = template.quality if finger_quality is None else finger_quality
    quality = min(max(quality or 0, 0), 100)
    body = _dump_view(template, position, 0, impression, quality, b"")
    if enhanced is not None:
        extended = enhanced_block() + (b"" if flow is None else flow_block(flow))
        body += _dump_view(enhanced, position, 1, impression, quality, extended)
    length = HEADER.size + len(body)
    header = HEADER.pack(
        MAGIC,
        length,
        equipment & 0x0FFF,
        template.width,
        template.height,
        PPCM_500_PPI,
        PPCM_500_PPI,
        1 if enhanced is None else 2,
        0,
    )
    return header + body


def _dump_view(
    template: MinutiaeTemplate,
    position: int,
    view: int,
    impression: int,
    quality: int,
    extended: bytes,
) -> bytes:
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
    head = VIEW.pack(position, ((view & 0x0F) << 4) | (impression & 0x0F), quality, len(order))
    return head + bytes(body) + struct.pack(">H", len(extended)) + extended

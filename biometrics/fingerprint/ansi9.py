"""ANSI/NIST-ITL Type-9 minutiae -> :class:`MinutiaeTemplate` at 500 ppi (pure functions).

The record is parsed elsewhere (``enrollment/ansinist.py``); this module takes
its tagged fields as text (field number -> value, subfields separated by RS
0x1E, items by US 0x1F) and knows three blocks of fields:

* **legacy** (ANSI/NIST-ITL 1-2007 and earlier, "standard format", fields
  9.005-9.012): 9.010 number of minutiae, 9.012 one subfield per minutia:
  index, ``XXXXYYYYTTT`` (X and Y in units of 0.01 mm, theta in degrees), quality
  (0 manual, 1 unknown, 2-63 decreasing confidence), type (A ending,
  B bifurcation, C compound, D undetermined), then ridge counts. The NIST
  "internal" convention, as NBIS writes it (``lfs2nist_minutia_XYT``): origin at
  the **bottom-left** of the image, y up, theta counter-clockwise from east and
  pointing **out and away** from the ridge ending or bifurcation valley, i.e.
  180 degrees from the INCITS 378 / ISO direction. NBIS's ``nist2iafis_type_9``
  flips y with the height of the image of the same IDC and turns theta by 180
  degrees for the same reason. Checked on ``type9-13.an2k``: with the y flip and
  the 180 degree turn all 28 minutiae lie within 10 px and 20 degrees of one of
  ours extracted from the Type-13 image; without either, at most 2 do.
* **INCITS 378 block** (fields 9.126-9.140, "M1"): 9.128/9.129 image size in
  pixels, 9.130 scale units (1 ppi, 2 ppcm, 0 none), 9.131/9.132 pixel scale,
  9.134 finger position, 9.136 number of minutiae, 9.137 one subfield per
  minutia: index, X, Y (pixels, origin top-left), angle in units of 2 degrees
  (0-179), type (0 other, 1 ending, 2 bifurcation), quality (1-100, 0 none).
  Same convention as ISO 19794-2 and our template; scaled to 500 ppi (a scale
  within 1% of it, e.g. 197 px/cm, counts as 500, as in ``incits378``).
* **EFS** (ANSI/NIST-ITL 1-2011 Extended Feature Set): 9.300 region of interest
  (width, height, offsets in 0.01 mm), 9.302 finger position, 9.331 one subfield
  per minutia: X, Y in units of 10 micrometres (0.01 mm) from the top-left of the
  region of interest, theta in degrees counter-clockwise, type (E ending,
  B bifurcation, X either), then optional uncertainties. The EFS theta "runs up
  the ridge" for an ending and "down the valley" for a bifurcation: the
  INCITS 378 / ISO direction, so no turn. (No shared sample has an EFS record
  with its image: this one is from the standard's text only.)

Our template (:mod:`biometrics.fingerprint.template`): pixels at 500 ppi, origin
top-left, y down, angle counter-clockwise as seen, ISO direction. A record
holding several blocks is read from EFS first, then the INCITS 378 block, then
the legacy fields. Every malformed value, count mismatch, zero minutiae or
coordinate outside the image is a :class:`TemplateError`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sized
from dataclasses import dataclass
from typing import Literal

from biometrics.fingerprint.errors import TemplateError
from biometrics.fingerprint.template import MinutiaeTemplate

RS, US = "\x1e", "\x1f"
TARGET_PPI = 500.0
MM_PER_INCH = 25.4
PX_PER_UNIT = TARGET_PPI / MM_PER_INCH / 100.0  # pixels at 500 ppi per 0.01 mm
MARGIN_PX = 16  # around the minutiae when the record says nothing of the image's size
MAX_MINUTIAE = 999
_NUMBER = re.compile(r"-?[0-9]{1,9}")

Block = Literal["efs", "incits378", "legacy"]


@dataclass(frozen=True, slots=True)
class Frame:
    """The image the minutiae were marked on (same IDC): its size in its own pixels."""

    width: int
    height: int
    ppi: float


@dataclass(frozen=True, slots=True)
class Type9Minutiae:
    template: MinutiaeTemplate
    block: Block
    position: int  # friction ridge position code (0 unknown)
    frame_known: bool  # the image's size was known (legacy: absolute y flip)


def has_minutiae(fields: Mapping[int, str]) -> bool:
    """Whether a Type-9 record carries minutiae in a block this module reads."""
    return any(number in fields for number in (331, 137, 12))


def from_type9(fields: Mapping[int, str], *, frame: Frame | None = None) -> Type9Minutiae:
    """The minutiae of one Type-9 record's fields (EFS, else INCITS 378, else legacy)."""
    if 331 in fields:
        return efs(fields)
    if 137 in fields:
        return incits378(fields)
    if 12 in fields:
        return legacy(fields, frame=frame)
    raise TemplateError("Type-9 record holds no minutiae (no field 9.012, 9.137 or 9.331)")


# ---------------------------------------------------------------- legacy 9.010/9.012
_LEGACY_KIND = {"A": 1, "B": 2, "C": 0, "D": 0}


def legacy(fields: Mapping[int, str], *, frame: Frame | None = None) -> Type9Minutiae:
    """Fields 9.010/9.012. ``frame`` (the image of the same IDC) makes the y flip absolute;
    without it the origin is put below the lowest minutia (a translation, which MCC ignores)."""
    declared = _int(fields, 10, "9.010 number of minutiae")
    if declared == 0:
        raise TemplateError("9.010 says the record holds no minutiae")
    subfields = _subfields(fields, 12)
    if declared != len(subfields):
        raise TemplateError(f"9.010 says {declared} minutiae, 9.012 holds {len(subfields)}")
    points: list[tuple[int, int, int, int, float]] = []
    for k, items in enumerate(subfields):
        if len(items) < 2 or not re.fullmatch(r"[0-9]{11}", items[1]):
            raise TemplateError(f"9.012 minutia {k + 1}: location is not XXXXYYYYTTT")
        code = items[1]
        x, y, theta = int(code[:4]), int(code[4:8]), int(code[8:])
        if theta > 360:
            raise TemplateError(f"9.012 minutia {k + 1}: theta {theta} is not 0-359 degrees")
        quality = _item_int(items, 2, 1, f"9.012 minutia {k + 1} quality")
        if not 0 <= quality <= 63:
            raise TemplateError(f"9.012 minutia {k + 1}: quality {quality} is not 0-63")
        kind_code = items[3].strip().upper() if len(items) > 3 and items[3].strip() else "D"
        if kind_code not in _LEGACY_KIND:
            raise TemplateError(f"9.012 minutia {k + 1}: type {kind_code!r} is not A-D")
        # 0 marked by hand, 1 no confidence given, 2 (best) .. 63 (worst)
        reliability = 1.0 if quality == 0 else 0.5 if quality == 1 else (63 - quality) / 61
        points.append((x, y, theta, _LEGACY_KIND[kind_code], reliability))
    _require_minutiae(points, "9.012")
    if frame is not None:
        if frame.width <= 0 or frame.height <= 0 or frame.ppi <= 0:
            raise TemplateError(f"image frame {frame} is not a usable size and resolution")
        scale = TARGET_PPI / frame.ppi
        width, height = math.ceil(frame.width * scale), math.ceil(frame.height * scale)
        top_units = frame.height / frame.ppi * MM_PER_INCH * 100
        offset = 0.0
    else:
        top_units = float(max(p[1] for p in points))
        width = math.ceil(max(p[0] for p in points) * PX_PER_UNIT) + MARGIN_PX
        height = math.ceil((top_units - min(p[1] for p in points)) * PX_PER_UNIT) + 2 * MARGIN_PX
        offset = MARGIN_PX
    rows = []
    for k, (x, y, theta, kind, reliability) in enumerate(points):
        px, py = x * PX_PER_UNIT, (top_units - y) * PX_PER_UNIT + offset
        _inside(px, py, width, height, f"9.012 minutia {k + 1}")
        # NIST direction points away from the ending: ISO's is the opposite one
        rows.append((px, py, math.radians(theta + 180), kind, reliability))
    return Type9Minutiae(
        MinutiaeTemplate.from_lists(width, height, rows),
        "legacy",
        _position(fields, 6),
        frame is not None,
    )


# ---------------------------------------------------------------- INCITS 378 block 9.126-9.140
def incits378(fields: Mapping[int, str]) -> Type9Minutiae:
    """Fields 9.128-9.137 (the INCITS 378 "M1" block)."""
    width_px = _int(fields, 128, "9.128 horizontal line length")
    height_px = _int(fields, 129, "9.129 vertical line length")
    units = _int(fields, 130, "9.130 scale units") if 130 in fields else 0
    if units in (1, 2):
        factor = 1.0 if units == 1 else 2.54  # pixels per inch / per centimetre
        ppi_x = _int(fields, 131, "9.131 horizontal pixel scale") * factor
        ppi_y = _int(fields, 132, "9.132 vertical pixel scale") * factor
    elif units == 0:
        ppi_x = ppi_y = TARGET_PPI  # no units: only the aspect ratio is known; assume 500 ppi
    else:
        raise TemplateError(f"9.130 scale units {units} is not 0, 1 or 2")
    if width_px <= 0 or height_px <= 0 or ppi_x <= 0 or ppi_y <= 0:
        raise TemplateError("9.128-9.132 image size or resolution is zero")
    declared = _int(fields, 136, "9.136 number of minutiae")
    if declared == 0:
        raise TemplateError("9.136 says the record holds no minutiae")
    subfields = _subfields(fields, 137)
    if declared != len(subfields):
        raise TemplateError(f"9.136 says {declared} minutiae, 9.137 holds {len(subfields)}")
    sx, sy = _to_500(ppi_x), _to_500(ppi_y)
    width, height = math.ceil(width_px * sx), math.ceil(height_px * sy)
    rows = []
    for k, items in enumerate(subfields):
        label = f"9.137 minutia {k + 1}"
        if len(items) < 5:
            raise TemplateError(f"{label}: {len(items)} items, at least 5 expected")
        x = _item_int(items, 1, None, f"{label} x")
        y = _item_int(items, 2, None, f"{label} y")
        angle = _item_int(items, 3, None, f"{label} angle")
        kind = _item_int(items, 4, None, f"{label} type")
        quality = _item_int(items, 5, 0, f"{label} quality")
        if not 0 <= angle <= 179:
            raise TemplateError(f"{label}: angle {angle} is not 0-179 (2-degree units)")
        if kind not in (0, 1, 2):
            raise TemplateError(f"{label}: type {kind} is not 0, 1 or 2")
        if not 0 <= quality <= 100:
            raise TemplateError(f"{label}: quality {quality} is not 0-100")
        if not (0 <= x < width_px and 0 <= y < height_px):
            raise TemplateError(
                f"{label} at ({x}, {y}) lies outside the {width_px}x{height_px} image"
            )
        rows.append((x * sx, y * sy, math.radians(2 * angle), kind, quality / 100))
    _require_minutiae(rows, "9.137")
    return Type9Minutiae(
        MinutiaeTemplate.from_lists(width, height, rows), "incits378", _position(fields, 134), True
    )


# ---------------------------------------------------------------- EFS 9.300/9.331
_EFS_KIND = {"E": 1, "B": 2, "X": 0}


def efs(fields: Mapping[int, str]) -> Type9Minutiae:
    """Fields 9.300 (region of interest) and 9.331 (EFS minutiae)."""
    subfields = _subfields(fields, 331)
    roi: tuple[int, int] | None = None
    if 300 in fields:
        items = _subfields(fields, 300)[0]
        roi = (
            _item_int(items, 0, None, "9.300 ROI width"),
            _item_int(items, 1, None, "9.300 ROI height"),
        )
        if roi[0] <= 0 or roi[1] <= 0:
            raise TemplateError(f"9.300 region of interest {roi[0]}x{roi[1]} is empty")
    points: list[tuple[int, int, int, int]] = []
    for k, items in enumerate(subfields):
        label = f"9.331 minutia {k + 1}"
        if len(items) < 4:
            raise TemplateError(f"{label}: {len(items)} items, at least 4 expected")
        x = _item_int(items, 0, None, f"{label} x")
        y = _item_int(items, 1, None, f"{label} y")
        theta = _item_int(items, 2, None, f"{label} theta")
        kind_code = items[3].strip().upper()
        if not 0 <= theta <= 360:  # 360 (= 0) is seen in libbiomeval's type9-efs.an2k
            raise TemplateError(f"{label}: theta {theta} is not 0-359 degrees")
        if kind_code not in _EFS_KIND:
            raise TemplateError(f"{label}: type {kind_code!r} is not E, B or X")
        if x < 0 or y < 0 or (roi is not None and (x > roi[0] or y > roi[1])):
            where = f"the {roi[0]}x{roi[1]} region of interest" if roi else "the image"
            raise TemplateError(f"{label} at ({x}, {y}) (0.01 mm) lies outside {where}")
        points.append((x, y, theta, _EFS_KIND[kind_code]))
    _require_minutiae(points, "9.331")
    if roi is not None:
        width, height = math.ceil(roi[0] * PX_PER_UNIT) + 1, math.ceil(roi[1] * PX_PER_UNIT) + 1
    else:
        width = math.ceil(max(p[0] for p in points) * PX_PER_UNIT) + MARGIN_PX
        height = math.ceil(max(p[1] for p in points) * PX_PER_UNIT) + MARGIN_PX
    rows = [
        (x * PX_PER_UNIT, y * PX_PER_UNIT, math.radians(theta), kind, 1.0)
        for x, y, theta, kind in points
    ]
    return Type9Minutiae(
        MinutiaeTemplate.from_lists(width, height, rows),
        "efs",
        _position(fields, 302),
        roi is not None,
    )


# ---------------------------------------------------------------- helpers
def _to_500(ppi: float) -> float:
    """Scale factor to 500 ppi; within 1% counts as 500 (197 px/cm is 500.4 ppi), as in
    :mod:`incits378`, so both paths give the same pixels."""
    return 1.0 if abs(ppi - TARGET_PPI) <= TARGET_PPI / 100 else TARGET_PPI / ppi


def _subfields(fields: Mapping[int, str], number: int) -> list[list[str]]:
    text = fields.get(number)
    if text is None or not text.strip():
        raise TemplateError(f"field 9.{number:03d} is missing or empty")
    subfields = [sub.split(US) for sub in text.split(RS)]
    if len(subfields) > MAX_MINUTIAE:
        raise TemplateError(f"field 9.{number:03d} holds {len(subfields)} subfields")
    return subfields


def _int(fields: Mapping[int, str], number: int, what: str) -> int:
    text = fields.get(number)
    if text is None:
        raise TemplateError(f"{what} is missing")
    value = text.split(RS)[0].split(US)[0].strip()
    if not re.fullmatch(r"[0-9]{1,9}", value):
        raise TemplateError(f"{what} {value!r} is not a number")
    return int(value)


def _item_int(items: list[str], index: int, default: int | None, what: str) -> int:
    if index >= len(items) or not items[index].strip():
        if default is None:
            raise TemplateError(f"{what} is missing")
        return default
    value = items[index].strip()
    if not _NUMBER.fullmatch(value):
        raise TemplateError(f"{what} {value!r} is not a number")
    return int(value)


def _position(fields: Mapping[int, str], number: int) -> int:
    value = fields.get(number, "").split(RS)[0].split(US)[0].strip()
    return int(value) if re.fullmatch(r"[0-9]{1,3}", value) else 0


def _require_minutiae(points: Sized, where: str) -> None:
    if not len(points):
        raise TemplateError(f"{where} holds no minutiae")


def _inside(x: float, y: float, width: int, height: int, label: str) -> None:
    if not (0 <= x < width + 0.5 and 0 <= y < height + 0.5):
        raise TemplateError(
            f"{label} at ({x:.0f}, {y:.0f}) px lies outside the {width}x{height} image"
        )

"""Slap segmentation: a four-finger (or two-thumb, or plain thumb) image -> fingertips.

NBIS's NFSEG is not reachable from nbis-py, so this is our own, after the usual
recipe (NFSEG, and the NIST SlapSeg evaluations' description of segmenters):

1. **Foreground** (:func:`ridge_foreground`): band-pass energy at the ridge
   frequency (difference of Gaussians, ridge period 8-12 px at 500 ppi), kept
   where it is strong *and* dominates the next lower band. Ridges are periodic
   at that frequency; handwriting, printed headings, card edges and punched
   holes are not, so they drop out. Closed, opened, holes filled. A segment
   whose median orientation coherence (gradient structure tensor) is below
   ``min_coherence`` has no ridge flow (noise, stains) and is dropped.
2. **Hand rotation**: the area-weighted median of the finger segments' major
   axes (image moments), limited to +-``max_rotation_deg``. Everything after
   works in the image rotated so that the fingers point up.
3. **Segments**: connected components; one that is longer than a fingertip is
   cut at the crossing crease below the distal phalanx (the deepest dip of the
   ridge energy per row within ``crease_window`` tip widths of its top), or at
   ``max_tip_aspect`` tip widths when there is no clear crease.
4. **Fingertips**: the distal phalanx is the top-most segment of each finger,
   i.e. a segment with no other segment above it (overlapping columns, within
   ``above_reach`` widths). The expected number (4, 2 or 1) of the largest are
   kept and ordered left to right.
5. **Positions** (ANSI/NIST-ITL 1-2011 table 8 codes, the same as ISO/IEC
   19794-2): a slap is the impression as seen on a card, so a right-hand slap
   (FGP 13) shows index 2, middle 3, ring 4, little 5 from left to right; a
   left-hand slap (FGP 14) shows little 10, ring 9, middle 8, index 7; the
   two-thumb slap (FGP 15, "plain left and right thumbs") shows the left thumb
   6 on the left and the right thumb 1 on the right. When fewer tips are found
   than expected, the gaps between them say which slots are empty if they can;
   otherwise the positions are left unassigned (:attr:`SegmentedFinger.position`
   None) and the result says so.
6. **Crops**: each tip's rectangle in the rotated image (plus a margin), at
   500 ppi, with the pixels outside the dilated segment blanked (no ridges of
   the neighbours), then extracted and scored by the normal pipeline
   (:func:`api.extract_fingerprint`: NFIQ 2 with the labelled fallback).

Bad input gives a typed :class:`SlapResult` (``status``), never an exception.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
from scipy import ndimage

from biometrics.fingerprint import api
from biometrics.fingerprint.errors import FingerprintError
from biometrics.fingerprint.extract import Extraction
from biometrics.fingerprint.image import GrayImage, from_array
from biometrics.fingerprint.params import SLAP, SlapParams
from biometrics.fingerprint.quality import Quality
from models.biometric import FingerPosition

FloatImage = npt.NDArray[np.float32]
Mask = npt.NDArray[np.bool_]
TARGET_PPI = 500.0
_PLAUSIBLE_PPI = (250.0, 2000.0)


class SlapKind(enum.StrEnum):
    RIGHT_FOUR = "right-four"
    LEFT_FOUR = "left-four"
    TWO_THUMBS = "two-thumbs"
    RIGHT_THUMB = "right-thumb"
    LEFT_THUMB = "left-thumb"


F = FingerPosition
POSITIONS: dict[SlapKind, tuple[FingerPosition, ...]] = {
    SlapKind.RIGHT_FOUR: (F.RIGHT_INDEX, F.RIGHT_MIDDLE, F.RIGHT_RING, F.RIGHT_LITTLE),
    SlapKind.LEFT_FOUR: (F.LEFT_LITTLE, F.LEFT_RING, F.LEFT_MIDDLE, F.LEFT_INDEX),
    SlapKind.TWO_THUMBS: (F.LEFT_THUMB, F.RIGHT_THUMB),
    SlapKind.RIGHT_THUMB: (F.RIGHT_THUMB,),
    SlapKind.LEFT_THUMB: (F.LEFT_THUMB,),
}
# ANSI/NIST-ITL finger position codes of slap images: 13-15 slaps, 11/12 plain thumbs.
SLAP_CODES: dict[int, SlapKind] = {
    13: SlapKind.RIGHT_FOUR,
    14: SlapKind.LEFT_FOUR,
    15: SlapKind.TWO_THUMBS,
    11: SlapKind.RIGHT_THUMB,
    12: SlapKind.LEFT_THUMB,
}


class SlapStatus(enum.StrEnum):
    OK = "ok"  # every expected fingertip found and positioned
    WRONG_COUNT = "wrong-count"  # fewer (or no) fingertips than expected: see ``missing``
    TOUCHING = "touching"  # a segment as wide as two fingers: they touch, cannot be split
    BLANK = "blank"  # no ridge pattern anywhere
    BAD_IMAGE = "bad-image"  # not a 2-D 8-bit image, implausible ppi, too small


@dataclass(frozen=True, slots=True)
class RotatedBox:
    """A fingertip's rectangle in the source image's pixels (rotated with the hand)."""

    corners: tuple[tuple[float, float], ...]  # top-left, top-right, bottom-right, bottom-left
    angle_deg: float  # the hand's rotation (positive: fingertips lean to the right)

    @property
    def center(self) -> tuple[float, float]:
        xs = [c[0] for c in self.corners]
        ys = [c[1] for c in self.corners]
        return sum(xs) / 4, sum(ys) / 4

    @property
    def size(self) -> tuple[float, float]:
        (x0, y0), (x1, y1), _, (x3, y3) = self.corners
        return math.hypot(x1 - x0, y1 - y0), math.hypot(x3 - x0, y3 - y0)

    def to_json(self) -> dict[str, object]:
        return {
            "corners": [[round(x, 1), round(y, 1)] for x, y in self.corners],
            "angle_deg": round(self.angle_deg, 1),
        }


@dataclass(frozen=True, slots=True)
class SegmentedFinger:
    position: FingerPosition | None  # None when the slot cannot be told (see SlapResult)
    box: RotatedBox
    crop: GrayImage  # the fingertip at 500 ppi, neighbours blanked
    extraction: Extraction | None  # template and quality; None when extraction failed
    error: str | None = None  # why extraction failed

    @property
    def quality(self) -> Quality | None:
        return None if self.extraction is None else self.extraction.quality

    @property
    def minutiae(self) -> int:
        return 0 if self.extraction is None else self.extraction.template.count

    def to_json(self) -> dict[str, object]:
        quality = self.quality
        return {
            "position": None if self.position is None else int(self.position),
            "box": self.box.to_json(),
            "crop_size": [int(self.crop.shape[1]), int(self.crop.shape[0])],
            "minutiae": self.minutiae,
            "quality": None if quality is None else quality.score,
            "quality_method": None if quality is None else quality.method,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class SlapResult:
    kind: SlapKind
    status: SlapStatus
    fingers: tuple[SegmentedFinger, ...]  # left to right as in the image
    expected: tuple[FingerPosition, ...]
    missing: tuple[FingerPosition, ...] = ()  # known missing positions (may be incomplete)
    hand_angle_deg: float = 0.0
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status is SlapStatus.OK

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "status": self.status.value,
            "expected": [int(p) for p in self.expected],
            "found": len(self.fingers),
            "missing": [int(p) for p in self.missing],
            "hand_angle_deg": round(self.hand_angle_deg, 1),
            "message": self.message,
            "fingers": [f.to_json() for f in self.fingers],
        }


@dataclass(slots=True)
class _Segment:
    y0: int
    y1: int  # exclusive
    x0: int
    x1: int  # exclusive
    area: int
    mask: Mask  # (y1 - y0) x (x1 - x0), within the bounding box

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


# ---------------------------------------------------------------- entry point
def segment_slap(
    image: npt.NDArray[np.uint8],
    kind: SlapKind | str,
    ppi: float = TARGET_PPI,
    *,
    params: SlapParams = SLAP,
    extract: bool = True,
    enhanced: bool = False,
) -> SlapResult:
    """Fingertips of a slap image; ``extract=False`` skips the templates and quality,
    ``enhanced=True`` adds each tip's enhanced minutiae set and ridge flow
    (``gerbang_dual``)."""
    kind = SlapKind(kind)
    expected = POSITIONS[kind]

    def failed(status: SlapStatus, message: str, angle: float = 0.0) -> SlapResult:
        return SlapResult(kind, status, (), expected, expected, angle, message)

    if image.ndim != 2 or image.dtype != np.uint8:
        return failed(SlapStatus.BAD_IMAGE, "a slap must be a 2-D 8-bit grey image")
    if not _PLAUSIBLE_PPI[0] <= ppi <= _PLAUSIBLE_PPI[1]:
        return failed(SlapStatus.BAD_IMAGE, f"resolution {ppi:g} ppi is implausible")
    scale = TARGET_PPI / ppi
    height, width = image.shape
    size = (round(width * scale), round(height * scale))
    if min(size) < 150:
        return failed(SlapStatus.BAD_IMAGE, f"{size[0]}x{size[1]} px at 500 ppi is too small")
    if max(size) > params.max_side:
        return failed(SlapStatus.BAD_IMAGE, f"{size[0]}x{size[1]} px at 500 ppi is too large")
    if size != (width, height):
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        pixels = np.asarray(cv2.resize(image, size, interpolation=interpolation), np.uint8)
    else:
        pixels = np.ascontiguousarray(image)
    if float(pixels.std()) < 4.0:
        return failed(SlapStatus.BLANK, "no ridge pattern: the image is uniform")
    energy, mask = ridge_foreground(pixels, params)
    if not mask.any():
        return failed(SlapStatus.BLANK, "no ridge pattern found")
    coherence = _coherence(pixels, params.coherence_sigma)
    angle = _hand_angle(mask, coherence, params)
    rotation, rotated_size = _rotation(pixels.shape, angle)
    background = int(np.median(pixels[~mask])) if (~mask).any() else 255
    pixels_r: GrayImage = np.asarray(
        cv2.warpAffine(
            pixels, rotation, rotated_size, flags=cv2.INTER_LINEAR, borderValue=(background,)
        ),
        np.uint8,
    )
    energy_r: FloatImage = np.asarray(
        cv2.warpAffine(energy, rotation, rotated_size, flags=cv2.INTER_LINEAR), np.float32
    )
    mask_r = (
        cv2.warpAffine(mask.astype(np.uint8), rotation, rotated_size, flags=cv2.INTER_NEAREST) > 0
    )
    coherence_r: FloatImage = np.asarray(
        cv2.warpAffine(coherence, rotation, rotated_size, flags=cv2.INTER_LINEAR), np.float32
    )
    segments = [
        segment
        for segment in _segments(mask_r, energy_r, params)
        if _median_within(coherence_r, segment) >= params.min_coherence
    ]
    tips = _tips(segments, params)
    if not tips:
        return failed(SlapStatus.WRONG_COUNT, "no fingertip found", angle)
    tips = sorted(sorted(tips, key=lambda t: -t.area)[: len(expected)], key=lambda t: t.cx)
    typical = float(np.median([t.width for t in tips]))
    thumbs = kind in (SlapKind.TWO_THUMBS, SlapKind.RIGHT_THUMB, SlapKind.LEFT_THUMB)
    limit = params.max_thumb_width if thumbs else params.max_tip_width
    for tip in tips:
        too_wide = tip.width > limit or (
            len(tips) >= 3 and tip.width > params.touching_width * typical
        )
        if too_wide and len(expected) > 1:
            return failed(
                SlapStatus.TOUCHING,
                f"a segment {tip.width / scale:.0f} px wide holds more than one finger: "
                "the fingers touch; spread them and capture again",
                angle,
            )
    positions, missing, note = _positions(tips, expected)
    inverse = np.asarray(cv2.invertAffineTransform(rotation), np.float64)
    fingers = tuple(
        _finger(
            tip,
            position,
            pixels_r,
            mask_r,
            inverse,
            scale,
            angle,
            background,
            params,
            extract,
            enhanced,
        )
        for tip, position in zip(tips, positions, strict=True)
    )
    if len(tips) == len(expected):
        return SlapResult(kind, SlapStatus.OK, fingers, expected, (), angle, "")
    message = f"{len(tips)} of {len(expected)} fingertips found; {note}"
    return SlapResult(kind, SlapStatus.WRONG_COUNT, fingers, expected, missing, angle, message)


# ---------------------------------------------------------------- foreground
def ridge_foreground(pixels: GrayImage, params: SlapParams = SLAP) -> tuple[FloatImage, Mask]:
    """(ridge-band energy, foreground mask) of a 500 ppi image."""
    image = pixels.astype(np.float32)
    fine = cv2.GaussianBlur(image, (0, 0), params.sigma_fine)
    mid = cv2.GaussianBlur(image, (0, 0), params.sigma_mid)
    coarse = cv2.GaussianBlur(image, (0, 0), params.sigma_coarse)
    ridge_band = fine - mid
    lower_band = mid - coarse
    window = params.energy_window
    energy = np.sqrt(cv2.GaussianBlur(ridge_band * ridge_band, (0, 0), window))
    lower = np.sqrt(cv2.GaussianBlur(lower_band * lower_band, (0, 0), window))
    strong = float(np.percentile(energy, 98))
    if strong < params.min_energy:
        return energy.astype(np.float32), np.zeros(pixels.shape, bool)
    raw = (energy >= params.energy_fraction * strong) & (energy >= params.band_ratio * lower)
    mask = raw.astype(np.uint8)
    if params.close_radius:
        mask = np.asarray(
            cv2.morphologyEx(mask, cv2.MORPH_CLOSE, _disk(params.close_radius)), np.uint8
        )
    if params.open_radius:
        mask = np.asarray(
            cv2.morphologyEx(mask, cv2.MORPH_OPEN, _disk(params.open_radius)), np.uint8
        )
    filled: Mask = np.asarray(ndimage.binary_fill_holes(mask > 0), bool)
    return energy.astype(np.float32), filled


def _coherence(pixels: GrayImage, sigma: float) -> FloatImage:
    """Orientation coherence of the gradient structure tensor (0: no direction, 1: one)."""
    image = pixels.astype(np.float32)
    gx = cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3)
    gxx = cv2.GaussianBlur(gx * gx, (0, 0), sigma)
    gyy = cv2.GaussianBlur(gy * gy, (0, 0), sigma)
    gxy = cv2.GaussianBlur(gx * gy, (0, 0), sigma)
    flow = np.sqrt((gxx - gyy) ** 2 + 4 * gxy * gxy) / (gxx + gyy + 1e-6)
    return np.asarray(flow, np.float32)


def _median_within(values: FloatImage, segment: _Segment) -> float:
    window = values[segment.y0 : segment.y1, segment.x0 : segment.x1]
    return float(np.median(window[segment.mask]))


def _disk(radius: int) -> npt.NDArray[np.uint8]:
    return np.asarray(
        cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1)), np.uint8
    )


# ---------------------------------------------------------------- rotation
def _hand_angle(mask: Mask, coherence: FloatImage, params: SlapParams) -> float:
    """Degrees the fingers lean from vertical (positive: tips to the right), from the
    components with ridge flow."""
    labels, _ = ndimage.label(mask)
    leans: list[float] = []
    weights: list[float] = []
    for index, found in enumerate(ndimage.find_objects(labels), start=1):
        if found is None:
            continue
        component = labels[found] == index
        area = int(component.sum())
        if area < params.min_segment_area:
            continue
        if float(np.median(coherence[found][component])) < params.min_coherence:
            continue
        ys, xs = np.nonzero(component)
        dx, dy = xs - xs.mean(), ys - ys.mean()
        mu20, mu02, mu11 = float((dx * dx).mean()), float((dy * dy).mean()), float((dx * dy).mean())
        spread = math.hypot(mu20 - mu02, 2 * mu11)
        if spread < 0.1 * (mu20 + mu02):
            continue  # round: no axis
        theta = math.degrees(0.5 * math.atan2(2 * mu11, mu20 - mu02))  # major axis, y down
        lean = theta + 90.0 if theta < 0 else theta - 90.0
        if abs(lean) <= params.max_rotation_deg:
            leans.append(lean)
            weights.append(area)
    if not leans:
        return 0.0
    order = np.argsort(leans)
    cumulative = np.cumsum(np.asarray(weights)[order])
    median = order[int(np.searchsorted(cumulative, cumulative[-1] / 2))]
    return float(leans[median])


def _rotation(
    shape: tuple[int, ...], angle: float
) -> tuple[npt.NDArray[np.float64], tuple[int, int]]:
    """Affine transform that turns fingers leaning by ``angle`` upright, on a canvas
    large enough for the whole image."""
    height, width = shape[0], shape[1]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    out_w = math.ceil(height * sin + width * cos)
    out_h = math.ceil(height * cos + width * sin)
    matrix[0, 2] += out_w / 2 - width / 2
    matrix[1, 2] += out_h / 2 - height / 2
    return np.asarray(matrix, np.float64), (out_w, out_h)


# ---------------------------------------------------------------- segments
def _segments(mask: Mask, energy: FloatImage, params: SlapParams) -> list[_Segment]:
    labels, _ = ndimage.label(mask)
    out: list[_Segment] = []
    for index, found in enumerate(ndimage.find_objects(labels), start=1):
        if found is None:
            continue
        component = labels[found] == index
        if int(component.sum()) < params.min_segment_area:
            continue
        y0, x0 = found[0].start, found[1].start
        out.extend(_split(component, energy[found], y0, x0, params))
    return out


def _segment(component: Mask, y0: int, x0: int) -> _Segment | None:
    rows = np.flatnonzero(component.any(axis=1))
    cols = np.flatnonzero(component.any(axis=0))
    if rows.size == 0:
        return None
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    part = component[r0:r1, c0:c1]
    return _Segment(y0 + r0, y0 + r1, x0 + c0, x0 + c1, int(part.sum()), part)


def _split(
    component: Mask, energy: FloatImage, y0: int, x0: int, params: SlapParams
) -> list[_Segment]:
    """The component, cut below its top phalanx when it is longer than a fingertip."""
    row_width = component.sum(axis=1).astype(np.float64)
    nonzero = row_width[row_width > 0]
    tip_width = float(np.median(nonzero[: max(1, len(nonzero) // 2)]))
    height = component.shape[0]
    low = int(params.crease_window[0] * tip_width)
    high = min(int(params.crease_window[1] * tip_width), height - int(0.2 * tip_width))
    if tip_width <= 0 or high <= low:
        whole = _segment(component, y0, x0)
        return [] if whole is None else [whole]
    profile = (energy * component).sum(axis=1) / tip_width
    smooth = ndimage.gaussian_filter1d(profile, 4.0)
    top = int(np.flatnonzero(row_width > 0)[0])
    low, high = top + low, min(top + high, height)
    if high <= low:
        whole = _segment(component, y0, x0)
        return [] if whole is None else [whole]
    cut = low + int(np.argmin(smooth[low:high]))
    if smooth[cut] >= params.crease_depth * float(np.median(smooth[top:cut])):
        limit = top + int(params.max_tip_aspect * tip_width)
        if limit >= height:
            whole = _segment(component, y0, x0)
            return [] if whole is None else [whole]
        cut = limit
    upper, lower = component.copy(), component.copy()
    upper[cut:] = False
    lower[:cut] = False
    pieces = [_segment(upper, y0, x0), _segment(lower, y0, x0)]
    return [p for p in pieces if p is not None and p.area >= params.min_segment_area]


def _above(upper: _Segment, lower: _Segment, params: SlapParams) -> bool:
    """``upper`` lies on the same finger as ``lower``, nearer the fingertip: a segment
    of fingertip size (smaller pieces are fragments of a lower phalanx or smudges)."""
    if (
        upper is lower
        or upper.area < params.min_tip_area
        or upper.cy >= lower.y0 + 0.25 * lower.height
    ):
        return False
    overlap = min(upper.x1, lower.x1) - max(upper.x0, lower.x0)
    if overlap < params.above_overlap * min(upper.width, lower.width):
        return False
    return lower.y0 - upper.y1 < params.above_reach * lower.width


def _tips(segments: list[_Segment], params: SlapParams) -> list[_Segment]:
    return [
        s
        for s in segments
        if s.area >= params.min_tip_area and not any(_above(o, s, params) for o in segments)
    ]


def _positions(
    tips: list[_Segment], expected: tuple[FingerPosition, ...]
) -> tuple[list[FingerPosition | None], tuple[FingerPosition, ...], str]:
    """Positions of the tips (left to right); when some are missing, the missing ones
    that the gaps between tips reveal, and a note."""
    if len(tips) == len(expected):
        return list(expected), (), ""
    if len(tips) >= 2:
        centres = [t.cx for t in tips]
        gaps = np.diff(centres)
        unit = max(float(gaps.min()), 0.9 * float(np.median([t.width for t in tips])))
        steps = [max(1, round(float(g) / unit)) for g in gaps]
        span = 1 + sum(steps)
        if span == len(expected):
            slots = [0, *np.cumsum(steps).tolist()]
            positions: list[FingerPosition | None] = [expected[int(s)] for s in slots]
            missing = tuple(p for p in expected if p not in positions)
            return positions, missing, "the gaps between the fingertips show which are missing"
    note = "which fingers are missing cannot be told from the image"
    return [None] * len(tips), (), note


# ---------------------------------------------------------------- crops
def _finger(
    tip: _Segment,
    position: FingerPosition | None,
    pixels: GrayImage,
    foreground: Mask,
    inverse: npt.NDArray[np.float64],
    scale: float,
    angle: float,
    background: int,
    params: SlapParams,
    extract: bool,
    enhanced: bool = False,
) -> SegmentedFinger:
    height, width = pixels.shape
    margin = params.crop_margin
    y0, y1 = max(0, tip.y0 - margin), min(height, tip.y1 + margin)
    x0, x1 = max(0, tip.x0 - margin), min(width, tip.x1 + margin)
    keep = np.zeros((y1 - y0, x1 - x0), bool)
    keep[tip.y0 - y0 : tip.y1 - y0, tip.x0 - x0 : tip.x1 - x0] = tip.mask
    if params.mask_dilate:
        keep = cv2.dilate(keep.astype(np.uint8), _disk(params.mask_dilate)) > 0
    crop = pixels[y0:y1, x0:x1].copy()
    if params.blank_others_only:
        # blank what belongs to other segments (neighbours, the lower phalanx), keep the
        # rest of the rectangle: faint parts of this print are below the foreground threshold
        crop[foreground[y0:y1, x0:x1] & ~keep] = background
    else:
        crop[~keep] = background
    short = max(0, 150 - crop.shape[0]), max(0, 150 - crop.shape[1])
    if any(short):
        crop = np.pad(
            crop,
            ((short[0] // 2, short[0] - short[0] // 2), (short[1] // 2, short[1] - short[1] // 2)),
            constant_values=background,
        )
    corners_r = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)
    corners = corners_r @ inverse[:, :2].T + inverse[:, 2]
    box = RotatedBox(tuple((float(x / scale), float(y / scale)) for x, y in corners), angle)
    crop = np.ascontiguousarray(crop, np.uint8)
    if not extract:
        return SegmentedFinger(position, box, crop, None)
    try:
        extraction = api.extract_fingerprint(from_array(crop, ppi=TARGET_PPI), enhanced=enhanced)
    except FingerprintError as exc:
        return SegmentedFinger(position, box, crop, None, exc.message)
    return SegmentedFinger(position, box, crop, extraction)


__all__ = [
    "POSITIONS",
    "SLAP_CODES",
    "RotatedBox",
    "SegmentedFinger",
    "SlapKind",
    "SlapResult",
    "SlapStatus",
    "ridge_foreground",
    "segment_slap",
]

"""Find the MRZ band in a document image and cut it out deskewed.

Morphology, as in the classic approach: a black-hat transform brings out dark
text on a light background; a horizontal gradient keeps text strokes; closing
with a wide kernel joins the characters of a line, and a square closing joins
the 2-3 lines of an MRZ into one blob. Each blob that is long and thin enough is
a candidate; its minimum-area rectangle gives the skew (any angle, so a page
photographed sideways still works). Candidates are ranked by how MRZ-like they
are: wide, dense in text, near the bottom of the page.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from devices.mrz.image import Grey
from devices.mrz.params import (
    BAND_PAD_FRACTION,
    DETECT_WIDTH,
    MAX_BANDS,
    MIN_BAND_ASPECT,
    MIN_BAND_WIDTH_FRACTION,
)


@dataclass(frozen=True, slots=True)
class Band:
    """A candidate MRZ region in full-image coordinates (a rotated rectangle)."""

    center: tuple[float, float]
    size: tuple[float, float]  # (long side, short side)
    angle: float  # degrees; the long side's direction
    score: float


def find_bands(grey: Grey) -> list[Band]:
    """Candidate MRZ bands, best first (at most MAX_BANDS)."""
    height, width = grey.shape
    scale = DETECT_WIDTH / width
    small = np.asarray(
        cv2.resize(grey, (DETECT_WIDTH, max(1, round(height * scale)))), dtype=np.uint8
    )
    bands: list[Band] = []
    for join in (9, 5):  # a tight join separates an MRZ from text printed close above it
        bands.extend(_bands_in(_text_mask(small, join), scale))
    bands = _distinct(bands)
    bands = _distinct(bands + _merged(bands))
    return bands[:MAX_BANDS]


def _bands_in(mask: Grey, scale: float) -> list[Band]:
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    bands: list[Band] = []
    small_h, small_w = mask.shape
    for contour in contours:
        (cx, cy), (w, h), angle = cv2.minAreaRect(contour)
        if w < h:
            w, h, angle = h, w, angle + 90.0
        if h < 4 or w / h < MIN_BAND_ASPECT:
            continue
        if w < MIN_BAND_WIDTH_FRACTION * min(small_w, small_h) * 1.0:
            continue
        fill = cv2.contourArea(contour) / max(w * h, 1.0)
        position = cy / small_h  # MRZs sit at the bottom of the page
        score = (w / small_w) * (0.5 + fill) * (0.6 + 0.4 * position)
        bands.append(
            Band(
                center=(cx / scale, cy / scale),
                size=(w / scale, h / scale),
                angle=_normalise(angle),
                score=score,
            )
        )
    return bands


def _distinct(bands: list[Band]) -> list[Band]:
    """Drop near-duplicates (the same band found at both joins), keeping the better."""
    kept: list[Band] = []
    for band in sorted(bands, key=lambda b: b.score, reverse=True):
        if not any(_near(band, other) for other in kept):
            kept.append(band)
    return kept


def _near(a: Band, b: Band) -> bool:
    return (
        abs(a.center[0] - b.center[0]) < 0.1 * a.size[0]
        and abs(a.center[1] - b.center[1]) < 0.5 * a.size[1]
        and 0.8 <= a.size[0] / b.size[0] <= 1.25
    )


def _merged(bands: list[Band]) -> list[Band]:
    """MRZ lines found as separate blobs (wide line spacing), joined into one band."""
    out: list[Band] = []
    for i, first in enumerate(bands):
        group = [first]
        for other in bands[i + 1 :]:
            if _same_block(first, other):
                group.append(other)
        if len(group) < 2:
            continue
        points = np.concatenate([cv2.boxPoints((b.center, b.size, b.angle)) for b in group])
        (cx, cy), (w, h), angle = cv2.minAreaRect(points.astype(np.float32))
        if w < h:
            w, h, angle = h, w, angle + 90.0
        if w / max(h, 1.0) < MIN_BAND_ASPECT:
            continue  # joined with text blocks around it: not an MRZ shape
        out.append(Band((cx, cy), (w, h), _normalise(angle), sum(b.score for b in group) * 1.05))
    return out


def _same_block(a: Band, b: Band) -> bool:
    if abs(_normalise(a.angle - b.angle)) > 3.0:
        return False
    if not 0.7 <= a.size[0] / b.size[0] <= 1.4:
        return False
    theta = np.deg2rad(a.angle)
    dx, dy = b.center[0] - a.center[0], b.center[1] - a.center[1]
    along = abs(dx * np.cos(theta) + dy * np.sin(theta))
    across = abs(-dx * np.sin(theta) + dy * np.cos(theta))
    line = min(a.size[1], b.size[1])
    if max(a.size[1], b.size[1]) > 3.0 * line:
        return False  # a text line next to a block of several lines
    return bool(along < 0.2 * a.size[0] and across < 5.5 * line)


def _normalise(angle: float) -> float:
    while angle > 90.0:
        angle -= 180.0
    while angle <= -90.0:
        angle += 180.0
    return angle


def _text_mask(small: Grey, join: int) -> Grey:
    unit = max(1, round(DETECT_WIDTH / 300))
    smoothed = cv2.GaussianBlur(small, (3, 3), 0)
    rect = cv2.getStructuringElement(cv2.MORPH_RECT, (13 * unit // 2 + 1, 5 * unit // 2 + 1))
    square = cv2.getStructuringElement(cv2.MORPH_RECT, (join * unit, join * unit))
    blackhat = cv2.morphologyEx(smoothed, cv2.MORPH_BLACKHAT, rect)
    grad = np.abs(cv2.Sobel(blackhat, cv2.CV_32F, 1, 0, ksize=-1))
    top = float(grad.max()) or 1.0
    grad8 = (grad * (255.0 / top)).astype(np.uint8)
    closed = cv2.morphologyEx(grad8, cv2.MORPH_CLOSE, rect)
    _, mask = cv2.threshold(closed, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, square)
    mask = cv2.erode(mask, np.ones((3, 3), np.uint8), iterations=2)
    edge = max(2, unit * 2)
    mask[:edge, :] = 0
    mask[-edge:, :] = 0
    mask[:, :edge] = 0
    mask[:, -edge:] = 0
    return np.asarray(mask, dtype=np.uint8)


def cut_band(grey: Grey, band: Band, *, flip: bool = False) -> Grey:
    """The band's pixels, rotated level (and by 180 degrees when ``flip``), with padding."""
    (cx, cy), (w, h) = band.center, band.size
    pad = BAND_PAD_FRACTION * h + 4
    out_w, out_h = round(w + 2 * pad * 2), round(h + 2 * pad)
    angle = band.angle + (180.0 if flip else 0.0)
    matrix = cv2.getRotationMatrix2D((cx, cy), angle, 1.0)
    matrix[0, 2] += out_w / 2 - cx
    matrix[1, 2] += out_h / 2 - cy
    cut = cv2.warpAffine(
        grey,
        matrix,
        (out_w, out_h),
        flags=cv2.INTER_CUBIC,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return np.asarray(cut, dtype=np.uint8)

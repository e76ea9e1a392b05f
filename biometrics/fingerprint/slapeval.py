"""Slap segmentation measured against ground truth by construction (``gerbang eval slap``).

Synthetic four-finger slaps are composed from an FVC-layout set of single
impressions (500 ppi): four different fingers side by side, each turned by a
small random angle and shifted, the little finger lower, a hand rotation of
the whole slap, and below each fingertip a "lower phalanx": the lower part of
an impression of a finger that is not in the slap, after a white gap (the
crease). The slap is segmented with :func:`slap.segment_slap`. ``found`` counts the
fingers it returns; a returned finger whose box centre is within
``CENTRE_TOLERANCE`` of a slot's true tip centre (and nearest to it) has *located*
that tip (``tips_located``); a located tip is then

- *positioned correctly* when its position is that slot's position;
- *matched to its mate* when our matcher scores it against ANOTHER impression
  of its source finger (impression k+1) at or above ``VERIFICATION.accept``;
- a *false match* for each other finger of the slap whose mate impression it
  scores at or above ``accept`` (3 impostor comparisons per tip).

``baseline_matched`` is the same mate comparison with the source impression
itself (before composing and segmenting): what segmentation costs is the
difference. Deterministic for a seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from biometrics.fingerprint import api
from biometrics.fingerprint.dataset import FvcSet
from biometrics.fingerprint.image import GrayImage, load_print
from biometrics.fingerprint.params import VERIFICATION
from biometrics.fingerprint.slap import POSITIONS, SlapKind, SlapResult, segment_slap
from biometrics.fingerprint.template import MinutiaeTemplate

CANVAS = (1800, 1150)  # width, height at 500 ppi (3.6 x 2.3 in; FBI slap box 3.2 x 2)
SLOT_SPACING = 400  # px between tip centres
TIP_ROTATION_DEG = 8.0  # each tip turned by up to this
HAND_ROTATION_DEG = 12.0  # the whole slap turned by up to this
JITTER = 25  # px, each tip shifted by up to this in x and y
CREASE_GAP = (18, 40)  # px of white between a tip and its lower phalanx
PHALANX_HEIGHT = 260  # px of the donor impression's lower part
CENTRE_TOLERANCE = 150  # px


@dataclass(frozen=True, slots=True)
class ComposedSlap:
    pixels: GrayImage
    kind: SlapKind
    fingers: tuple[str, ...]  # source finger per slot, left to right
    impressions: tuple[int, ...]
    centres: tuple[tuple[float, float], ...]  # true tip centres in the slap, per slot


def _load(path: Path, ppi: float) -> GrayImage:
    return load_print(path, ppi=ppi).pixels  # resampled to 500 ppi


def _turn(pixels: GrayImage, angle: float) -> GrayImage:
    height, width = pixels.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    return np.asarray(cv2.warpAffine(pixels, matrix, (width, height), borderValue=(255,)), np.uint8)


def _paste(canvas: GrayImage, piece: GrayImage, x: int, y: int) -> None:
    height, width = piece.shape
    y0, x0 = max(0, y), max(0, x)
    y1, x1 = min(canvas.shape[0], y + height), min(canvas.shape[1], x + width)
    if y1 <= y0 or x1 <= x0:
        return
    region = canvas[y0:y1, x0:x1]
    np.minimum(region, piece[y0 - y : y1 - y, x0 - x : x1 - x], out=region)


def compose(
    images: dict[tuple[str, int], Path],
    kind: SlapKind,
    rng: np.random.Generator,
    *,
    ppi: float = 500.0,
) -> ComposedSlap:
    """One synthetic four-finger slap (right or left hand) at 500 ppi; ``ppi`` is the
    source images' resolution."""
    fingers = sorted({finger for finger, _ in images}, key=int)
    impressions = sorted({impression for _, impression in images})
    chosen = [str(f) for f in rng.choice(fingers, size=8, replace=False)]
    tips, donors = chosen[:4], chosen[4:]
    tip_impressions = [int(rng.choice(impressions)) for _ in tips]
    # Tip tops (px): index and middle high, ring a little lower, little finger lowest.
    tops = [170, 110, 160, 330]
    if kind is SlapKind.LEFT_FOUR:
        tops = tops[::-1]
    canvas = np.full((CANVAS[1], CANVAS[0]), 255, np.uint8)
    centres = []
    for slot, (finger, impression) in enumerate(zip(tips, tip_impressions, strict=True)):
        tip = _turn(_load(images[(finger, impression)], ppi), rng.uniform(-1, 1) * TIP_ROTATION_DEG)
        height, width = tip.shape
        x = 120 + slot * SLOT_SPACING + int(rng.integers(-JITTER, JITTER + 1))
        y = tops[slot] + int(rng.integers(-JITTER, JITTER + 1))
        _paste(canvas, tip, x, y)
        centres.append((x + width / 2, y + height / 2))
        donor = _load(images[(donors[slot], int(rng.choice(impressions)))], ppi)
        lower = donor[-PHALANX_HEIGHT:, :]
        gap = int(rng.integers(CREASE_GAP[0], CREASE_GAP[1] + 1))
        _paste(canvas, lower, x + int(rng.integers(-10, 11)), y + height + gap)
    hand = rng.uniform(-1, 1) * HAND_ROTATION_DEG
    matrix = cv2.getRotationMatrix2D((CANVAS[0] / 2, CANVAS[1] / 2), hand, 1.0)
    turned = np.asarray(cv2.warpAffine(canvas, matrix, CANVAS, borderValue=(255,)), np.uint8)
    moved = tuple(
        (
            float(matrix[0, 0] * cx + matrix[0, 1] * cy + matrix[0, 2]),
            float(matrix[1, 0] * cx + matrix[1, 1] * cy + matrix[1, 2]),
        )
        for cx, cy in centres
    )
    return ComposedSlap(turned, kind, tuple(tips), tuple(tip_impressions), moved)


def evaluate(
    fvc: FvcSet,
    *,
    slaps: int = 20,
    seed: int = 0,
    ppi: float = 500.0,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    images = {
        (finger, impression): path
        for path, finger, impression in zip(fvc.images, fvc.fingers, fvc.impressions, strict=True)
    }
    impressions = sorted({i for _, i in images})
    if len({f for f, _ in images}) < 8 or len(impressions) < 2:
        raise ValueError("the set needs at least 8 fingers with 2 impressions each")
    cache: dict[tuple[str, int], MinutiaeTemplate] = {}

    def template(finger: str, impression: int) -> MinutiaeTemplate:
        key = (finger, impression)
        if key not in cache:
            cache[key] = api.extract_fingerprint(images[key], ppi=ppi, nfiq2=False).template
        return cache[key]

    def mate_of(impression: int) -> int:
        return impressions[(impressions.index(impression) + 1) % len(impressions)]

    rng = np.random.default_rng(seed)
    accept = VERIFICATION.accept
    counts = dict.fromkeys(
        (
            "fingers_expected",
            "found",
            "tips_located",
            "correctly_positioned",
            "matched_mate",
            "baseline_matched",
            "false_matches",
            "impostor_comparisons",
        ),
        0,
    )
    statuses: dict[str, int] = {}
    minutiae: list[int] = []
    qualities: list[int] = []
    for index in range(slaps):
        kind = SlapKind.RIGHT_FOUR if index % 2 == 0 else SlapKind.LEFT_FOUR
        slap = compose(images, kind, rng, ppi=ppi)
        result = segment_slap(slap.pixels, kind, 500.0)
        statuses[result.status.value] = statuses.get(result.status.value, 0) + 1
        counts["fingers_expected"] += 4
        counts["found"] += len(result.fingers)
        for slot, (finger, impression) in enumerate(
            zip(slap.fingers, slap.impressions, strict=True)
        ):
            mate = template(finger, mate_of(impression))
            if api.compare(template(finger, impression), mate) >= accept:
                counts["baseline_matched"] += 1
            found = _found_at(result, slap, slot)
            if found is None:
                continue
            counts["tips_located"] += 1
            position, extraction_template = found
            if position == POSITIONS[kind][slot]:
                counts["correctly_positioned"] += 1
            if extraction_template is None:
                continue
            if api.compare(extraction_template, mate) >= accept:
                counts["matched_mate"] += 1
            for other, (other_finger, other_impression) in enumerate(
                zip(slap.fingers, slap.impressions, strict=True)
            ):
                if other == slot:
                    continue
                counts["impostor_comparisons"] += 1
                other_mate = template(other_finger, mate_of(other_impression))
                if api.compare(extraction_template, other_mate) >= accept:
                    counts["false_matches"] += 1
        for finger_result in result.fingers:
            minutiae.append(finger_result.minutiae)
            if finger_result.quality is not None:
                qualities.append(finger_result.quality.score)
        if progress is not None:
            progress(index + 1, slaps)
    return {
        "dataset": fvc.name,
        "slaps": slaps,
        "seed": seed,
        "ppi": ppi,
        **counts,
        "statuses": statuses,
        "accept_threshold": accept,
        "median_minutiae": float(np.median(minutiae)) if minutiae else None,
        "median_quality": float(np.median(qualities)) if qualities else None,
    }


def _found_at(
    result: SlapResult, slap: ComposedSlap, slot: int
) -> tuple[int | None, MinutiaeTemplate | None] | None:
    """The segmented finger whose box centre is nearest to the slot's true tip centre."""
    best: tuple[float, int | None, MinutiaeTemplate | None] | None = None
    for finger in result.fingers:
        cx, cy = finger.box.center
        nearest = min(
            range(len(slap.centres)),
            key=lambda s: math.dist((cx, cy), slap.centres[s]),
        )
        distance = math.dist((cx, cy), slap.centres[slot])
        if nearest != slot or distance > CENTRE_TOLERANCE:
            continue
        template = None if finger.extraction is None else finger.extraction.template
        position = None if finger.position is None else int(finger.position)
        if best is None or distance < best[0]:
            best = (distance, position, template)
    return None if best is None else (best[1], best[2])


__all__ = ["ComposedSlap", "compose", "evaluate"]

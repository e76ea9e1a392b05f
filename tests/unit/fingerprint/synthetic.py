"""Synthetic prints and templates for the fingerprint unit tests (no shared data)."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from biometrics.fingerprint import enhance, flow, match
from biometrics.fingerprint.dual import DualTemplate
from biometrics.fingerprint.flow import RidgeFlow
from biometrics.fingerprint.params import FLOW
from biometrics.fingerprint.template import MinutiaeTemplate


def ridges(size: tuple[int, int] = (300, 300), period: float = 9.0, seed: int = 0) -> np.ndarray:
    """Curved ridges (dark on light), enough to pass the blank check and segment."""
    height, width = size[1], size[0]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    rng = np.random.default_rng(seed)
    cx, cy = width * rng.uniform(0.4, 0.6), height * rng.uniform(0.4, 0.6)
    radius = np.hypot(xx - cx, yy - cy)
    wave = 0.5 + 0.5 * np.cos(2 * np.pi * radius / period)
    return (40 + 170 * wave).astype(np.uint8)


def png(pixels: np.ndarray, dpi: tuple[int, int] | None = None) -> bytes:
    buffer = io.BytesIO()
    options = {"dpi": dpi} if dpi else {}
    Image.fromarray(pixels).save(buffer, format="PNG", **options)
    return buffer.getvalue()


def random_template(n: int = 40, seed: int = 0, size: int = 300) -> MinutiaeTemplate:
    rng = np.random.default_rng(seed)
    rows = [
        (
            float(rng.uniform(40, size - 40)),
            float(rng.uniform(40, size - 40)),
            float(rng.uniform(0, 2 * math.pi)),
            int(rng.integers(1, 3)),
            float(rng.uniform(0.2, 1.0)),
        )
        for _ in range(n)
    ]
    return MinutiaeTemplate.from_lists(size, size, rows)


def moved(
    template: MinutiaeTemplate,
    *,
    rotation: float,
    shift: tuple[float, float],
    jitter: float = 0.0,
    seed: int = 1,
    drop: int = 0,
) -> MinutiaeTemplate:
    """The same finger placed again: rotated (ISO sense) about the centre, shifted, jittered."""
    rng = np.random.default_rng(seed)
    cx, cy = template.width / 2, template.height / 2
    dx, dy = template.x - cx, template.y - cy
    cos, sin = math.cos(rotation), math.sin(rotation)
    # counter-clockwise on screen = clockwise in image coordinates (y down)
    x = cx + dx * cos + dy * sin + shift[0] + rng.normal(0, jitter, dx.size)
    y = cy - dx * sin + dy * cos + shift[1] + rng.normal(0, jitter, dx.size)
    angle = template.angle + rotation + rng.normal(0, jitter / 100, dx.size)
    keep = np.arange(dx.size) >= drop
    rows = [
        (float(a), float(b), float(c), int(d), float(e))
        for a, b, c, d, e in zip(
            x[keep],
            y[keep],
            angle[keep],
            template.kind[keep],
            template.reliability[keep],
            strict=True,
        )
    ]
    return MinutiaeTemplate.from_lists(template.width + 100, template.height + 100, rows)


def arch(size: int = 300, period: float = 9.0, bend: float = 0.004) -> np.ndarray:
    """Bent parallel ridges (a plain arch): no rotational symmetry, unlike :func:`ridges`."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    phase = yy + bend * (xx - size / 2) ** 2
    return (40 + 170 * (0.5 + 0.5 * np.cos(2 * np.pi * phase / period))).astype(np.uint8)


def flow_of(pixels: np.ndarray, turn_degrees: float = 0.0, margin: int = 24) -> RidgeFlow:
    """The ridge flow of ``pixels`` turned ``turn_degrees`` counter-clockwise (as shown)
    first; the print area is the turned image less ``margin`` pixels."""
    height, width = pixels.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), turn_degrees, 1.0)
    turned = cv2.warpAffine(pixels, matrix, (width, height), borderValue=255)
    area = cv2.warpAffine(np.ones_like(pixels), matrix, (width, height)) > 0
    kernel = np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)
    area = (
        cv2.erode(area.astype(np.uint8), kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0
    )
    image = enhance.normalise(turned, 8.0)
    theta, coherence = enhance.orientation_field(image, 1.0, 8.0)
    return flow.from_field(theta, coherence, area)


def aligned_agreement(a: DualTemplate, b: DualTemplate) -> float:
    """The flow agreement ``gerbang_dual`` gives a pair, computed apart from
    ``dual.compare_many``: aligned by each set's best minutia pairs, one comparison at
    a time."""
    pairs = [
        match.compare_many_paired(p, match.Gallery([r]), FLOW.hypotheses)[1].of(0)
        for p, r in ((a.raw, b.raw), (a.enhanced, b.enhanced))
    ]
    return flow.agreement(a.flow, b.flow, flow.alignments(np.concatenate(pairs)))


def count_flow_comparisons(patch: pytest.MonkeyPatch) -> list[int]:
    """Patches ``flow.agreement_many`` to note a 1 for each reference whose flow is
    compared; the list it fills."""
    compared: list[int] = []
    original = flow.agreement_many

    def counting(
        probe: RidgeFlow,
        references: Sequence[RidgeFlow],
        aligned: npt.ArrayLike,
        bounds: Sequence[int],
        *,
        at_least: float | None,
    ) -> npt.NDArray[np.float64]:
        compared.extend([1] * len(references))
        return original(probe, references, aligned, bounds, at_least=at_least)

    patch.setattr(flow, "agreement_many", counting)
    return compared

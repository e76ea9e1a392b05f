"""Image statistics for device calibration: sharpness, exposure histogram, white balance.

Plain measurements on whole frames (no face or finger model): what a technician
tunes a camera or checks a scanner with. All functions are pure.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import cv2
import numpy as np

from devices.base import Image
from devices.imaging import grey

CLIP_LOW = 5  # grey levels at or below this count as clipped shadows
CLIP_HIGH = 250  # at or above this, clipped highlights


def sharpness(image: Image) -> float:
    """Variance of the Laplacian of the grey image: higher is sharper (focus measure)."""
    return float(cv2.Laplacian(grey(image), cv2.CV_64F).var())


@dataclass(frozen=True, slots=True)
class Exposure:
    mean: float
    std: float
    p5: float
    p50: float
    p95: float
    clipped_low: float  # fraction of pixels at or below CLIP_LOW
    clipped_high: float  # fraction at or above CLIP_HIGH
    histogram: tuple[int, ...]  # 16 bins of 16 grey levels each

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["histogram"] = list(self.histogram)
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in data.items()}


def exposure(image: Image) -> Exposure:
    g = grey(image)
    counts = np.bincount(g.ravel(), minlength=256).astype(np.int64)
    total = int(counts.sum())
    cumulative = np.cumsum(counts)

    def percentile(fraction: float) -> float:
        return float(np.searchsorted(cumulative, fraction * total))

    return Exposure(
        mean=float(g.mean()),
        std=float(g.std()),
        p5=percentile(0.05),
        p50=percentile(0.50),
        p95=percentile(0.95),
        clipped_low=float(counts[: CLIP_LOW + 1].sum() / total),
        clipped_high=float(counts[CLIP_HIGH:].sum() / total),
        histogram=tuple(int(c) for c in counts.reshape(16, 16).sum(axis=1)),
    )


def grey_world_gains(image: Image) -> tuple[float, float, float]:
    """Per-channel gains (B, G, R; green = 1) that make the frame's mean grey.

    The grey-world assumption: a scene's average colour is neutral, so a channel
    whose mean is off shows a colour cast. Clipped pixels are left out (they no
    longer carry the channel's ratio). A grey image gives (1, 1, 1).
    """
    if image.ndim == 2:
        return (1.0, 1.0, 1.0)
    pixels = image.reshape(-1, 3).astype(np.float64)
    usable = np.all((pixels > CLIP_LOW) & (pixels < CLIP_HIGH), axis=1)
    if usable.sum() >= 0.01 * len(pixels):
        pixels = pixels[usable]
    means = pixels.mean(axis=0)
    if np.any(means <= 0):
        return (1.0, 1.0, 1.0)
    b, g, r = (float(means[1] / m) for m in means)
    return (b, g, r)


def contrast(image: Image) -> float:
    """5th-95th percentile grey spread."""
    e = exposure(image)
    return e.p95 - e.p5

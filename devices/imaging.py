"""Quick checks of captured images: usable or corrupt, brightness, sharpness.

These are device-level sanity figures (is the camera covered, out of focus,
sending garbage), not biometric quality measures.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from devices import params
from devices.base import Image, Retry, RetryReason

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".pgm", ".ppm"})


def as_image(raw: Any) -> Image | None:
    """The frame as a uint8 H x W (x 3) array, or None when it is empty or corrupt."""
    if not isinstance(raw, np.ndarray) or raw.dtype != np.uint8:
        return None
    if raw.ndim == 3 and raw.shape[2] == 4:
        raw = cv2.cvtColor(raw, cv2.COLOR_BGRA2BGR)
    if raw.ndim not in (2, 3) or (raw.ndim == 3 and raw.shape[2] != 3):
        return None
    if min(raw.shape[0], raw.shape[1]) < params.FRAME_MIN_SIDE:
        return None
    image: Image = np.ascontiguousarray(raw, dtype=np.uint8)
    return image


def grey(image: Image) -> Image:
    if image.ndim == 2:
        return image
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), dtype=np.uint8)


def figures(image: Image) -> dict[str, float]:
    """Brightness (mean grey, 0-255), contrast (grey std) and sharpness (variance of the Laplacian)."""
    g = grey(image)
    lap = cv2.Laplacian(g, cv2.CV_64F)
    return {
        "brightness": round(float(g.mean()), 2),
        "contrast": round(float(g.std()), 2),
        "sharpness": round(float(lap.var()), 2),
        "width": float(image.shape[1]),
        "height": float(image.shape[0]),
    }


def exposure_retry(
    image: Image,
    *,
    minimum: float = params.BRIGHTNESS_MIN,
    maximum: float = params.BRIGHTNESS_MAX,
) -> Retry | None:
    """Retry(TOO_DARK/TOO_BRIGHT) when the mean grey level is outside [minimum, maximum]."""
    level = float(grey(image).mean())
    if level < minimum:
        return Retry(RetryReason.TOO_DARK, f"brightness {level:.0f}")
    if level > maximum:
        return Retry(RetryReason.TOO_BRIGHT, f"brightness {level:.0f}")
    return None

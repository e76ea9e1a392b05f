"""Fingerprint scanner check: one capture, its size, resolution, contrast and simple quality.

The figures are plain image statistics; ``finger`` adds what the fingerprint
pipeline makes of the capture (NFIQ 2 or its labelled fallback, minutiae). The
statistics tell the technician whether the scanner gives a usable picture at all —
right size and resolution, a dark-ridge/light-valley image with contrast, the
finger area covering the platen, ridges sharp (variance of the Laplacian) and
regular (orientation coherence of the gradients in blocks).
"""

from __future__ import annotations

import time
from typing import Any

import cv2
import numpy as np

from devices.base import FingerprintScanner, Image, Retry
from models.biometric import FingerPosition

from . import imagestats

QUALITY_METHOD = "image statistics (not NFIQ 2)"
BLOCK = 16  # px blocks for the foreground mask and orientation coherence
MIN_FOREGROUND_STD = 12.0  # a block with less grey spread is background (no ridges)
MIN_CONTRAST = 60.0  # 5th-95th percentile spread of the whole image
MIN_FOREGROUND = 0.25  # finger area as a fraction of the image
MIN_COHERENCE = 0.35  # mean ridge orientation coherence of foreground blocks
MIN_PPI = 490  # 500 ppi nominal (ISO/IEC 19794-4 and FBI Appendix F), less 2% tolerance


def _blocks(image: Image) -> tuple[np.ndarray, np.ndarray]:
    g = image.astype(np.float64)
    h, w = (g.shape[0] // BLOCK) * BLOCK, (g.shape[1] // BLOCK) * BLOCK
    g = g[:h, :w]
    gx = cv2.Sobel(g, cv2.CV_64F, 1, 0, ksize=3)
    gy = cv2.Sobel(g, cv2.CV_64F, 0, 1, ksize=3)

    def per_block(a: np.ndarray) -> np.ndarray:
        return np.asarray(a.reshape(h // BLOCK, BLOCK, w // BLOCK, BLOCK).sum(axis=(1, 3)))

    gxx, gyy, gxy = per_block(gx * gx), per_block(gy * gy), per_block(gx * gy)
    coherence = np.sqrt((gxx - gyy) ** 2 + 4 * gxy**2) / np.maximum(gxx + gyy, 1e-9)
    std = g.reshape(h // BLOCK, BLOCK, w // BLOCK, BLOCK).std(axis=(1, 3))
    return std, coherence


def image_quality(image: Image, ppi: int) -> dict[str, Any]:
    """Statistics of one fingerprint image (H x W grey, ridges dark)."""
    e = imagestats.exposure(image)
    std, coherence = _blocks(image)
    foreground = std >= MIN_FOREGROUND_STD
    fg_fraction = float(foreground.mean()) if foreground.size else 0.0
    coh = float(coherence[foreground].mean()) if foreground.any() else 0.0
    height, width = image.shape[:2]
    figures = {
        "width": int(width),
        "height": int(height),
        "ppi": ppi,
        "width_mm": round(width / ppi * 25.4, 1),
        "height_mm": round(height / ppi * 25.4, 1),
        "mean": round(e.mean, 2),
        "contrast": round(e.p95 - e.p5, 1),
        "clipped_low": round(e.clipped_low, 4),
        "clipped_high": round(e.clipped_high, 4),
        "sharpness": round(imagestats.sharpness(image), 1),
        "foreground": round(fg_fraction, 3),
        "ridge_coherence": round(coh, 3),
    }
    problems = []
    if ppi < MIN_PPI:
        problems.append("low_resolution")
    if figures["contrast"] < MIN_CONTRAST:
        problems.append("low_contrast")
    if fg_fraction < MIN_FOREGROUND:
        problems.append("small_finger_area")
    if coh < MIN_COHERENCE:
        problems.append("unclear_ridges")
    return {"figures": figures, "problems": problems, "method": QUALITY_METHOD}


def check_scanner(scanner: FingerprintScanner, *, timeout_s: float = 15.0) -> dict[str, Any]:
    """Capture one image from an open scanner and describe it."""
    info = scanner.info
    result: dict[str, Any] = {
        "id": info.device_id,
        "backend": info.backend,
        "driver": info.driver,
        "model": info.model,
        "virtual": info.virtual,
        "capabilities": sorted(c.value for c in scanner.capabilities),
    }
    started = time.monotonic()
    sample = scanner.capture(FingerPosition.UNKNOWN, timeout_s)
    result["capture_ms"] = round((time.monotonic() - started) * 1000, 1)
    if isinstance(sample, Retry):
        return {**result, "outcome": "retry", "retry": sample.reason.value}
    quality = image_quality(sample.image, sample.ppi)
    quality["finger"] = finger_quality(sample.image, sample.ppi)
    return {**result, **quality, "outcome": "ok" if not quality["problems"] else "poor_image"}


def finger_quality(image: Image, ppi: int) -> dict[str, Any]:
    """The fingerprint pipeline on the capture: NFIQ 2 (or its labelled fallback) and the
    minutiae count — what enrollment and the kiosk will see of this scanner's prints."""
    from biometrics.fingerprint import record
    from biometrics.fingerprint.errors import FingerprintError

    try:
        extraction = record.extract_pixels(np.ascontiguousarray(image), ppi=float(ppi))
    except FingerprintError as exc:
        return {"usable": False, "error": exc.code}
    return {
        "usable": not extraction.too_few_minutiae,
        "quality": extraction.quality.score,
        "quality_method": extraction.quality.method,
        "minutiae": len(extraction.template.x),
    }

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from devices.virtual import media
from devices.virtual.fingerprint import VirtualFingerprintScanner
from enrollment.technician.fingercheck import QUALITY_METHOD, check_scanner, image_quality


def scanner(tmp_path: Path, images: list[np.ndarray], ppi: int = 500) -> VirtualFingerprintScanner:
    root = tmp_path / "fingers"
    root.mkdir()
    for k, image in enumerate(images):
        cv2.imwrite(str(root / f"f{k}.png"), image)
    return VirtualFingerprintScanner("fp", source=root, ppi=ppi, capture_s=0)


def test_a_synthetic_fingerprint_passes(tmp_path: Path) -> None:
    with scanner(tmp_path, [media.fingerprint(3)]) as device:
        result = check_scanner(device, timeout_s=2)
    assert result["outcome"] == "ok", result
    figures = result["figures"]
    assert (figures["width"], figures["height"], figures["ppi"]) == (250, 300, 500)
    assert figures["width_mm"] == 12.7
    assert figures["ridge_coherence"] > 0.6 and figures["foreground"] > 0.5
    assert result["method"] == QUALITY_METHOD  # says plainly it is not NFIQ 2


def test_a_blank_low_resolution_image_is_reported_with_its_problems(tmp_path: Path) -> None:
    blank = np.full((300, 250), 200, np.uint8)
    with scanner(tmp_path, [blank], ppi=300) as device:
        result = check_scanner(device, timeout_s=2)
    assert result["outcome"] == "poor_image"
    assert set(result["problems"]) == {
        "low_resolution",
        "low_contrast",
        "small_finger_area",
        "unclear_ridges",
    }


def test_noise_has_no_ridge_structure() -> None:
    noise = np.random.default_rng(1).integers(0, 256, (300, 250), dtype=np.uint8)
    quality = image_quality(noise, 500)
    assert "unclear_ridges" in quality["problems"]

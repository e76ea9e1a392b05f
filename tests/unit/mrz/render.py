"""Synthetic document images with an MRZ in OCR-B (Debian's fonts-ocr-b, public domain)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

OCRB = Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf")


def ocrb_font(size: int) -> ImageFont.FreeTypeFont:
    if not OCRB.is_file():
        pytest.skip("fonts-ocr-b is not installed (./run setup installs it)")
    return ImageFont.truetype(str(OCRB), size)


def render_document(lines: tuple[str, ...], *, size: int = 28, angle: float = 0.0) -> Image.Image:
    """A light page with some text above and the MRZ at the bottom, optionally rotated."""
    font = ocrb_font(size)
    width = int(size * 0.72 * len(lines[0])) + 2 * size
    height = int(size * 1.6 * len(lines)) + 8 * size
    page = Image.new("L", (width, height), 235)
    draw = ImageDraw.Draw(page)
    draw.text((size, size), "PASSPORT  SPECIMEN", fill=60, font=ocrb_font(size // 2))
    draw.rectangle((size, 2 * size, size * 5, 6 * size), fill=150)
    top = height - int(size * 1.6 * len(lines)) - size
    for i, line in enumerate(lines):
        draw.text((size, top + int(i * size * 1.6)), line, fill=20, font=font)
    if angle:
        page = page.rotate(angle, expand=True, fillcolor=235, resample=Image.Resampling.BICUBIC)
    return page


def grey(image: Image.Image) -> np.ndarray:  # type: ignore[type-arg]
    return np.asarray(image.convert("L"), dtype=np.uint8)

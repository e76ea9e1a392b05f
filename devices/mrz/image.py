"""Decode a document image safely into a grey array.

Bad input gives :class:`MalformedDataError`, never a crash: non-image bytes,
truncated files, decompression bombs, oversized files. Grey, palette, RGBA and
16-bit images are converted; EXIF orientation is applied; large images are
downscaled (JPEGs are decoded at reduced size directly).
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps, UnidentifiedImageError

from devices.mrz.params import MAX_FILE_BYTES, MAX_PIXELS, MAX_SIDE, MIN_SIDE
from models.errors import MalformedDataError

Grey = npt.NDArray[np.uint8]


def read_image_file(path: Path) -> Grey:
    """Read and decode an image file (size-checked before reading)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise MalformedDataError(f"image file is {size} bytes, over {MAX_FILE_BYTES}")
        data = path.read_bytes()
    except OSError as exc:
        raise MalformedDataError(f"cannot read the image file: {exc.strerror}") from exc
    return decode_image(data)


def decode_image(data: bytes) -> Grey:
    """Decode image bytes into an 8-bit grey array with the longer side <= MAX_SIDE."""
    if len(data) > MAX_FILE_BYTES:
        raise MalformedDataError(f"image is {len(data)} bytes, over {MAX_FILE_BYTES}")
    if not data:
        raise MalformedDataError("image is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise MalformedDataError(f"image is {width}x{height}, over {MAX_PIXELS} pixels")
            if min(width, height) < MIN_SIDE:
                raise MalformedDataError(f"image is {width}x{height}, too small for an MRZ")
            if image.format == "JPEG":
                image.draft("L", (MAX_SIDE, MAX_SIDE))
            image.load()
            grey = _to_grey(ImageOps.exif_transpose(image))
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise MalformedDataError(f"not a readable image: {exc}") from exc
    except Image.DecompressionBombWarning as exc:
        raise MalformedDataError(f"image too large: {exc}") from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:  # truncated or corrupt
        raise MalformedDataError(f"image is damaged: {exc}") from exc
    return _limit_size(grey)


def _to_grey(image: Image.Image) -> Grey:
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image.convert("RGBA"))
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        values = np.asarray(image, dtype=np.float64)
        top = float(values.max()) or 1.0
        return np.clip(values * (255.0 / top), 0, 255).astype(np.uint8)
    return np.asarray(image.convert("L"), dtype=np.uint8).copy()


def _limit_size(grey: Grey) -> Grey:
    height, width = grey.shape[:2]
    longest = max(height, width)
    if longest <= MAX_SIDE:
        return grey
    scale = MAX_SIDE / longest
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(cv2.resize(grey, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)

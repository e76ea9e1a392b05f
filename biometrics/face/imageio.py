"""Content-sniffed image loading into the RGB arrays the face pipeline uses.

The format is taken from the bytes, never from the file name (Yale's GIFs have
no extension, deepface's ``img47.jpg`` is WEBP). Grey, palette, 16-bit and
alpha images become 8-bit RGB; EXIF orientation is applied; a declared size
above :attr:`ImageLimits.max_pixels` is refused before any pixel is decoded, and
large images are decoded (JPEG: at a reduced scale) and downscaled so that the
longer side is at most :attr:`ImageLimits.max_side`. Every failure is a typed
:class:`~biometrics.face.errors.ImageDecodeError`.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps, UnidentifiedImageError

from biometrics.face.errors import (
    ImageDecodeError,
    ImageTooLargeError,
    ImageTruncatedError,
    NotAnImageError,
)
from biometrics.face.params import IMAGE_LIMITS, ImageLimits

RGBImage = npt.NDArray[np.uint8]  # H x W x 3, RGB order, C-contiguous


@dataclass(frozen=True, slots=True)
class LoadedImage:
    """A decoded image. ``scale`` is ``rgb`` width divided by the source width (<= 1)."""

    rgb: RGBImage
    format: str  # Pillow's format name, e.g. "JPEG", "GIF", "PPM"
    mode: str  # the source's Pillow mode, e.g. "L", "RGB", "I;16"
    source_size: tuple[int, int]  # (width, height) as stored
    scale: float


# Formats a face image may come in (DG2 uses JPEG or JPEG 2000; research sets use PGM,
# BMP and GIF). Only these decoders are tried: fewer parsers see hostile bytes, and
# plugins other packages register with Pillow (e.g. `wsq` for fingerprints, whose
# parser raises UnboundLocalError on two bytes) never do.
FORMATS = ("JPEG", "PNG", "JPEG2000", "BMP", "PPM", "GIF", "TIFF", "WEBP")


def load_image(
    source: bytes | Path, *, limits: ImageLimits = IMAGE_LIMITS, name: str | None = None
) -> LoadedImage:
    """Decode ``source`` (a path or the file's bytes) into 8-bit RGB.

    Raises :class:`NotAnImageError`, :class:`ImageTruncatedError`,
    :class:`ImageTooLargeError` or :class:`ImageDecodeError`; an unreadable path
    raises :class:`ImageDecodeError` too (the caller handed us data it cannot read).
    """
    label = name or (str(source) if isinstance(source, Path) else None)
    if isinstance(source, Path):
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise ImageDecodeError(f"cannot read image file: {exc.strerror}", source=label) from exc
    else:
        data = source
    if len(data) > limits.max_file_bytes:
        raise ImageTooLargeError(
            f"image file has {len(data)} bytes, more than {limits.max_file_bytes}", source=label
        )
    with warnings.catch_warnings():
        # We enforce our own, lower pixel limit below; Pillow's bomb warning would
        # otherwise turn into an exception under `-W error` before we can check.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=FORMATS)
        except Image.DecompressionBombError as exc:
            raise ImageTooLargeError(str(exc), source=label) from exc
        except UnidentifiedImageError as exc:
            raise NotAnImageError("no known image format in these bytes", source=label) from exc
        except (OSError, ValueError, SyntaxError) as exc:
            raise ImageDecodeError(f"image header does not parse: {exc}", source=label) from exc
        width, height = image.size
        fmt, mode = image.format or "unknown", image.mode
        if width <= 0 or height <= 0:
            raise ImageDecodeError("image has no pixels", source=label)
        if width * height > limits.max_pixels:
            raise ImageTooLargeError(
                f"image is {width}x{height}, more than {limits.max_pixels} pixels",
                source=label,
                pixels=width * height,
            )
        if fmt == "JPEG" and max(width, height) > limits.max_side:
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale: cheap and memory-safe.
            factor = max(width, height) / limits.max_side
            image.draft("RGB", (int(width / factor) + 1, int(height / factor) + 1))
        try:
            image.load()
            rgb = _to_rgb8(ImageOps.exif_transpose(image))
        except OSError as exc:
            if "truncated" in str(exc) or "broken data stream" in str(exc):
                raise ImageTruncatedError(
                    "image file ends before its pixel data", source=label
                ) from exc
            raise ImageDecodeError(f"image pixels do not decode: {exc}", source=label) from exc
        except (ValueError, SyntaxError, EOFError) as exc:
            raise ImageDecodeError(f"image pixels do not decode: {exc}", source=label) from exc
    rgb = downscale(rgb, limits.max_side)
    return LoadedImage(
        rgb=rgb,
        format=fmt,
        mode=mode,
        source_size=(width, height),
        scale=float(np.sqrt(rgb.shape[0] * rgb.shape[1] / (width * height))),
    )


def as_rgb(array: npt.NDArray[np.generic]) -> RGBImage:
    """Normalise an image array (grey, RGB or RGBA; 8/16-bit or float in 0..1) to 8-bit RGB.

    Camera frames and the decoded DG2 portrait enter the pipeline through here.
    Colour arrays must be in RGB order (convert OpenCV's BGR first).
    """
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ImageDecodeError(f"an image array must be HxW, HxWx3 or HxWx4, not {array.shape}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ImageDecodeError("image array has no pixels")
    eight = _to_uint8(array)
    if eight.ndim == 2:
        eight = np.repeat(eight[:, :, None], 3, axis=2)
    elif eight.shape[2] == 4:
        eight = eight[:, :, :3]
    return np.ascontiguousarray(eight)


def downscale(rgb: RGBImage, max_side: int) -> RGBImage:
    """Shrink so that the longer side is at most ``max_side`` (area interpolation)."""
    height, width = rgb.shape[:2]
    longest = max(height, width)
    if longest <= max_side:
        return rgb
    factor = max_side / longest
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return np.ascontiguousarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA))


def to_gray(rgb: RGBImage) -> npt.NDArray[np.uint8]:
    return np.ascontiguousarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))


def _to_rgb8(image: Image.Image) -> RGBImage:
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return as_rgb(np.asarray(image))
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
    return as_rgb(np.asarray(image.convert("RGB") if image.mode != "RGBA" else image))


def _to_uint8(array: npt.NDArray[np.generic]) -> npt.NDArray[np.uint8]:
    """High bit depths are stretched linearly from 0 to the data's maximum (12-bit safe)."""
    if array.dtype == np.uint8:
        return np.asarray(array, dtype=np.uint8)
    if array.dtype == np.bool_:
        return np.where(array, 255, 0).astype(np.uint8)
    values = np.asarray(array, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
    if np.issubdtype(array.dtype, np.floating) and values.max(initial=0.0) <= 1.0:
        top = 1.0
    else:
        top = float(values.max(initial=0.0))
    low = min(float(values.min(initial=0.0)), 0.0)
    if top <= low:
        return np.zeros(array.shape, dtype=np.uint8)
    return np.clip((values - low) * (255.0 / (top - low)) + 0.5, 0, 255).astype(np.uint8)


__all__ = ["LoadedImage", "RGBImage", "as_rgb", "downscale", "load_image", "to_gray"]

"""Loading a print image: content-sniffed decoding, checks, resolution to 500 ppi.

Everything downstream (segmentation, mindtct, MCC's radii) works at
:attr:`ImageParams.target_ppi`. The resolution comes from the caller, else from
the file's own resolution tag when it is plausible (FVC's TIFFs say 1x1, which
is not), else :attr:`ImageParams.default_ppi`. Failures are typed:
:class:`NotAnImageError` (bytes no decoder knows), :class:`BlankImageError`
(uniform white, black or grey), :class:`ImageSizeError` (too small or large).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError

from biometrics.fingerprint.errors import (
    BlankImageError,
    FingerprintImageError,
    ImageSizeError,
    NotAnImageError,
)
from biometrics.fingerprint.params import IMAGE, ImageParams

GrayImage = npt.NDArray[np.uint8]  # H x W, 8-bit grey, dark ridges on a light background

_PLAUSIBLE_PPI = (250.0, 2000.0)


@dataclass(frozen=True, slots=True)
class PrintImage:
    """A grey print at the target resolution. ``scale`` = target ppi / source ppi."""

    pixels: GrayImage
    ppi: float  # of ``pixels`` (the target)
    source_ppi: float
    ppi_from: str  # "caller", "file" or "default"
    source_size: tuple[int, int]  # (width, height) as stored
    scale: float
    source: str | None = None

    @property
    def size(self) -> tuple[int, int]:
        return int(self.pixels.shape[1]), int(self.pixels.shape[0])


def load_print(
    source: bytes | Path,
    *,
    ppi: float | None = None,
    params: ImageParams = IMAGE,
    name: str | None = None,
) -> PrintImage:
    """Decode a file or its bytes to grey, check it, and resample it to the target ppi."""
    label = name or (str(source) if isinstance(source, Path) else None)
    if isinstance(source, Path):
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise FingerprintImageError(
                f"cannot read image file: {exc.strerror}", source=label
            ) from exc
    else:
        data = source
    if len(data) > params.max_file_bytes:
        raise ImageSizeError(f"file of {len(data)} bytes is too large", source=label)
    gray, file_ppi = _decode(data, label)
    if ppi is not None:
        if not _PLAUSIBLE_PPI[0] <= ppi <= _PLAUSIBLE_PPI[1]:
            raise ValueError(f"ppi {ppi} outside {_PLAUSIBLE_PPI}")
        chosen, origin = float(ppi), "caller"
    elif file_ppi is not None:
        chosen, origin = file_ppi, "file"
    else:
        chosen, origin = params.default_ppi, "default"
    return from_array(gray, ppi=chosen, ppi_from=origin, params=params, name=label)


def from_array(
    gray: npt.NDArray[np.uint8],
    *,
    ppi: float,
    ppi_from: str = "caller",
    params: ImageParams = IMAGE,
    name: str | None = None,
) -> PrintImage:
    """Check an 8-bit grey array and resample it to the target ppi."""
    if gray.ndim != 2 or gray.dtype != np.uint8:
        raise FingerprintImageError("a print must be a 2-D uint8 array", source=name)
    height, width = gray.shape
    scale = params.target_ppi / ppi
    out_w, out_h = round(width * scale), round(height * scale)
    if min(out_w, out_h) < params.min_side or max(out_w, out_h) > params.max_side:
        raise ImageSizeError(
            f"{out_w}x{out_h} px at {params.target_ppi:g} ppi is outside "
            f"{params.min_side}..{params.max_side} px",
            source=name,
            size=(out_w, out_h),
        )
    std = float(gray.std())
    if std < params.blank_std:
        raise BlankImageError(
            f"no ridge pattern (grey std {std:.1f}, mean {gray.mean():.0f})",
            source=name,
            level=float(gray.mean()),
        )
    pixels: GrayImage
    if (out_w, out_h) != (width, height):
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        pixels = np.asarray(cv2.resize(gray, (out_w, out_h), interpolation=interpolation), np.uint8)
    else:
        pixels = np.ascontiguousarray(gray)
    pixels.setflags(write=False)
    return PrintImage(
        pixels=pixels,
        ppi=params.target_ppi,
        source_ppi=ppi,
        ppi_from=ppi_from,
        source_size=(width, height),
        scale=scale,
        source=name,
    )


def encode_png(pixels: GrayImage) -> bytes:
    """Lossless in-memory PNG (what nbis-py's mindtct reads)."""
    ok, buffer = cv2.imencode(".png", pixels)
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 2-D array
        raise FingerprintImageError("PNG encoding failed")
    return bytes(buffer.tobytes())


# Decoders tried on print images. WSQ records come through the ANSI/NIST reader
# (enrollment.ansinist), which guards the wsq plugin; it is kept out of here.
FORMATS = ("TIFF", "PNG", "BMP", "JPEG", "JPEG2000", "PPM", "GIF")


def file_ppi(data: bytes) -> float | None:
    """The resolution an image file states, when plausible for a print (header only)."""
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            dpi = image.info.get("dpi")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None
    return _plausible(dpi)


def _plausible(dpi: object) -> float | None:
    if isinstance(dpi, tuple) and dpi and isinstance(dpi[0], int | float):
        value = float(dpi[0])
        if _PLAUSIBLE_PPI[0] <= value <= _PLAUSIBLE_PPI[1]:
            return value
    return None


def _decode(data: bytes, label: str | None) -> tuple[npt.NDArray[np.uint8], float | None]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                dpi = image.info.get("dpi")
                image.load()
                gray = np.asarray(image.convert("L"), dtype=np.uint8)
    except UnidentifiedImageError as exc:
        raise NotAnImageError("bytes are not an image format we can decode", source=label) from exc
    except (
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise NotAnImageError(f"image cannot be decoded: {exc}", source=label) from exc
    return gray, _plausible(dpi)

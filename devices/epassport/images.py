"""Bounded decoding of the JPEG and JPEG 2000 images stored in DG2 (face), DG7 (signature), DG11/12.

Pillow decodes both formats (its wheels bundle libjpeg-turbo and OpenJPEG;
OpenCV's wheels decode JPEG 2000 only with an environment switch, so we use
Pillow). The image header is read first and the pixel count checked against
:data:`~devices.epassport.pa_params.MAX_IMAGE_PIXELS` before any pixel is
decoded; truncated or corrupt data raises
:class:`~models.errors.MalformedDataError`.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from devices.epassport.pa_params import MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE
from models.errors import MalformedDataError

JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
J2K_CODESTREAM = b"\xff\x4f\xff\x51"


class ImageFormat(StrEnum):
    JPEG = "jpeg"
    JPEG2000 = "jpeg2000"
    WSQ = "wsq"  # fingerprint images (DG3); recognised, not decoded here
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class DecodedImage:
    format: ImageFormat
    width: int
    height: int
    pixels: NDArray[np.uint8]  # H x W x 3 (RGB) or H x W (grey)


def sniff_format(data: bytes) -> ImageFormat:
    if data.startswith(b"\xff\xd8\xff"):
        return ImageFormat.JPEG
    if data.startswith((JP2_SIGNATURE, J2K_CODESTREAM)):
        return ImageFormat.JPEG2000
    if data.startswith(b"\xff\xa0\xff\xa8"):
        return ImageFormat.WSQ
    return ImageFormat.UNKNOWN


_PIL_FORMATS = {ImageFormat.JPEG: ("JPEG",), ImageFormat.JPEG2000: ("JPEG2000",)}


def _check_size(width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0 or max(width, height) > MAX_IMAGE_SIDE:
        raise MalformedDataError(f"image of {width}x{height} pixels refused")
    if width * height > max_pixels:
        raise MalformedDataError(f"image of {width}x{height} pixels is too large")


def decode_image(data: bytes, *, max_pixels: int = MAX_IMAGE_PIXELS) -> DecodedImage:
    """Decode a JPEG or JPEG 2000 image to an RGB (or greyscale) array."""
    kind = sniff_format(data)
    formats = _PIL_FORMATS.get(kind)
    if formats is None:
        raise MalformedDataError(f"image format {kind.value} is not decodable here")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=formats) as img:
                width, height = img.size
                _check_size(width, height, max_pixels)
                img.load()
                mode = "L" if img.mode in ("L", "I;16", "I;16B", "I") else "RGB"
                converted = img.convert(mode)
                pixels = np.asarray(converted, dtype=np.uint8).copy()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MalformedDataError(f"{kind.value} image is too large (decompression bomb)") from exc
    except (OSError, ValueError, SyntaxError, struct.error, EOFError) as exc:
        raise MalformedDataError(f"{kind.value} image does not decode") from exc
    return DecodedImage(kind, width, height, pixels)

"""Content-sniffed image loading: formats, bit depths, bad bytes → typed errors."""

from __future__ import annotations

import contextlib
import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from biometrics.face.errors import (
    ImageDecodeError,
    ImageTooLargeError,
    ImageTruncatedError,
    NotAnImageError,
)
from biometrics.face.imageio import as_rgb, downscale, load_image
from biometrics.face.params import ImageLimits


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def gradient(mode: str = "L", size: tuple[int, int] = (64, 48)) -> Image.Image:
    x = np.linspace(0, 255, size[0], dtype=np.uint8)
    grey = np.tile(x, (size[1], 1))
    image = Image.fromarray(grey, "L")
    return image if mode == "L" else image.convert(mode)


@pytest.mark.parametrize("fmt", ["GIF", "PPM", "BMP", "PNG", "JPEG", "TIFF", "WEBP"])
def test_grey_images_of_every_format_become_rgb(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / "no_extension"  # the format must come from the bytes
    path.write_bytes(encoded(gradient(), fmt))
    loaded = load_image(path)
    assert loaded.rgb.shape == (48, 64, 3)
    assert loaded.rgb.dtype == np.uint8
    assert loaded.format == fmt
    assert np.array_equal(loaded.rgb[:, :, 0], loaded.rgb[:, :, 2])


def test_sixteen_bit_png_is_stretched_to_eight_bits() -> None:
    twelve_bit = np.tile(np.linspace(0, 4095, 32, dtype=np.uint16), (8, 1))
    data = encoded(Image.fromarray(twelve_bit), "PNG")
    loaded = load_image(data)
    assert loaded.mode.startswith("I")
    assert loaded.rgb[0, 0, 0] == 0 and loaded.rgb[0, -1, 0] == 255


def test_rgba_and_palette_images_load() -> None:
    rgba = gradient("RGBA")
    assert load_image(encoded(rgba, "PNG")).rgb.shape == (48, 64, 3)
    assert load_image(encoded(gradient("P"), "PNG")).rgb.shape == (48, 64, 3)


def test_exif_orientation_is_applied() -> None:
    image = gradient("RGB", (64, 48))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    loaded = load_image(encoded(image, "JPEG", exif=exif.tobytes()))
    assert loaded.rgb.shape == (64, 48, 3)


def test_truncated_file_is_a_typed_error() -> None:
    data = encoded(gradient("RGB", (200, 200)), "JPEG", quality=95)
    with pytest.raises(ImageTruncatedError) as caught:
        load_image(data[: len(data) // 2], name="half.jpg")
    assert caught.value.code == "document.malformed.image.truncated"
    assert caught.value.source == "half.jpg"


def test_non_image_bytes_are_a_typed_error() -> None:
    with pytest.raises(NotAnImageError):
        load_image(b"%PDF-1.7 this is not a picture" * 10)
    with pytest.raises(NotAnImageError):
        load_image(b"")


def test_unreadable_path_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(ImageDecodeError):
        load_image(tmp_path / "absent.png")


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0"))


def test_huge_declared_size_is_refused_before_decoding() -> None:
    with pytest.raises(ImageTooLargeError) as caught:
        load_image(_png_header_only(12_000, 12_000))  # over our limit, under Pillow's
    assert caught.value.pixels == 144_000_000
    with pytest.raises(ImageTooLargeError):
        load_image(_png_header_only(30_000, 30_000))  # over Pillow's bomb limit too


def test_large_images_are_downscaled() -> None:
    limits = ImageLimits(max_side=100)
    loaded = load_image(encoded(gradient("RGB", (400, 300)), "JPEG"), limits=limits)
    assert max(loaded.rgb.shape[:2]) == 100
    assert loaded.source_size == (400, 300)
    assert loaded.scale == pytest.approx(0.25, abs=0.01)
    png = load_image(encoded(gradient("RGB", (400, 300)), "PNG"), limits=limits)
    assert png.rgb.shape == (75, 100, 3)


def test_oversized_file_is_refused() -> None:
    with pytest.raises(ImageTooLargeError):
        load_image(b"\0" * 2048, limits=ImageLimits(max_file_bytes=1024))


@pytest.mark.parametrize(
    ("array", "expected"),
    [
        (np.zeros((4, 5), np.uint8), (4, 5, 3)),
        (np.zeros((4, 5, 1), np.uint8), (4, 5, 3)),
        (np.zeros((4, 5, 4), np.uint8), (4, 5, 3)),
        (np.full((4, 5, 3), 0.5, np.float32), (4, 5, 3)),
        (np.full((4, 5), 60000, np.uint16), (4, 5, 3)),
        (np.ones((4, 5), bool), (4, 5, 3)),
    ],
)
def test_as_rgb_normalises_arrays(array: np.ndarray, expected: tuple[int, ...]) -> None:
    rgb = as_rgb(array)
    assert rgb.shape == expected and rgb.dtype == np.uint8 and rgb.flags.c_contiguous


def test_as_rgb_refuses_shapes_that_are_not_images() -> None:
    with pytest.raises(ImageDecodeError):
        as_rgb(np.zeros((4, 5, 2), np.uint8))
    with pytest.raises(ImageDecodeError):
        as_rgb(np.zeros((0, 5), np.uint8))


def test_downscale_keeps_small_images() -> None:
    image = np.zeros((10, 20, 3), np.uint8)
    assert downscale(image, 50) is image


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=512))
def test_arbitrary_bytes_decode_or_raise_a_typed_error(data: bytes) -> None:
    try:
        loaded = load_image(data)
    except ImageDecodeError:
        return
    assert loaded.rgb.ndim == 3 and loaded.rgb.shape[2] == 3


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=400), st.sampled_from(["PNG", "JPEG", "GIF", "BMP"]))
def test_any_prefix_of_a_real_file_decodes_or_raises_a_typed_error(cut: int, fmt: str) -> None:
    data = encoded(gradient("RGB", (40, 30)), fmt)
    with contextlib.suppress(ImageDecodeError):
        load_image(data[: min(cut, len(data))])


def test_decoders_other_packages_register_never_see_face_bytes() -> None:
    """`wsq` registers a Pillow plugin whose parser crashes on b'\\xff\\xa0' (found by hypothesis)."""
    import wsq  # noqa: F401 - registers the WSQ plugin with Pillow, as the ANSI/NIST reader does

    with pytest.raises(NotAnImageError):
        load_image(b"\xff\xa0")

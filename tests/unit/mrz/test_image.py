from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from devices.mrz.image import decode_image, read_image_file
from devices.mrz.params import MAX_FILE_BYTES, MAX_SIDE
from models.errors import MalformedDataError


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not an image at all",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
        b"\xff\xd8\xff" + b"\x00" * 100,
    ],
)
def test_non_images_are_typed_errors(data: bytes) -> None:
    with pytest.raises(MalformedDataError):
        decode_image(data)


def test_truncated_image_is_a_typed_error() -> None:
    data = _png(Image.effect_noise((400, 300), 64).convert("L"))
    with pytest.raises(MalformedDataError):
        decode_image(data[: len(data) // 2])


def test_decompression_bomb_header_is_refused_before_decoding() -> None:
    # A valid PNG header claiming 60000 x 60000 pixels, with almost no data.
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 60000, 60000, 8, 0, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )
    with pytest.raises(MalformedDataError):
        decode_image(data)


def test_oversized_bytes_are_refused() -> None:
    with pytest.raises(MalformedDataError):
        decode_image(b"\x00" * (MAX_FILE_BYTES + 1))


def test_tiny_image_is_refused() -> None:
    with pytest.raises(MalformedDataError):
        decode_image(_png(Image.new("L", (20, 10), 255)))


@pytest.mark.parametrize("mode", ["L", "P", "RGBA", "RGB", "LA", "I;16", "1"])
def test_every_common_mode_decodes_to_grey(mode: str) -> None:
    image = Image.new("RGB", (300, 200), (250, 250, 250))
    image.paste((10, 10, 10), (50, 50, 250, 100))
    converted = (
        image.convert("L").convert(mode) if mode in ("I;16", "1", "LA") else image.convert(mode)
    )
    grey = decode_image(_png(converted))
    assert grey.shape == (200, 300) and grey.dtype.name == "uint8"
    assert grey[75, 150] < 100 < grey[10, 10]


def test_large_images_are_downscaled() -> None:
    image = Image.new("L", (MAX_SIDE * 2, 300), 200)
    grey = decode_image(_png(image))
    assert max(grey.shape) == MAX_SIDE


def test_missing_file_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(MalformedDataError):
        read_image_file(tmp_path / "absent.png")

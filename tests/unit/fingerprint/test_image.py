"""Loading prints: typed errors for bad input, resolution normalised to 500 ppi."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from biometrics.fingerprint.errors import (
    BlankImageError,
    FingerprintImageError,
    ImageSizeError,
    NotAnImageError,
)
from biometrics.fingerprint.image import file_ppi, from_array, load_print
from biometrics.fingerprint.segment import segment
from tests.unit.fingerprint.synthetic import png, ridges


@pytest.mark.parametrize("level", [0, 255, 128])
def test_uniform_images_are_blank(level: int) -> None:
    with pytest.raises(BlankImageError) as caught:
        load_print(png(np.full((300, 300), level, np.uint8)))
    assert caught.value.level == pytest.approx(level)
    assert caught.value.code == "biometric.fingerprint.image.blank"


def test_garbage_bytes_are_not_an_image() -> None:
    with pytest.raises(NotAnImageError):
        load_print(b"\x00\x01garbage, not an image" * 10)


def test_truncated_png_is_not_an_image() -> None:
    data = png(ridges())
    with pytest.raises(NotAnImageError):
        load_print(data[: len(data) // 2])


@given(st.binary(max_size=2000))
@settings(max_examples=60, deadline=None)
def test_random_bytes_raise_only_typed_errors(data: bytes) -> None:
    with contextlib.suppress(FingerprintImageError):
        load_print(data)


def test_too_small_and_too_large_are_size_errors() -> None:
    with pytest.raises(ImageSizeError) as caught:
        load_print(png(ridges((100, 100))))
    assert caught.value.size == (100, 100)
    with pytest.raises(ImageSizeError):
        from_array(ridges((300, 300)), ppi=2000)  # 75 px at 500 ppi


def test_unreadable_path_is_a_typed_error(tmp_path: object) -> None:
    from pathlib import Path

    with pytest.raises(FingerprintImageError):
        load_print(Path(str(tmp_path)) / "missing.tif")


def test_resolution_from_caller_file_or_default() -> None:
    pixels = ridges((400, 300))
    given_ppi = load_print(png(pixels), ppi=1000)
    assert given_ppi.size == (200, 150) and given_ppi.ppi_from == "caller"
    tagged = load_print(png(pixels, dpi=(1000, 1000)))
    assert tagged.size == (200, 150) and tagged.ppi_from == "file"
    untagged = load_print(png(pixels, dpi=(1, 1)))  # FVC's TIFFs say 1x1: ignored
    assert untagged.size == (400, 300) and untagged.ppi_from == "default"
    assert untagged.ppi == 500.0


def test_segmentation_finds_the_print_not_the_background() -> None:
    frame = np.full((300, 300), 210, np.uint8)
    frame[60:240, 80:220] = ridges((140, 180))
    mask = segment(frame).mask
    assert mask[150, 150]
    assert not mask[10, 10] and not mask[290, 290]
    assert 0.15 < mask.mean() < 0.5


def test_wsq_plugin_never_sees_print_bytes() -> None:
    """The wsq Pillow plugin crashes on b'\\xff\\xa0'; only the listed decoders are tried."""
    import wsq  # noqa: F401 - registers the plugin, as the ANSI/NIST reader does

    from biometrics.fingerprint.image import load_print

    with pytest.raises(NotAnImageError):
        load_print(b"\xff\xa0")


def test_file_ppi_reads_a_plausible_resolution_from_the_header_only() -> None:
    pixels = ridges((300, 300))
    assert file_ppi(png(pixels, dpi=(1000, 1000))) == pytest.approx(1000.0, abs=0.1)
    assert file_ppi(png(pixels)) is None  # no resolution stated
    assert file_ppi(png(pixels, dpi=(72, 72))) is None  # a screen default, not a scanner's
    assert file_ppi(b"not an image") is None

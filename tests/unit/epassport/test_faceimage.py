"""DG2 face records (ISO/IEC 19794-5 and 39794-5) and bounded image decoding."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.epassport import tlv
from devices.epassport.faceimage import (
    RecordFormat,
    parse_dg2,
    parse_iso19794_5,
    parse_iso39794_5,
)
from devices.epassport.images import ImageFormat, decode_image, sniff_format
from models.errors import MalformedDataError
from tests.unit.epassport import pki

FACES = Path("icao9303") / "face_records_gmrtd" / "document"


@pytest.mark.dataset
def test_iso19794_specimen_yields_its_jpeg(gerbang_data: Path) -> None:
    folder = gerbang_data / FACES / "iso19794" / "test_data"
    (face,) = parse_iso19794_5((folder / "ISO19794_Test1_Data.bin").read_bytes())
    assert face.record_format is RecordFormat.ISO_19794_5
    assert face.image_data == (folder / "ISO19794_Test1_Face.jpg").read_bytes()
    # The specimen declares JPEG 2000 but holds a JPEG: the bytes decide.
    assert face.declared_format is ImageFormat.JPEG2000
    assert face.image_format is ImageFormat.JPEG
    image = face.decode()
    assert (image.width, image.height, image.pixels.shape) == (148, 70, (70, 148, 3))
    assert 20 < image.pixels.mean() < 235  # a photograph, not a blank


@pytest.mark.dataset
@pytest.mark.parametrize(
    "path",
    [
        "iso19794/test_data/ISO19794_Test2_Data_InvalidImage.bin",
        "iso39794/test_data/ICAO_39794_5_AP_MandFields_InvalidImage.dat",
    ],
)
def test_specimens_with_invalid_images_fail_on_decode(gerbang_data: Path, path: str) -> None:
    data = (gerbang_data / FACES / path).read_bytes()
    parse = parse_iso19794_5 if path.endswith(".bin") else parse_iso39794_5
    (face,) = parse(data)
    with pytest.raises(MalformedDataError):
        face.decode()


@pytest.mark.dataset
@pytest.mark.parametrize(
    ("path", "gender"),
    [
        ("iso39794/test_data/ICAO_39794_5_AP_AllFields.dat", "female"),
        ("iso39794/test_data/ICAO_39794_5_AP_MandFields.dat", None),
    ],
)
def test_iso39794_specimens_yield_their_jpeg2000(
    gerbang_data: Path, path: str, gender: str | None
) -> None:
    (face,) = parse_iso39794_5((gerbang_data / FACES / path).read_bytes())
    expected = (gerbang_data / FACES / "iso39794/test_data/ICAO_39794_5_AP_Face.jpg").read_bytes()
    assert face.record_format is RecordFormat.ISO_39794_5
    assert face.image_data == expected
    assert face.image_format is ImageFormat.JPEG2000 is face.declared_format
    assert face.gender == gender
    image = face.decode()
    assert image.format is ImageFormat.JPEG2000
    assert image.pixels.shape == (531, 413, 3)


@pytest.mark.dataset
@pytest.mark.parametrize(
    "name", ["ICAO_39794_5_AP_DG2_AllFields.dat", "ICAO_39794_5_AP_DG2_MandFields.dat"]
)
def test_iso39794_dg2_files(gerbang_data: Path, name: str) -> None:
    (face,) = parse_dg2((gerbang_data / FACES / "test_data" / name).read_bytes())
    expected = (gerbang_data / FACES / "test_data" / "ICAO_39794_5_AP_DG2_Face.jpg").read_bytes()
    assert face.image_data == expected
    assert face.decode().pixels.shape == (531, 413, 3)


def test_generated_dg2_with_jpeg_and_jpeg2000_faces() -> None:
    jpeg, jp2 = pki.image_bytes("JPEG"), pki.image_bytes("JPEG2000")
    record = pki.iso19794_record([(0, jpeg), (1, jp2)])
    data = pki.dg2([(0x5F2E, record)])
    faces = parse_dg2(data)
    assert [f.image_format for f in faces] == [ImageFormat.JPEG, ImageFormat.JPEG2000]
    assert [f.gender for f in faces] == ["female", "female"]
    for face in faces:
        image = face.decode()
        assert image.pixels.shape == (30, 40, 3)
        assert image.pixels[0, 0].mean() < image.pixels[-1, -1].mean()  # the gradient survived


def test_raw_j2k_codestreams_are_recognised() -> None:
    assert sniff_format(b"\xff\x4f\xff\x51\x00") is ImageFormat.JPEG2000
    assert sniff_format(b"\xff\xa0\xff\xa8") is ImageFormat.WSQ
    with pytest.raises(MalformedDataError, match="wsq"):
        decode_image(b"\xff\xa0\xff\xa8\x00\x00")


def _with_size(jpeg: bytes, width: int, height: int) -> bytes:
    """The JPEG with the frame size in its SOF0 marker rewritten."""
    at = jpeg.index(b"\xff\xc0")
    return jpeg[: at + 5] + height.to_bytes(2, "big") + width.to_bytes(2, "big") + jpeg[at + 9 :]


@pytest.mark.parametrize(
    ("width", "height", "message"),
    [(9000, 10, "refused"), (5000, 5000, "too large"), (60000, 60000, "too large")],
)
def test_oversized_images_are_refused_before_decoding(
    width: int, height: int, message: str
) -> None:
    with pytest.raises(MalformedDataError, match=message):
        decode_image(_with_size(pki.image_bytes("JPEG"), width, height))


def test_a_decompression_bomb_below_our_side_limit_is_refused() -> None:
    with pytest.raises(MalformedDataError):
        decode_image(_with_size(pki.image_bytes("JPEG"), 8000, 8000))


@pytest.mark.parametrize("fmt", ["JPEG", "JPEG2000"])
def test_truncated_images_are_refused(fmt: str) -> None:
    data = pki.image_bytes(fmt, 64, 64)
    with pytest.raises(MalformedDataError, match="does not decode"):
        decode_image(data[: len(data) // 2])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (pki.dg2([(0x5F2E, b"FAC\x00011\x00" + b"\x00" * 20)]), "version"),
        (pki.dg2([(0x5F2E, b"XYZ\x00")]), "FAC"),
        (pki.dg2([(0x5F2E, pki.iso19794_record([(0, b"\xff\xd8\xff")])[:-2])]), "length"),
        (pki.dg2([(0x5F2E, b"FAC\x00010\x00\x00\x00\x00\x0e\x00\x00")]), "0 faces"),
        (pki.dg2([(0x80, b"")]), "biometric data block"),
        (tlv.encode(0x75, tlv.encode(0x7F61, tlv.encode(0x02, b"\x02"))), "count"),
        (tlv.encode(0x61, b""), "expected 75"),
        (pki.dg2([(0x7F2E, tlv.encode(0x66, b""))]), "tag 65"),
        (b"\x75\x84\x7f\xff\xff\xff", "runs past"),
    ],
)
def test_malformed_dg2_is_a_typed_error(data: bytes, message: str) -> None:
    with pytest.raises(MalformedDataError, match=message):
        parse_dg2(data)


def test_oversized_dg2_is_refused() -> None:
    with pytest.raises(MalformedDataError, match="exceeds"):
        parse_dg2(b"\x75" + b"\x00" * (2 * 1024 * 1024))


@settings(
    max_examples=150, deadline=timedelta(seconds=5), suppress_health_check=[HealthCheck.too_slow]
)
@given(data=st.data())
def test_mutated_dg2_never_raises_anything_but_malformed(data: st.DataObject) -> None:
    base = bytearray(pki.dg2([(0x5F2E, pki.iso19794_record([(0, pki.image_bytes("JPEG", 8, 8))]))]))
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(base) - 1))
        base[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(base)))
    try:
        for face in parse_dg2(bytes(base[:cut])):
            face.decode()
    except MalformedDataError:
        pass

from __future__ import annotations

import contextlib
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrollment.ansinist import parse, record_image
from models.errors import MalformedDataError

# Record types per file, as counted in the data set's NOTES.md.
EXPECTED = {
    "face_jpb_DOM_GMT_DCS.an2": {1: 1, 10: 1},
    "type_5_wvu.an2": {1: 1, 2: 1, 5: 14},
    "valid1.1.an2": {1: 1, 2: 1, 4: 1},
    "valid1.11.an2": {1: 1, 2: 1, 4: 1, 10: 1, 13: 1, 14: 1, 15: 1, 16: 1, 17: 1, 99: 1},
    "valid1.14.an2": {1: 1, 2: 1, 4: 1, 9: 1},
    "valid1.8.an2": {1: 1, 2: 1, 14: 3},
    "valid1.9.an2": {1: 1, 2: 1, 4: 1, 7: 1, 8: 1, 10: 1, 14: 1, 17: 1},
    "type4-slaps.an2k": {1: 1, 2: 1, 4: 4},
    "type9-efs.an2k": {1: 1, 9: 8},
    "type9-13.an2k": {1: 1, 2: 1, 9: 1, 13: 1},
}


def _files(root: Path) -> list[Path]:
    return sorted((root / "ansi_nist_itl").rglob("*.an2*"))


@pytest.mark.dataset
def test_every_shared_transaction_parses_with_its_record_counts(gerbang_data: Path) -> None:
    files = _files(gerbang_data)
    assert len(files) == 25
    for path in files:
        transaction = parse(path.read_bytes())
        counts = dict(Counter(r.type for r in transaction.records))
        if path.name in EXPECTED:
            assert counts == EXPECTED[path.name], path.name
        assert transaction.version in {"0200", "0201", "0300", "0400", "0500"}


@pytest.mark.dataset
def test_face_and_finger_images_decode(gerbang_data: Path) -> None:
    root = gerbang_data / "ansi_nist_itl"
    face = parse((root / "nbis_an2kconvert_testdata" / "valid1.3.an2").read_bytes()).of_type(10)[0]
    assert record_image(face).shape == (400, 300, 3)
    slaps = parse((root / "libbiomeval_test_data" / "type4-slaps.an2k").read_bytes()).of_type(4)
    assert [record_image(r).shape[0] for r in slaps] == [1000] * 4  # WSQ
    wsq20 = parse((root / "nbis_an2kconvert_testdata" / "valid1.16.an2").read_bytes()).of_type(14)[
        0
    ]
    image = record_image(wsq20)
    assert image.shape == (976, 1600) and 40 < image.mean() < 250
    assert {r.header["fgp"] for r in slaps} >= {(14,), (13,)}  # left and right four-finger slaps


@pytest.mark.dataset
def test_tolerated_deviations_are_reported(gerbang_data: Path) -> None:
    path = gerbang_data / "ansi_nist_itl" / "libbiomeval_test_data" / "type9-13.an2k"
    (minutiae,) = parse(path.read_bytes()).of_type(9)
    assert minutiae.warnings == ("field 13.005 inside a Type-9 record",)


def _minimal() -> bytes:
    def tagged(rtype: int, fields: list[tuple[int, bytes]]) -> bytes:
        body = b"".join(f"{rtype}.{n:03d}:".encode() + v + b"\x1d" for n, v in fields)
        for digits in range(1, 8):
            length = len(f"{rtype}.001:".encode()) + digits + 1 + len(body)
            if len(str(length)) == digits:
                break
        return f"{rtype}.001:{length}\x1d".encode() + body[:-1] + b"\x1c"

    type1 = tagged(1, [(2, b"0400"), (3, b"1\x1f1\x1e2\x1f00"), (4, b"CAR")])
    type2 = tagged(2, [(2, b"00"), (18, b"SANTOSO,BUDI")])
    return type1 + type2


def test_a_built_transaction_round_trips() -> None:
    transaction = parse(_minimal())
    assert transaction.transaction_type == "CAR"
    assert transaction.of_type(2)[0].text(18) == "SANTOSO,BUDI"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d[:-3], "does not match"),
        (lambda d: d + b"xx", "after the last record"),
        (lambda d: b"2.001" + d[5:], "no Type-1"),
        (lambda d: d.replace(b"1.003:1\x1f1\x1e2\x1f00", b"1.003:1\x1f1\x1e7\x1f00"), "Type-7"),
        (
            lambda d: d.replace(b"1.003:1\x1f1\x1e2\x1f00", b"1.003:1\x1f1\x1e0\x1f00"),
            "unknown record type",
        ),
    ],
)
def test_malformed_transactions_are_typed_errors(mutate: object, message: str) -> None:
    with pytest.raises(MalformedDataError, match=message):
        parse(mutate(_minimal()))  # type: ignore[operator]


@settings(max_examples=300)
@given(st.binary(max_size=400), st.integers(0, 60))
def test_corrupted_transactions_never_crash(noise: bytes, cut: int) -> None:
    data = _minimal()
    mutated = data[:cut] + noise + data[cut + len(noise) :]
    with contextlib.suppress(MalformedDataError):
        parse(mutated)


@pytest.mark.parametrize("raw", [b"\xff\xa0", b"\xff\xa0\xff\xa8\x00\x02", b"\xff\xd8junk"])
def test_broken_image_bytes_are_malformed_data(raw: bytes) -> None:
    from enrollment.ansinist import decode_image
    from models.errors import MalformedDataError

    with pytest.raises(MalformedDataError):
        decode_image(raw, "WSQ")

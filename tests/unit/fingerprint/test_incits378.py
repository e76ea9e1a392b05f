"""ISO 19794-2:2005 and INCITS 378-2004/-2009 finger minutiae records (every view)."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from biometrics.fingerprint import incits378, iso
from biometrics.fingerprint.errors import TemplateError
from biometrics.fingerprint.template import MinutiaeTemplate

# (type, x, y, degrees, quality): degrees chosen to be exact in both angle units
MINUTIAE = [(1, 10, 20, 90.0, 80), (2, 300, 150, 0.0, 60), (1, 399, 5, 270.0, 40)]


def minutiae(unit: float, rows: list[tuple[int, int, int, float, int]] = MINUTIAE) -> bytes:
    return b"".join(
        struct.pack(">HHBB", (kind << 14) | x, y, round(deg / unit) % 256, q)
        for kind, x, y, deg, q in rows
    )


def view_2005(position: int, rows: list[tuple[int, int, int, float, int]], unit: float) -> bytes:
    return bytes([position, 0x01, 70, len(rows)]) + minutiae(unit, rows) + b"\x00\x00"


def iso_record(views: list[bytes], *, width: int = 400, height: int = 500, res: int = 197) -> bytes:
    body = b"".join(views)
    length = 24 + len(body)
    return (
        b"FMR\x00 20\x00"
        + struct.pack(">IHHHHHBB", length, 0, width, height, res, res, len(views), 0)
        + body
    )


def ansi2004_record(views: list[bytes], *, res: int = 197, long_length: bool = False) -> bytes:
    body = struct.pack(">IHHHHHBB", 0x00420011, 0, 400, 500, res, res, len(views), 0) + b"".join(
        views
    )
    if long_length:
        return b"FMR\x00 20\x00" + struct.pack(">HI", 0, 14 + len(body)) + body
    return b"FMR\x00 20\x00" + struct.pack(">H", 10 + len(body)) + body


def ansi2009_record(rows: list[tuple[int, int, int, float, int]], *, res: int = 197) -> bytes:
    view = bytes([2, 0, 0, 70]) + struct.pack(">HHHHHHB", 6, 55, 400, 500, res, res, len(rows))
    view += minutiae(2.0, rows) + b"\x00\x00"
    header = struct.pack(">IHBB", 0x00420011, 0, 1, 0)
    return b"FMR\x00030\x00" + struct.pack(">I", 12 + len(header) + len(view)) + header + view


def assert_expected(template: MinutiaeTemplate) -> None:
    assert template.x.tolist() == [10, 300, 399] and template.y.tolist() == [20, 150, 5]
    np.testing.assert_allclose(np.degrees(template.angle), [90, 0, 270], atol=1e-4)
    assert template.kind.tolist() == [1, 2, 1]
    assert (template.width, template.height) == (400, 500)


def test_the_three_standards_give_the_same_template() -> None:
    iso_data = iso_record([view_2005(7, MINUTIAE, 360 / 256)])
    a2004 = ansi2004_record([view_2005(7, MINUTIAE, 2.0)])
    a2009 = ansi2009_record(MINUTIAE)
    for data, standard in [
        (iso_data, "iso19794-2:2005"),
        (a2004, "incits378-2004"),
        (ansi2004_record([view_2005(7, MINUTIAE, 2.0)], long_length=True), "incits378-2004"),
        (a2009, "incits378-2009"),
    ]:
        record = incits378.parse(data)
        assert record.standard == standard and not record.warnings
        assert_expected(record.views[0].template)
    # ISO agrees with the existing first-view reader
    np.testing.assert_allclose(
        iso.parse(iso_data).template.angle, incits378.parse(iso_data).views[0].template.angle
    )


def test_every_view_is_read() -> None:
    second = [(2, 50, 60, 180.0, 90)]
    data = ansi2004_record([view_2005(7, MINUTIAE, 2.0), view_2005(2, second, 2.0)])
    views = incits378.parse(data).views
    assert [(v.position, v.view, v.template.count) for v in views] == [(7, 0, 3), (2, 0, 1)]
    assert views[0].impression == 1 and views[0].quality == 70
    np.testing.assert_allclose(np.degrees(views[1].template.angle), [180])


def test_other_resolutions_are_scaled_to_500_ppi() -> None:
    record = incits378.parse(ansi2004_record([view_2005(7, MINUTIAE, 2.0)], res=394))
    np.testing.assert_allclose(record.views[0].template.x, [5, 150, 199.5], atol=0.2)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"FMR\x00 21\x00" + bytes(30), "not an ISO"),
        (b"not a record at all", "not an ISO"),
        (iso_record([view_2005(7, MINUTIAE, 360 / 256)])[:-8], "length field says"),
        (
            ansi2004_record([view_2005(7, [(1, 400, 20, 90.0, 80)], 2.0)]),
            "outside the 400x500 frame",
        ),
        (ansi2004_record([view_2005(7, [(1, 10, 20, 360.0, 80)], 2.0)]), "angle 180"),
        (ansi2004_record([view_2005(7, [], 2.0)]), "holds no minutiae"),
        (ansi2004_record([]), "no finger view"),
    ],
)
def test_bad_records_are_template_errors(data: bytes, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        incits378.parse(data)


def test_truncated_minutiae_and_tolerated_extended_data() -> None:
    data = ansi2004_record([view_2005(7, MINUTIAE, 2.0)])
    cut = data[:-10]
    cut = cut[:8] + struct.pack(">H", len(cut)) + cut[10:]
    with pytest.raises(TemplateError, match="truncated"):
        incits378.parse(cut)
    long_extended = data[:-2] + b"\x00\x05"  # says 5 bytes of extended data, none follow
    long_extended = long_extended[:8] + struct.pack(">H", len(long_extended)) + long_extended[10:]
    record = incits378.parse(long_extended)
    assert record.views[0].template.count == 3 and "runs past the record" in record.warnings[0]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120))
def test_random_bytes_after_the_magic_never_crash(tail: bytes) -> None:
    for head in (b"FMR\x00 20\x00", b"FMR\x00030\x00"):
        data = head + tail
        try:
            record = incits378.parse(data)
        except TemplateError:
            continue
        assert record.views

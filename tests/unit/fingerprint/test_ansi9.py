"""Type-9 minutiae conversions (legacy 9.012, INCITS 378 block, EFS) on synthetic fields."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from biometrics.fingerprint import ansi9
from biometrics.fingerprint.errors import TemplateError

RS, US = "\x1e", "\x1f"
PX = 500 / 2540  # pixels at 500 ppi per 0.01 mm

# (x, y, theta) in 0.01 mm and degrees, NIST legacy convention (y from the bottom)
LEGACY = [(100, 200, 90, "A"), (400, 1200, 0, "B"), (900, 700, 270, "A"), (300, 1500, 45, "D")]


def legacy_fields(
    points: list[tuple[int, int, int, str]] = LEGACY, *, count: int | None = None
) -> dict[int, str]:
    subfields = [
        US.join([f"{k + 1:03d}", f"{x:04d}{y:04d}{t:03d}", "0", kind, "2,3"])
        for k, (x, y, t, kind) in enumerate(points)
    ]
    return {
        4: "S",
        6: "3",
        10: str(len(points) if count is None else count),
        11: "1",
        12: RS.join(subfields),
    }


def test_legacy_flips_y_from_the_bottom_of_the_image_and_turns_theta_by_180() -> None:
    frame = ansi9.Frame(width=800, height=1000, ppi=1000.0)  # 20.32 x 25.4 mm
    got = ansi9.from_type9(legacy_fields(), frame=frame)
    assert got.block == "legacy" and got.position == 3 and got.frame_known
    template = got.template
    assert (template.width, template.height) == (400, 500)  # at 500 ppi
    height_units = 2540  # 25.4 mm
    np.testing.assert_allclose(template.x, [p[0] * PX for p in LEGACY], atol=1e-3)
    np.testing.assert_allclose(template.y, [(height_units - p[1]) * PX for p in LEGACY], atol=1e-3)
    # NIST theta points away from the ending; ISO's (ours) is the opposite direction
    np.testing.assert_allclose(
        np.degrees(template.angle), [(p[2] + 180) % 360 for p in LEGACY], atol=1e-3
    )
    assert template.kind.tolist() == [1, 2, 1, 0]


def test_legacy_without_the_image_keeps_the_geometry_up_to_a_translation() -> None:
    with_frame = ansi9.legacy(legacy_fields(), frame=ansi9.Frame(800, 1000, 1000.0)).template
    alone = ansi9.legacy(legacy_fields()).template
    assert not ansi9.legacy(legacy_fields()).frame_known
    np.testing.assert_allclose(alone.x, with_frame.x, atol=1e-3)
    np.testing.assert_allclose(
        alone.y - alone.y[0], with_frame.y - with_frame.y[0], atol=1e-3
    )  # same shape, origin moved
    np.testing.assert_allclose(alone.angle, with_frame.angle)
    assert all(0 <= v < alone.height for v in alone.y.tolist())
    assert all(0 <= v < alone.width for v in alone.x.tolist())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({10: "5"}, "9.010 says 5 minutiae, 9.012 holds 4"),
        ({10: "0", 12: ""}, "no minutiae"),
        ({10: "x"}, "not a number"),
        ({12: "001" + US + "0100020009" + US + "0" + US + "A"}, "XXXXYYYYTTT"),
        ({12: "001" + US + "01000200400" + US + "0" + US + "A"}, "theta 400"),
        ({12: "001" + US + "01000200090" + US + "64" + US + "A"}, "quality 64"),
        ({12: "001" + US + "01000200090" + US + "0" + US + "Z"}, "type 'Z'"),
    ],
)
def test_corrupt_legacy_fields_are_template_errors(change: dict[int, str], message: str) -> None:
    fields = legacy_fields() | change
    if change.get(12):
        fields[10] = "1"
    with pytest.raises(TemplateError, match=message):
        ansi9.from_type9(fields)


def test_legacy_minutia_outside_the_image_is_a_template_error() -> None:
    small = ansi9.Frame(width=100, height=100, ppi=500.0)  # 5.08 mm: y 12 mm is above it
    with pytest.raises(TemplateError, match="outside"):
        ansi9.from_type9(legacy_fields(), frame=small)


def m1_fields(
    rows: list[tuple[int, int, int, int, int]], *, ppi: int = 500, size: int = 400
) -> dict[int, str]:
    """INCITS 378 block: (x px, y px, angle in 2-degree units, type, quality)."""
    return {
        128: str(size),
        129: str(size),
        130: "1",
        131: str(ppi),
        132: str(ppi),
        134: "7",
        136: str(len(rows)),
        137: RS.join(
            US.join([str(k + 1), str(x), str(y), str(a), str(t), str(q)])
            for k, (x, y, a, t, q) in enumerate(rows)
        ),
    }


M1 = [(10, 20, 45, 1, 80), (200, 150, 0, 2, 60), (399, 399, 179, 0, 0)]


def test_incits378_block_is_top_left_in_two_degree_units() -> None:
    got = ansi9.from_type9(m1_fields(M1))
    assert got.block == "incits378" and got.position == 7
    t = got.template
    assert t.x.tolist() == [10, 200, 399] and t.y.tolist() == [20, 150, 399]
    np.testing.assert_allclose(np.degrees(t.angle), [90, 0, 358], atol=1e-4)
    assert t.kind.tolist() == [1, 2, 0]
    np.testing.assert_allclose(t.reliability, [0.8, 0.6, 0.0])


def test_incits378_block_at_1000_ppi_is_scaled_to_500() -> None:
    t = ansi9.incits378(m1_fields(M1, ppi=1000)).template
    np.testing.assert_allclose(t.x, [5, 100, 199.5])
    assert (t.width, t.height) == (200, 200)
    per_cm = m1_fields(M1, ppi=394) | {130: "2"}  # 394 px/cm = 1000.76 ppi
    np.testing.assert_allclose(ansi9.incits378(per_cm).template.x[1], 100, atol=0.1)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([(400, 20, 45, 1, 80)], "outside the 400x400 image"),
        ([(10, 20, 180, 1, 80)], "angle 180"),
        ([(10, 20, 45, 3, 80)], "type 3"),
        ([(10, 20, 45, 1, 101)], "quality 101"),
    ],
)
def test_corrupt_incits378_block_is_a_template_error(
    rows: list[tuple[int, int, int, int, int]], message: str
) -> None:
    with pytest.raises(TemplateError, match=message):
        ansi9.incits378(m1_fields(rows))


def test_incits378_block_count_and_zero_minutiae() -> None:
    with pytest.raises(TemplateError, match=r"9\.136 says 4"):
        ansi9.incits378(m1_fields(M1) | {136: "4"})
    with pytest.raises(TemplateError, match="no minutiae"):
        ansi9.incits378(m1_fields(M1) | {136: "0", 137: ""})


def efs_fields(
    points: list[tuple[int, int, int, str]], *, roi: str | None = "2000"
) -> dict[int, str]:
    fields = {
        302: "2" + US + US + US,
        331: RS.join(US.join([str(x), str(y), str(t), kind]) for x, y, t, kind in points),
    }
    if roi is not None:
        fields[300] = US.join([roi, roi, "100", "50", "0,0-10,10-0,10"])
    return fields


EFS = [(254, 508, 30, "E"), (1016, 762, 300, "B"), (1500, 1999, 0, "X")]


def test_efs_is_top_left_of_the_region_of_interest_with_the_iso_direction() -> None:
    got = ansi9.from_type9(efs_fields(EFS))
    assert got.block == "efs" and got.position == 2 and got.frame_known
    t = got.template
    np.testing.assert_allclose(t.x, [50, 200, 1500 * PX], atol=1e-3)
    np.testing.assert_allclose(t.y, [100, 150, 1999 * PX], atol=1e-3)
    np.testing.assert_allclose(np.degrees(t.angle), [30, 300, 0], atol=1e-4)
    assert t.kind.tolist() == [1, 2, 0]
    assert (t.width, t.height) == (math.ceil(2000 * PX) + 1, math.ceil(2000 * PX) + 1)


def test_efs_errors() -> None:
    with pytest.raises(TemplateError, match="outside the 2000x2000 region"):
        ansi9.efs(efs_fields([(2001, 10, 0, "E")]))
    with pytest.raises(TemplateError, match="type 'Q'"):
        ansi9.efs(efs_fields([(10, 10, 0, "Q")]))
    with pytest.raises(TemplateError, match="theta 361"):
        ansi9.efs(efs_fields([(10, 10, 361, "E")]))
    with pytest.raises(TemplateError, match="missing or empty"):
        ansi9.efs(efs_fields([]))
    with pytest.raises(TemplateError, match="region of interest 0x0"):
        ansi9.efs(efs_fields(EFS, roi="0"))
    assert ansi9.efs(efs_fields(EFS, roi=None)).template.count == 3  # frame from the minutiae


def test_block_precedence_and_a_record_without_minutiae() -> None:
    everything = legacy_fields() | m1_fields(M1) | efs_fields(EFS)
    assert ansi9.from_type9(everything).block == "efs"
    assert ansi9.from_type9(legacy_fields() | m1_fields(M1)).block == "incits378"
    assert not ansi9.has_minutiae({4: "U"})
    with pytest.raises(TemplateError, match="no minutiae"):
        ansi9.from_type9({4: "U", 300: "1"})


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([10, 12, 128, 129, 130, 131, 132, 136, 137, 300, 331]),
        st.text(alphabet="0123456789ABEX,--\x1e\x1f ²٣", max_size=40),
    )
)
def test_random_fields_give_a_template_or_a_template_error(fields: dict[int, str]) -> None:
    try:
        got = ansi9.from_type9(fields)
    except TemplateError:
        return
    assert got.template.count > 0

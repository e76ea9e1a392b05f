"""Ridge flow (``flow``): the block orientation field, its comparison and its bytes."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pytest

from biometrics.fingerprint import flow, match
from biometrics.fingerprint.errors import TemplateError
from biometrics.fingerprint.flow import OFF_PRINT, RidgeFlow
from biometrics.fingerprint.params import FLOW
from tests.unit.fingerprint.synthetic import arch, flow_of, ridges

SIZE = 300  # synthetic prints' side (px); flow_of turns them about the centre


def turn(
    degrees: float, centre: float = SIZE / 2, shift: tuple[float, float] = (0.0, 0.0)
) -> list[float]:
    """The alignment (flow.alignments) of a print turned ``degrees`` counter-clockwise as
    shown about (centre, centre), as ``flow_of`` does, then moved by ``shift`` pixels."""
    psi = -math.radians(degrees)
    c, s = math.cos(psi), math.sin(psi)
    tx = centre - (c * centre - s * centre) + shift[0]
    return [psi, tx, centre - (s * centre + c * centre) + shift[1]]


def test_a_turned_print_agrees_with_itself_where_aligned_and_not_elsewhere() -> None:
    large = replace(FLOW, min_overlap=600)  # most of the print must overlap
    upright = flow_of(arch())
    for degrees in (-24.0, 12.0, 20.0):
        turned = flow_of(arch(), degrees)
        assert flow.agreement(turned, upright, [turn(degrees)], large) > 0.99
        # the directions turned the wrong way
        assert flow.agreement(turned, upright, [turn(-degrees)], large) < 0.8
    whorl = flow_of(ridges((SIZE, SIZE), period=9.0))
    assert flow.agreement(whorl, upright, [turn(0.0)], large) < 0.6


def test_the_best_alignment_counts_and_none_scores_zero() -> None:
    a, b = flow_of(arch(), 16.0), flow_of(arch())
    right, wrong = turn(16.0), turn(-30.0, shift=(40.0, -24.0))
    best = flow.agreement(a, b, [right])
    assert flow.agreement(a, b, [wrong, right, wrong]) == best > flow.agreement(a, b, [wrong])
    assert flow.agreement(a, b, np.zeros((0, 3))) == 0.0
    # the same field far down and right on a wider grid: found with the shift
    rows, cols = b.degrees.shape
    shifted = np.full((rows + 30, cols + 40), OFF_PRINT, np.uint8)
    shifted[30:, 40:] = b.degrees
    far = RidgeFlow(b.block, shifted)
    psi, tx, ty = right  # far's point p + o is b's point p: the probe's R(psi) p + t
    ox, oy = 40.0 * b.block, 30.0 * b.block
    c, s = math.cos(psi), math.sin(psi)
    moved_right = [psi, tx - (c * ox - s * oy), ty - (s * ox + c * oy)]
    assert flow.agreement(a, far, [moved_right]) == pytest.approx(best, abs=1e-9)


def test_fields_that_cannot_overlap_enough_score_zero() -> None:
    full = flow_of(arch())
    sliver = RidgeFlow(8, np.full((30, 30), OFF_PRINT, np.uint8))
    sliver.degrees[:5, :20] = 90  # 100 blocks on the print, fewer than min_overlap
    assert sliver.valid_blocks < FLOW.min_overlap
    same = [turn(0.0)]
    assert flow.agreement(full, sliver, same) == 0.0 == flow.agreement(sliver, full, same)
    # an alignment that puts the reference beside the probe: no block in common
    assert flow.agreement(full, full, [turn(0.0, shift=(SIZE, 0.0))]) == 0.0
    with pytest.raises(ValueError, match="block sizes"):
        flow.agreement(full, RidgeFlow(16, full.degrees), same)


def test_alignments_make_the_paired_minutiae_meet() -> None:
    rng = np.random.default_rng(3)
    psi, t = 0.4, np.array([25.0, -12.0])
    c, s = math.cos(psi), math.sin(psi)
    xb, yb = rng.uniform(0, 300, 5), rng.uniform(0, 300, 5)
    tb = rng.uniform(-math.pi, math.pi, 5)
    xa, ya = c * xb - s * yb + t[0], s * xb + c * yb + t[1]
    ta = tb - psi  # the image turned by psi (y down) turns a direction (y up) by -psi
    found = flow.alignments(np.stack([xa, ya, ta, xb, yb, tb], axis=1))
    assert found.shape == (5, 3)
    assert np.allclose(found[:, 0], psi) and np.allclose(found[:, 1:], t)
    assert flow.alignments(np.zeros((0, 6))).shape == (0, 3)


def test_c_and_numpy_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    assert match.native()  # else this compares NumPy with NumPy
    rng = np.random.default_rng(5)
    fields = [flow_of(arch(), 10.0), flow_of(arch(bend=0.01), -6.0), flow_of(ridges())]
    aligned: npt.NDArray[np.float64] = np.stack(
        [rng.uniform(-0.8, 0.8, 40), rng.uniform(-60, 60, 40), rng.uniform(-60, 60, 40)], axis=1
    )
    expected = [flow.agreement(a, b, aligned) for a in fields for b in fields]
    monkeypatch.setattr(match, "_KERNEL", None)
    numpy_path = [flow.agreement(a, b, aligned) for a in fields for b in fields]
    assert numpy_path == pytest.approx(expected, abs=1e-9)
    assert len(set(np.round(expected, 6).tolist())) > 3  # not all alike (e.g. all 0)


def test_an_agreement_needed_only_from_a_level_is_exact_there_and_below_it_elsewhere() -> None:
    """``at_least`` (gerbang_dual's floor): the C loop leaves alignments that cannot reach
    the level; what reaches it is exact, the rest is reported below it."""
    assert match.native()  # the NumPy path always returns the exact agreement
    rng = np.random.default_rng(8)
    fields = [flow_of(arch(), 10.0), flow_of(arch(bend=0.01), -6.0), flow_of(ridges())]
    above = below = left = 0
    for a in fields:
        for b in fields:
            for _ in range(4):
                aligned = np.stack(
                    [rng.uniform(-0.3, 0.3, 6), rng.uniform(-40, 40, 6), rng.uniform(-40, 40, 6)],
                    axis=1,
                )
                exact = flow.agreement(a, b, aligned)
                for level in (0.3, 0.6, 0.9, 0.97, max(exact, 0.01)):
                    got = flow.agreement(a, b, aligned, at_least=level)
                    if exact >= level:
                        assert got == exact
                        above += 1
                    else:
                        assert got < level
                        below += 1
                        left += got != exact  # an alignment was left before its end
    assert above > 10 and below > 10 and left > 0
    with pytest.raises(ValueError, match="at_least"):
        flow.agreement(fields[0], fields[1], [turn(0.0)], at_least=0.0)
    two = [turn(0.0), turn(5.0)]
    for bounds in ([0, 2, 1], [0, 3, 3], [-1, 1, 2]):  # falling, past the end, negative
        with pytest.raises(ValueError, match="bounds must rise"):
            flow.agreement_many(fields[0], fields[1:], two, bounds)
    with pytest.raises(ValueError, match="one more entry"):
        flow.agreement_many(fields[0], fields[1:], two, [0, 2])


def test_the_agreement_kernel_is_one_at_zero_and_narrows_with_harmonics() -> None:
    assert flow.kernel_weights(replace(FLOW, harmonics=1)).tolist() == [1.0]
    weights = flow.kernel_weights()
    assert weights.size == FLOW.harmonics and weights.sum() == pytest.approx(1.0)
    assert np.all(np.diff(weights) < 0)

    def kernel(degrees: float, harmonics: int) -> float:
        w = flow.kernel_weights(replace(FLOW, harmonics=harmonics))
        n = np.arange(1, harmonics + 1)
        return float(np.sum(w * np.cos(2 * n * np.deg2rad(degrees))))

    # 20 degrees apart: cos 40 = 0.77 with one harmonic, less with three
    assert kernel(20.0, 1) == pytest.approx(0.766, abs=1e-3)
    assert kernel(20.0, 3) < kernel(20.0, 1) - 0.1
    assert kernel(0.0, 3) == pytest.approx(1.0)


def test_bytes_round_trip() -> None:
    original = flow_of(arch())
    again = flow.from_bytes(flow.to_bytes(original))
    assert again.block == original.block
    assert np.array_equal(again.degrees, original.degrees)
    assert 0 < original.valid_blocks < original.degrees.size


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x08\x00", "shorter than its header"),
        (b"\x02\x00\x02\x00\x02" + bytes(4), "outside what is read"),
        (b"\x08\x00\x00\x00\x02", "outside what is read"),
        # one row of thousands of blocks fits an extended data block, but would cost the
        # comparison seconds and gigabytes: refused like any other bad record
        (b"\x08\x00\x01\xff\xd9" + bytes(65497), "outside what is read"),
        (b"\x08\x00\x02\x00\x02" + bytes(3), "needs 9 bytes"),
        (b"\x08\x00\x01\x00\x02" + bytes([10, 200]), "outside 0..179"),
    ],
)
def test_corrupt_bytes_are_a_template_error(data: bytes, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        flow.from_bytes(data)


def test_a_flow_larger_than_any_print_is_not_stored() -> None:
    side = flow.MAX_BLOCKS_PER_SIDE
    assert flow.from_bytes(flow.to_bytes(RidgeFlow(8, np.zeros((side, side), np.uint8))))
    with pytest.raises(TemplateError, match="outside what is read"):
        flow.to_bytes(RidgeFlow(8, np.zeros((side + 1, 4), np.uint8)))


def test_a_turn_keeps_the_whole_field_on_its_canvas() -> None:
    # a long 20 x 60 strip: turned 40 degrees it must be re-centred on its square
    # canvas, or a part falls off (distractors are made this way)
    strip = RidgeFlow(8, np.full((20, 60), 45, np.uint8))
    for degrees in (-40.0, 40.0, 90.0):
        turned = flow.moved(strip, degrees=degrees)
        assert turned.valid_blocks == pytest.approx(strip.valid_blocks, rel=0.03), degrees


def test_fields_that_can_never_overlap_enough_score_zero_even_when_large() -> None:
    across = np.full((80, 80), OFF_PRINT, np.uint8)
    down = across.copy()
    across[40:42, :] = 90  # 160 blocks in a flat strip
    down[:, 40:42] = 90  # 160 blocks in an upright strip: at most ~4-20 overlap
    a, b = RidgeFlow(8, across), RidgeFlow(8, down)
    assert min(a.valid_blocks, b.valid_blocks) >= FLOW.min_overlap
    middle = 80 * 8 / 2
    aligned = [turn(d, middle, (dx, 0.0)) for d in (0.0, 30.0) for dx in (-80.0, 0.0, 80.0)]
    assert flow.agreement(a, b, aligned) == 0.0
    assert flow.agreement(a, a, aligned) > 0.99


def test_blocks_mostly_off_the_print_or_not_numbers_are_off_the_print() -> None:
    theta = np.full((32, 32), 0.5, np.float32)
    coherence = np.ones_like(theta)
    area = np.ones((32, 32), bool)
    area[:8, :4] = False  # the first block: half on the print (min_area 75%)
    theta[8:16, 8:16] = np.nan  # the second row's second block: no direction at all
    coherence[24:, 24:] = np.inf
    found = flow.from_field(theta, coherence, area)
    assert found.degrees[0, 0] == OFF_PRINT and found.degrees[1, 1] == OFF_PRINT
    assert found.degrees[3, 3] == OFF_PRINT  # infinite coherence is not a number we use
    assert found.degrees[0, 1] == round(np.rad2deg(0.5)) and found.valid_blocks == 13


def test_from_field_checks_its_inputs() -> None:
    theta = np.zeros((64, 64), np.float32)
    with pytest.raises(ValueError, match="one shape"):
        flow.from_field(theta, np.ones((64, 63), np.float32), np.ones((64, 64), bool))
    with pytest.raises(ValueError, match="smaller than one"):
        small = np.zeros((4, 4), np.float32)
        flow.from_field(small, small, np.ones((4, 4), bool))
    nothing = flow.from_field(theta, np.ones_like(theta), np.zeros((64, 64), bool))
    assert nothing.valid_blocks == 0 and nothing.degrees.shape == (8, 8)


def test_a_moved_field_is_the_field_of_the_moved_print() -> None:
    # one alignment, no search: the turn must come from ``moved`` itself, in the right
    # direction. ``moved`` centres the field on a larger square grid: the alignment is
    # that grid's offset.
    fixed = replace(FLOW, min_overlap=400)
    upright = flow_of(arch())

    def offset(field: RidgeFlow, moved: RidgeFlow) -> list[float]:
        (rows, cols), side = field.degrees.shape, moved.degrees.shape[0]
        return [0.0, (side - cols) // 2 * field.block, (side - rows) // 2 * field.block]

    for degrees in (-20.0, 16.0):
        turned = flow.moved(upright, degrees=degrees)
        aligned = [offset(upright, turned)]
        assert flow.agreement(turned, flow_of(arch(), degrees), aligned, fixed) > 0.97
        assert flow.agreement(turned, flow_of(arch(), -degrees), aligned, fixed) < 0.85
    # the arch is left-right symmetric: its mirror turned by t is the arch turned by -t
    source = flow_of(arch(), 16.0)
    mirrored = flow.moved(source, mirror=True)
    aligned = [offset(source, mirrored)]
    assert flow.agreement(mirrored, flow_of(arch(), -16.0), aligned, fixed) > 0.97
    assert flow.agreement(mirrored, flow_of(arch(), 16.0), aligned, fixed) < 0.9
    once = flow.moved(upright, mirror=True)
    twice = flow.moved(once, mirror=True)
    shift = np.add(offset(upright, once), offset(once, twice)).tolist()
    assert flow.agreement(twice, upright, [shift], fixed) > 0.999
    assert abs(twice.valid_blocks - upright.valid_blocks) <= 0.02 * upright.valid_blocks

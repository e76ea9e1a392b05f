"""Ridge flow (``flow``): the block orientation field, its comparison and its bytes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from biometrics.fingerprint import flow
from biometrics.fingerprint.errors import TemplateError
from biometrics.fingerprint.flow import OFF_PRINT, RidgeFlow
from biometrics.fingerprint.params import FLOW
from tests.unit.fingerprint.synthetic import arch, flow_of, ridges


def test_a_turned_print_agrees_with_itself_and_not_with_another_pattern() -> None:
    # most of the print must overlap, so that a smooth field cannot agree with a part of
    # another one (with FLOW's 150 blocks an arch and a whorl agree at 0.99 somewhere)
    large = replace(FLOW, min_overlap=600)
    upright = flow_of(arch())
    for turn in (-24.0, 12.0, 20.0):  # on and between the 4-degree rotation steps
        assert flow.compare(upright, flow_of(arch(), turn), large) > 0.99
    # directions turned the wrong way under the rotation give 0.81 / 0.97 / 0.91 here;
    # no rotation search, 0.80 / 0.95 / 0.86
    unturned = replace(large, max_rotation=0.0)
    assert flow.compare(upright, flow_of(arch(), -24.0), unturned) < 0.95
    whorl = flow_of(ridges((300, 300), period=9.0))
    assert flow.compare(upright, whorl, large) < 0.6


def test_comparison_is_symmetric_enough_and_many_equals_one_by_one() -> None:
    a, b, c = flow_of(arch()), flow_of(arch(), 16.0), flow_of(arch(bend=0.01), -8.0)
    assert flow.compare(a, b) == pytest.approx(flow.compare(b, a), abs=0.02)
    d = flow_of(arch(size=400), 4.0)  # another grid size: another FFT canvas, cached apart
    many = flow.compare_many(flow.Probe(a), [b, d, c, d])
    expected = [flow.compare(a, b), flow.compare(a, d), flow.compare(a, c), flow.compare(a, d)]
    assert many.tolist() == pytest.approx(expected)
    assert d.degrees.shape != a.degrees.shape and expected[1] > 0.95


def test_fields_that_cannot_overlap_enough_score_zero() -> None:
    full = flow_of(arch())
    sliver = RidgeFlow(8, np.full((30, 30), OFF_PRINT, np.uint8))
    sliver.degrees[:5, :20] = 90  # 100 blocks on the print, fewer than min_overlap
    assert sliver.valid_blocks < FLOW.min_overlap
    assert flow.compare(full, sliver) == 0.0 and flow.compare(sliver, full) == 0.0
    with pytest.raises(ValueError, match="block sizes"):
        flow.compare(full, RidgeFlow(16, full.degrees))


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


def test_rotations_are_symmetric_and_include_none() -> None:
    assert len(FLOW.rotations) == 21 and 0.0 in FLOW.rotations
    assert FLOW.rotations[0] == -FLOW.rotations[-1] == -40.0


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


def test_every_turn_keeps_the_whole_field_on_its_canvas() -> None:
    # a long 20 x 60 strip: turned 40 degrees it must be re-centred on its square
    # canvas, or a part falls off and can never be compared
    strip = RidgeFlow(8, np.full((20, 60), 45, np.uint8))
    probe = flow.Probe(strip)
    for degrees, mask in zip(FLOW.rotations, probe.masks, strict=True):
        assert mask.sum() == pytest.approx(strip.valid_blocks, rel=0.03), degrees
    assert flow.compare(strip, strip) > 0.99


def test_the_match_may_lie_at_any_shift_without_wrapping_round() -> None:
    upright = flow_of(arch())
    rows, cols = upright.degrees.shape
    shifted = np.full((rows + 30, cols + 40), OFF_PRINT, np.uint8)
    shifted[30:, 40:] = upright.degrees  # the same field far down and right on a wider grid
    far = RidgeFlow(upright.block, shifted)
    assert flow.compare(upright, far) == pytest.approx(flow.compare(upright, upright), abs=0.01)
    assert flow.compare(far, upright) == pytest.approx(flow.compare(upright, upright), abs=0.01)


def test_the_correlation_does_not_wrap_round_the_canvas() -> None:
    # the probe: 10 x 15 blocks, exactly the overlap floor; the reference holds its two
    # halves at opposite edges of a 64-block-wide grid. Only a correlation that wraps
    # round would see them as one piece; unwrapped they overlap 80 blocks at most.
    probe = RidgeFlow(8, np.full((10, 15), 90, np.uint8))
    assert probe.valid_blocks == FLOW.min_overlap
    halves = np.full((64, 64), OFF_PRINT, np.uint8)
    halves[20:30, 57:] = 90  # the probe's first 7 columns at the right edge
    halves[20:30, :8] = 90  # its last 8 at the left edge
    reference = RidgeFlow(8, halves)
    assert flow.compare(probe, reference) == 0.0
    whole = halves.copy()
    whole[40:50, 20:35] = 90  # and the same piece whole: found
    assert flow.compare(probe, RidgeFlow(8, whole)) > 0.99


def test_fields_that_can_never_overlap_enough_score_zero_even_when_large() -> None:
    across = np.full((80, 80), OFF_PRINT, np.uint8)
    down = across.copy()
    across[40:42, :] = 90  # 160 blocks in a flat strip
    down[:, 40:42] = 90  # 160 blocks in an upright strip: at most ~4-20 overlap
    a, b = RidgeFlow(8, across), RidgeFlow(8, down)
    assert min(a.valid_blocks, b.valid_blocks) >= FLOW.min_overlap
    assert flow.compare(a, b) == 0.0


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
    # no rotation search: the turn must come from ``moved`` itself, in the right direction
    fixed = replace(FLOW, max_rotation=0.0, min_overlap=400)
    upright = flow_of(arch())
    for turn in (-20.0, 16.0):  # turned the wrong way: 0.66 / 0.80
        turned = flow.moved(upright, degrees=turn)
        assert flow.compare(turned, flow_of(arch(), turn), fixed) > 0.97
        assert flow.compare(turned, flow_of(arch(), -turn), fixed) < 0.85
    # the arch is left-right symmetric: its mirror turned by t is the arch turned by -t
    mirrored = flow.moved(flow_of(arch(), 16.0), mirror=True)
    assert flow.compare(mirrored, flow_of(arch(), -16.0), fixed) > 0.97
    assert flow.compare(mirrored, flow_of(arch(), 16.0), fixed) < 0.9
    twice = flow.moved(flow.moved(upright, mirror=True), mirror=True)
    assert flow.compare(twice, upright, fixed) > 0.999
    assert abs(twice.valid_blocks - upright.valid_blocks) <= 0.02 * upright.valid_blocks

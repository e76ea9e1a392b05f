"""Gabor ridge enhancement (``enhance``) and the two-set score (``dual``) on synthetic data."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from biometrics.fingerprint import dual, enhance, match, mcc
from biometrics.fingerprint.extract import enhanced_set
from biometrics.fingerprint.nbisx import Nbis
from biometrics.fingerprint.params import FLOW
from biometrics.fingerprint.quality import Quality
from biometrics.fingerprint.segment import Segmentation
from tests.unit.fingerprint.synthetic import (
    aligned_agreement,
    arch,
    flow_of,
    moved,
    random_template,
    ridges,
)


def _straight(period: float, angle: float, size: int = 256) -> np.ndarray:
    """Straight ridges whose normal points at ``angle`` (radians, image axes, y down)."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    wave = 0.5 + 0.5 * np.cos(2 * np.pi * (xx * math.cos(angle) + yy * math.sin(angle)) / period)
    return (40 + 170 * wave).astype(np.uint8)


@pytest.mark.parametrize("period", [7.0, 9.0, 12.0])
def test_ridge_period_is_found(period: float) -> None:
    pixels = ridges((300, 300), period=period)
    image = enhance.normalise(pixels, 8.0)
    mask = np.ones(pixels.shape, bool)
    found = enhance.ridge_period(image, mask, enhance.ENHANCEMENT)
    assert abs(found - period) < 0.1 * period


@pytest.mark.parametrize("angle", [0.0, math.pi / 6, math.pi / 2, 2 * math.pi / 3])
def test_orientation_is_the_ridge_normal(angle: float) -> None:
    image = enhance.normalise(_straight(9.0, angle), 8.0)
    theta, coherence = enhance.orientation_field(image, 1.0, 8.0)
    centre = theta[64:192, 64:192]
    difference = np.abs(((centre - angle) + math.pi / 2) % math.pi - math.pi / 2)
    assert float(np.median(difference)) < math.radians(3)
    assert float(np.median(coherence[64:192, 64:192])) > 0.9


def test_enhancement_restores_noisy_ridges_and_whitens_the_background() -> None:
    clean = ridges((300, 300), period=9.0).astype(np.float64)
    rng = np.random.default_rng(3)
    noisy = np.clip(128 + 0.3 * (clean - 128) + rng.normal(0, 40, clean.shape), 0, 255)
    pixels = noisy.astype(np.uint8)
    pixels[:, :40] = 200  # a flat strip of background
    mask = np.zeros(pixels.shape, bool)
    mask[:, 48:] = True
    result = enhance.enhance(pixels, mask)
    assert result.pixels.dtype == np.uint8 and result.pixels.shape == pixels.shape
    assert abs(result.period - 9.0) < 1.0
    assert (result.pixels[:, :30] == 255).all()
    inner = (slice(60, 240), slice(100, 240))
    before = np.corrcoef(noisy[inner].ravel(), clean[inner].ravel())[0, 1]
    after = np.corrcoef(result.pixels[inner].astype(float).ravel(), clean[inner].ravel())[0, 1]
    assert after > 0.8 > before  # dark ridges stay dark, and the noise is gone


def test_dual_score_is_the_mean_of_the_two_sets_with_the_flow_tie_break() -> None:
    a_raw, a_enh = mcc.encode(random_template(40, seed=1)), mcc.encode(random_template(35, seed=2))
    b_raw = mcc.encode(moved(a_raw, rotation=0.2, shift=(10, -5), jitter=1.0, drop=5))
    b_enh = mcc.encode(moved(a_enh, rotation=0.2, shift=(10, -5), jitter=1.0, drop=5))
    a_flow, b_flow = flow_of(arch()), flow_of(arch(), math.degrees(0.2))
    other = dual.DualTemplate(
        mcc.encode(random_template(40, seed=7)),
        mcc.encode(random_template(40, seed=8)),
        flow_of(ridges((300, 300), period=9.0)),
    )
    a, b = dual.DualTemplate(a_raw, a_enh, a_flow), dual.DualTemplate(b_raw, b_enh, b_flow)
    assert aligned_agreement(a, b) > FLOW.floor  # the same pattern turned, found turned
    minutiae = 0.5 * (match.compare(a_raw, b_raw) + match.compare(a_enh, b_enh))
    expected = dual.combine(minutiae, aligned_agreement(a, b))
    assert dual.compare(a, b) == pytest.approx(expected)
    many = dual.compare_many(a, [b, other])
    assert many[0] == pytest.approx(expected, abs=5e-4)
    assert many[1] == pytest.approx(dual.compare(a, other), abs=5e-4)
    assert many[0] > many[1]
    assert dual.compare_many(a, []).shape == (0,)


def test_no_print_area_gives_a_white_image_and_no_minutiae() -> None:
    pixels = ridges((200, 200), period=9.0)
    result = enhance.enhance(pixels, np.zeros(pixels.shape, bool))
    assert (result.pixels == 255).all() and not result.area.any()
    assert result.period == enhance.ENHANCEMENT.default_period


def test_enhanced_set_of_a_print_without_area_is_empty_not_an_error() -> None:
    pixels = ridges((200, 200), period=9.0)
    nothing = Segmentation(np.zeros(pixels.shape, bool), np.zeros((13, 13)), 16)
    found = enhanced_set(pixels, nothing, Nbis(), Quality(50, "test"))
    assert found.template.count == 0 and found.flow.valid_blocks == 0


@pytest.mark.parametrize("period", [6.5, 9.0, 13.0])
def test_separable_bank_equals_the_2d_kernels(period: float) -> None:
    image = enhance.normalise(ridges((160, 120), period=9.0, seed=4), 8.0)
    separable = enhance.gabor_responses(image, period, enhance.ENHANCEMENT)
    kernels = enhance.gabor_bank(period, enhance.ENHANCEMENT)
    direct = np.stack(
        [cv2.filter2D(image, cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT) for k in kernels]
    )
    assert separable.shape == direct.shape == (enhance.ENHANCEMENT.orientations, 120, 160)
    assert float(np.abs(separable - direct).max()) < 1e-4 * float(np.abs(direct).max())

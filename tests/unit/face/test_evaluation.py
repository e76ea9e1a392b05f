"""Shared verification metrics: EER, FNMR at FMR, thresholds, DET points and plot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from biometrics import evaluation


def test_separable_scores_have_zero_error() -> None:
    genuine, impostor = [0.9, 0.8, 0.95], [0.1, 0.2, 0.3, 0.4]
    equal, _ = evaluation.eer(genuine, impostor)
    assert equal == 0
    fnmr, threshold = evaluation.fnmr_at_fmr(genuine, impostor, 0.01)
    assert fnmr == 0 and 0.4 < threshold <= 0.8


def test_known_overlap() -> None:
    impostor = np.arange(100) / 100.0  # 0.00 .. 0.99
    genuine = np.arange(100) / 100.0 + 0.5  # 0.50 .. 1.49
    threshold = evaluation.threshold_at_fmr(impostor, 0.1)
    fmr, fnmr = evaluation.rates(genuine, impostor, threshold)
    assert fmr == pytest.approx(0.10)
    assert fnmr == pytest.approx(0.40)
    equal, _ = evaluation.eer(genuine, impostor)
    assert equal == pytest.approx(0.25, abs=0.01)


def test_fmr_below_the_resolution_is_conservative() -> None:
    impostor = [0.1, 0.2, 0.3]
    threshold = evaluation.threshold_at_fmr(impostor, 0.001)
    assert threshold > 0.3
    summary = evaluation.summary([0.25, 0.9], impostor)
    assert summary["fnmr_at_fmr"]["0.001"] == 0.5
    assert summary["fmr_resolution"] == pytest.approx(1 / 3, abs=1e-6)


def test_summary_shape() -> None:
    rng = np.random.default_rng(0)
    summary = evaluation.summary(rng.normal(2, 1, 300), rng.normal(0, 1, 3000), det=50)
    assert set(summary["fnmr_at_fmr"]) == {"0.01", "0.001"}
    assert set(summary["threshold_at_fmr"]) == {"0.01", "0.001"}
    assert 0.1 < summary["eer"] < 0.2
    assert summary["genuine"] == 300 and summary["impostor"] == 3000
    fmrs = [p["fmr"] for p in summary["det"]]
    assert fmrs == sorted(fmrs)


def test_scores_must_be_present_and_finite() -> None:
    with pytest.raises(ValueError, match="no genuine"):
        evaluation.eer([], [0.1])
    with pytest.raises(ValueError, match="finite"):
        evaluation.eer([float("nan")], [0.1])


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.floats(-5, 5), min_size=1, max_size=60),
    st.lists(st.floats(-5, 5), min_size=1, max_size=200),
    st.sampled_from([0.5, 0.1, 0.01, 0.001]),
)
def test_threshold_at_fmr_never_exceeds_the_target(
    genuine: list[float], impostor: list[float], target: float
) -> None:
    threshold = evaluation.threshold_at_fmr(impostor, target)
    fmr, fnmr = evaluation.rates(genuine, impostor, threshold)
    assert fmr <= target + 1e-12
    assert 0 <= fnmr <= 1
    # It is the lowest such threshold among the impostor scores: one step lower breaks it.
    lower = [s for s in impostor if s < threshold]
    if lower:
        assert evaluation.rates(genuine, impostor, max(lower))[0] > target


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-5, 5), min_size=1, max_size=60),
    st.lists(st.floats(-5, 5), min_size=1, max_size=60),
)
def test_eer_is_a_rate(genuine: list[float], impostor: list[float]) -> None:
    equal, _ = evaluation.eer(genuine, impostor)
    assert 0 <= equal <= 1


def test_det_plot_is_written(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    curves = {
        "a": (rng.normal(2, 1, 200), rng.normal(0, 1, 2000)),
        "b": (rng.normal(3, 1, 200), rng.normal(0, 1, 2000)),
    }
    out = evaluation.plot_det(curves, tmp_path / "plots" / "det.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

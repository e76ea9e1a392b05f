"""The A/B matcher bench on synthetic fingers: figures per side, the baseline loaded privately."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest

from biometrics.fingerprint import match, matchbench
from biometrics.fingerprint.dataset import FvcSet
from biometrics.fingerprint.template import MinutiaeTemplate
from tests.unit.fingerprint.synthetic import moved, random_template


def synthetic_set(fingers: int = 3, impressions: int = 3) -> tuple[FvcSet, list[MinutiaeTemplate]]:
    templates: list[MinutiaeTemplate] = []
    names: list[str] = []
    numbers: list[int] = []
    for f in range(fingers):
        base = random_template(40, seed=100 + f)
        for i in range(impressions):
            templates.append(
                moved(base, rotation=math.radians(10 * i), shift=(5 * i, -4 * i), jitter=1.5)
            )
            names.append(str(f + 1))
            numbers.append(i + 1)
    dataset = FvcSet("synthetic", (), tuple(names), tuple(numbers))
    return dataset, templates


def test_bench_set_reports_rates_and_a_perfect_eer_on_easy_fingers() -> None:
    dataset, templates = synthetic_set()
    result = matchbench.bench_set(dataset, templates, [matchbench.current()], runs=2)
    assert result["comparisons"] == 36  # C(9, 2)
    figures = result["current"]
    assert len(figures["runs_per_s"]) == len(figures["runs_per_cpu_s"]) == 2
    assert figures["comparisons_per_s"] > 0 and figures["comparisons_per_cpu_s"] > 0
    assert figures["eer"] == 0.0  # moved copies of a finger against other random fingers
    prepared = figures["prepared_gallery"]
    assert prepared["comparisons"] == 81  # 9 probes x a gallery of all 9
    assert prepared["comparisons_per_s"] > 0 and prepared["gallery_build_ms"] >= 0
    assert prepared["max_score_difference"] < 1e-3  # the same scores as pair by pair


def test_prepared_gallery_scores_are_the_pairwise_scores() -> None:
    _, templates = synthetic_set(fingers=2, impressions=3)
    encoded = [matchbench.current().encode(t) for t in templates]
    matrix, build, wall, cpu = matchbench.score_prepared(matchbench.current(), encoded)
    assert matrix.shape == (6, 6) and build >= 0 and wall > 0 and cpu >= 0
    for i in range(6):
        for j in range(6):
            assert matrix[i, j] == pytest.approx(match.compare(encoded[i], encoded[j]), abs=1e-3)
    assert matrix[0, 1] > matrix[0, 3]  # same finger above another finger


@pytest.mark.skipif(shutil.which("git") is None, reason="git missing")
def test_baseline_is_a_separate_copy_that_matches_too() -> None:
    baseline = matchbench.load_baseline("HEAD")
    assert baseline.match is not match
    assert baseline.match.__name__.startswith("gerbang_fpbench_baseline.")
    dataset, templates = synthetic_set()
    result = matchbench.bench_set(dataset, templates, [matchbench.current(), baseline], runs=1)
    assert result["baseline"]["eer"] == 0.0
    assert result["speedup_cpu"] > 0
    assert np.isfinite(result["max_score_difference"])

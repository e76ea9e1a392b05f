"""The evaluation report from enrolled vectors: FTE views, fusion, pooled figures."""

from __future__ import annotations

from collections import Counter

import numpy as np

from biometrics.face.datasets import EvalSet
from biometrics.face.evalface import (
    Enrolment,
    fusion_report,
    matcher_report,
    pair_indices,
    pooled,
    score_pairs,
)


def clustered(ids: list[str], *, spread: float, seed: int = 0) -> np.ndarray:
    """Unit vectors around one random centre per identity."""
    rng = np.random.default_rng(seed)
    centres = {i: rng.normal(size=128) for i in sorted(set(ids))}
    vectors = np.array([centres[i] + rng.normal(0, spread, 128) for i in ids])
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


IDS = [f"p{k // 4}" for k in range(40)]  # 10 people x 4 images


def test_report_counts_failures_three_ways() -> None:
    vectors = clustered(IDS, spread=0.6)
    vectors[0] = np.nan  # one failure to enrol
    enrolment = Enrolment(vectors, Counter({"no_face": 1}))
    a, b, same = pair_indices(EvalSet("s", (), tuple(IDS)))
    scores = score_pairs(enrolment, a, b, cosine=True)
    common = ~np.isnan(scores)
    report = matcher_report(enrolment, scores, same, common, len(IDS))
    assert report["failures_to_enrol"] == 1 and report["fte_rate"] == 0.025
    assert report["genuine"] == int(same.sum()) - 3  # image 0's three genuine pairs left out
    assert report["fte_as_non_match"]["fnmr_at_fmr"]["0.01"] >= 3 / same.sum()
    assert report["common_pairs"]["genuine"] == report["genuine"]
    assert report["failure_reasons"] == {"no_face": 1}


def test_euclidean_scores_are_negated_distances() -> None:
    vectors = clustered(IDS, spread=0.6)
    enrolment = Enrolment(vectors)
    a, b, _ = pair_indices(EvalSet("s", (), tuple(IDS)))
    distances = score_pairs(enrolment, a, b, cosine=False)
    cosines = score_pairs(enrolment, a, b, cosine=True)
    assert np.all(distances <= 0)
    assert np.allclose(distances, -np.sqrt(2 - 2 * cosines))


def test_fusion_of_two_images_helps_noisy_probes() -> None:
    report = fusion_report(Enrolment(clustered(IDS, spread=1.2)), IDS)
    assert report is not None
    assert report["fused_2"]["eer"] <= report["single"]["eer"]
    assert report["single"]["genuine"] == report["fused_2"]["genuine"] == 10 * 4 * 3


def test_fusion_needs_three_images_of_someone() -> None:
    ids = [f"p{k // 2}" for k in range(10)]
    assert fusion_report(Enrolment(clustered(ids, spread=0.5)), ids) is None


def test_pooled_joins_the_sets() -> None:
    rng = np.random.default_rng(0)
    one = {"m": (rng.normal(2, 1, 50), rng.normal(0, 1, 500))}
    two = {"m": (rng.normal(2, 1, 30), rng.normal(0, 1, 300))}
    figures = pooled([one, two])
    assert figures["m"]["genuine"] == 80 and figures["m"]["impostor"] == 800
    assert set(figures["m"]["fnmr_at_fmr"]) == {"0.01", "0.001", "0.0001"}

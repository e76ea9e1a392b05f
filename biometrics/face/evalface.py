"""``gerbang eval face``: our pipeline and the plain face_recognition baseline, side by side.

Each image is enrolled once per matcher; a failure to enrol (FTE) is an image
where the matcher finds no face or cannot read the file. Pairs are then
scored three ways, all reported:

- FTE pairs left out (as ANCHORS.md does): ``eer``, ``fnmr_at_fmr`` ...;
- ``fte_as_non_match``: a pair with an unenrolled image counts as a rejection
  (genuine: a false non-match; impostor: a correct non-match);
- ``common_pairs``: only pairs both matchers enrolled, the like-for-like view.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from biometrics import evaluation
from biometrics.face.baseline import DEFAULT_TOLERANCE, Baseline
from biometrics.face.datasets import EvalSet
from biometrics.face.errors import ImageDecodeError
from biometrics.face.imageio import load_image
from biometrics.face.models import FaceModels
from biometrics.face.reference import process_still

OURS = "gerbang"
BASELINE = "face_recognition_baseline"
FTE_POLICY = (
    "an image is a failure to enrol when the matcher finds no face or cannot read it; "
    "metrics leave its pairs out (as ANCHORS.md), 'fte_as_non_match' counts them as "
    "rejections, 'common_pairs' keeps only pairs both matchers enrolled"
)
_FLOOR = -1e6  # the score of a pair with an unenrolled image, in fte_as_non_match

Progress = Callable[[str, int, int], None]


@dataclass
class Enrolment:
    """One matcher's vectors (rows; NaN for a failure to enrol) and timing."""

    vectors: npt.NDArray[np.float64]
    failures: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def enrolled(self) -> npt.NDArray[np.bool_]:
        return ~np.isnan(self.vectors[:, 0])


def enrol_ours(
    models: FaceModels, images: Sequence[Path], progress: Progress | None = None
) -> Enrolment:
    vectors = np.full((len(images), 128), np.nan)
    failures: Counter[str] = Counter()
    started = time.perf_counter()
    for k, path in enumerate(images):
        try:
            rgb = load_image(path).rgb
        except ImageDecodeError as exc:
            failures[exc.code] += 1
            continue
        result = process_still(models, rgb)
        if result.embedding is None:
            failures["no_face"] += 1
        else:
            vectors[k] = result.embedding
        if progress:
            progress(OURS, k + 1, len(images))
    return Enrolment(vectors, failures, time.perf_counter() - started)


def enrol_baseline(
    baseline: Baseline, images: Sequence[Path], progress: Progress | None = None
) -> Enrolment:
    vectors = np.full((len(images), 128), np.nan)
    failures: Counter[str] = Counter()
    started = time.perf_counter()
    for k, path in enumerate(images):
        vector = baseline.encode_file(path)
        if vector is None:
            failures["no_face_or_unreadable"] += 1
        else:
            vectors[k] = vector
        if progress:
            progress(BASELINE, k + 1, len(images))
    return Enrolment(vectors, failures, time.perf_counter() - started)


@dataclass(frozen=True)
class PairScores:
    """Scores of every pair of a set for one matcher; NaN where an image failed to enrol."""

    scores: npt.NDArray[np.float64]
    same: npt.NDArray[np.bool_]


def pair_indices(
    dataset: EvalSet,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
    if dataset.pairs is not None:
        if not dataset.pairs:
            return np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0, bool)
        first, second, truth = zip(*dataset.pairs, strict=True)
        return np.array(first, np.intp), np.array(second, np.intp), np.array(truth, bool)
    if dataset.identities is None:
        raise ValueError("an evaluation set needs identities or pairs")
    ids = np.array(dataset.identities)
    a, b = np.triu_indices(len(ids), k=1)
    return a, b, ids[a] == ids[b]


def score_pairs(
    enrolment: Enrolment, a: npt.NDArray[np.intp], b: npt.NDArray[np.intp], *, cosine: bool
) -> npt.NDArray[np.float64]:
    v = enrolment.vectors
    scores = np.empty(a.size)
    for start in range(0, a.size, 1_000_000):  # bounded memory on LFW's 5M pairs
        sl = slice(start, start + 1_000_000)
        if cosine:
            scores[sl] = np.einsum("ij,ij->i", v[a[sl]], v[b[sl]])
        else:
            scores[sl] = -np.linalg.norm(v[a[sl]] - v[b[sl]], axis=1)
    return scores


def _block(
    scores: npt.NDArray[np.float64], same: npt.NDArray[np.bool_], keep: npt.NDArray[np.bool_]
) -> dict[str, Any]:
    g, i = scores[keep & same], scores[keep & ~same]
    if g.size == 0 or i.size == 0:
        return {"genuine": int(g.size), "impostor": int(i.size), "eer": None}
    return evaluation.summary(g, i)


def matcher_report(
    enrolment: Enrolment,
    scores: npt.NDArray[np.float64],
    same: npt.NDArray[np.bool_],
    common: npt.NDArray[np.bool_],
    images: int,
) -> dict[str, Any]:
    scored = ~np.isnan(scores)
    report = _block(scores, same, scored)
    floor = np.where(scored, scores, _FLOOR)
    with_fte = _block(floor, same, np.ones_like(same))
    fte = int(images - enrolment.enrolled.sum())
    report.update(
        {
            "failures_to_enrol": fte,
            "fte_rate": round(fte / images, 6) if images else 0.0,
            "failure_reasons": dict(enrolment.failures),
            "fte_as_non_match": {k: with_fte.get(k) for k in ("eer", "fnmr_at_fmr")},
            "common_pairs": {
                k: v
                for k, v in _block(scores, same, common).items()
                if k in ("genuine", "impostor", "eer", "fnmr_at_fmr")
            },
            "ms_per_image": round(1000.0 * enrolment.seconds / max(images, 1), 1),
        }
    )
    return report


def evaluate(
    dataset: EvalSet,
    models: FaceModels,
    baseline: Baseline | None,
    *,
    progress: Progress | None = None,
) -> tuple[dict[str, Any], dict[str, tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]]]:
    """The JSON report of one set, and (genuine, impostor) scores per matcher for plots."""
    a, b, same = pair_indices(dataset)
    n = len(dataset.images)
    enrolments = {OURS: enrol_ours(models, dataset.images, progress)}
    if baseline is not None:
        enrolments[BASELINE] = enrol_baseline(baseline, dataset.images, progress)
    scores = {name: score_pairs(e, a, b, cosine=name == OURS) for name, e in enrolments.items()}
    common = np.logical_and.reduce([~np.isnan(s) for s in scores.values()])
    matchers: dict[str, Any] = {}
    curves = {}
    for name, enrolment in enrolments.items():
        matchers[name] = matcher_report(enrolment, scores[name], same, common, n)
        ok = ~np.isnan(scores[name])
        curves[name] = (scores[name][ok & same], scores[name][ok & ~same])
    if BASELINE in matchers:
        _add_tolerance(matchers[BASELINE], *curves[BASELINE])
    report = {
        "dataset": dataset.name,
        "images": n,
        "genuine": int(same.sum()),
        "impostor": int((~same).sum()),
        "failures_to_enrol": {k: v["failures_to_enrol"] for k, v in matchers.items()},
        "fte_policy": FTE_POLICY,
        "scores": {
            OURS: "cosine similarity of unit embeddings (68-point alignment, flip average)",
            BASELINE: "negated Euclidean distance of face_recognition encodings",
        },
        "matchers": matchers,
    }
    if dataset.note:
        report["note"] = dataset.note
    return report, curves


def _add_tolerance(
    report: dict[str, Any], genuine: npt.NDArray[np.float64], impostor: npt.NDArray[np.float64]
) -> None:
    """face_recognition's own operating point: distance <= 0.6 is a match."""
    if genuine.size and impostor.size:
        fmr, fnmr = evaluation.rates(genuine, impostor, -DEFAULT_TOLERANCE)
        report["at_tolerance_0.6"] = {"fmr": round(fmr, 6), "fnmr": round(fnmr, 6)}


def pooled(
    curves: Sequence[dict[str, tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]]],
) -> dict[str, Any]:
    """Figures over the union of several sets' pairs (within-set pairs only)."""
    out: dict[str, Any] = {}
    names = set().union(*(c.keys() for c in curves)) if curves else set()
    for name in sorted(names):
        g = np.concatenate([c[name][0] for c in curves if name in c])
        i = np.concatenate([c[name][1] for c in curves if name in c])
        out[name] = evaluation.summary(g, i, fmrs=(0.01, 0.001, 0.0001))
    return out

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
from itertools import combinations
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
from biometrics.face.params import EMBEDDING, VERIFICATION, EmbeddingParams, VerificationPolicy
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
# (matcher, its settings, image) -> embedding or failure code; shared by the sets of one run
# (lfw_protocol's images are all in lfw_gray). In memory only.
EnrolmentCache = dict[tuple[str, str, Path], "npt.NDArray[np.float64] | str"]


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
    models: FaceModels,
    images: Sequence[Path],
    progress: Progress | None = None,
    embedding: EmbeddingParams = EMBEDDING,
    cache: EnrolmentCache | None = None,
) -> Enrolment:
    vectors = np.full((len(images), 128), np.nan)
    failures: Counter[str] = Counter()
    started = time.perf_counter()
    for k, path in enumerate(images):
        key = (OURS, repr(embedding), path)
        if cache is None or key not in cache:
            outcome: npt.NDArray[np.float64] | str
            try:
                result = process_still(models, load_image(path).rgb, embedding=embedding)
                found = result.embedding
                outcome = "no_face" if found is None else found.astype(np.float64)
            except ImageDecodeError as exc:
                outcome = exc.code
            if cache is not None:
                cache[key] = outcome
        else:
            outcome = cache[key]
        if isinstance(outcome, str):
            failures[outcome] += 1
        else:
            vectors[k] = outcome
        if progress:
            progress(OURS, k + 1, len(images))
    return Enrolment(vectors, failures, time.perf_counter() - started)


def enrol_baseline(
    baseline: Baseline,
    images: Sequence[Path],
    progress: Progress | None = None,
    cache: EnrolmentCache | None = None,
) -> Enrolment:
    vectors = np.full((len(images), 128), np.nan)
    failures: Counter[str] = Counter()
    started = time.perf_counter()
    for k, path in enumerate(images):
        key = (BASELINE, "", path)
        if cache is None or key not in cache:
            vector = baseline.encode_file(path)
            outcome: npt.NDArray[np.float64] | str = (
                "no_face_or_unreadable" if vector is None else vector
            )
            if cache is not None:
                cache[key] = outcome
        else:
            outcome = cache[key]
        if isinstance(outcome, str):
            failures[outcome] += 1
        else:
            vectors[k] = outcome
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
    fusion: bool = False,
    embedding: EmbeddingParams = EMBEDDING,
    policy: VerificationPolicy | None = VERIFICATION,
    cache: EnrolmentCache | None = None,
) -> tuple[dict[str, Any], dict[str, tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]]]:
    """The JSON report of one set, and (genuine, impostor) scores per matcher for plots."""
    a, b, same = pair_indices(dataset)
    n = len(dataset.images)
    enrolments = {OURS: enrol_ours(models, dataset.images, progress, embedding, cache)}
    if baseline is not None:
        enrolments[BASELINE] = enrol_baseline(baseline, dataset.images, progress, cache)
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
    report: dict[str, Any] = {
        "dataset": dataset.name,
        "images": n,
        "genuine": int(same.sum()),
        "impostor": int((~same).sum()),
        "failures_to_enrol": {k: v["failures_to_enrol"] for k, v in matchers.items()},
        "fte_policy": FTE_POLICY,
        "scores": {
            OURS: "cosine similarity of unit embeddings "
            f"({embedding.landmarks}-point alignment, flip {embedding.flip}, "
            f"jitters {embedding.jitters})",
            BASELINE: "negated Euclidean distance of face_recognition encodings",
        },
        "matchers": matchers,
    }
    genuine, impostor = curves[OURS]
    if policy is not None and genuine.size and impostor.size:
        matchers[OURS]["at_policy"] = {
            name: {
                "threshold": t,
                **dict(zip(("fmr", "fnmr"), evaluation.rates(genuine, impostor, t), strict=True)),
            }
            for name, t in (("accept", policy.accept), ("reject", policy.reject))
        }
    if fusion and dataset.identities is not None:
        matchers[OURS]["fusion"] = fusion_report(enrolments[OURS], dataset.identities)
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


def fusion_report(
    enrolment: Enrolment, identities: Sequence[str], *, max_impostor_refs: int = 2000, seed: int = 0
) -> dict[str, Any] | None:
    """Multi-sample fusion: a probe fused from two images vs one image, same references.

    For every identity with 3+ enrolled images, each image in turn is the
    reference; probes are one other image ("single") or the normalised mean of
    two other images ("fused_2"); impostor references are (up to
    ``max_impostor_refs``) images of other identities. Live frames are more
    alike than two photos, so this bounds what frame fusion can give.
    """
    ok = enrolment.enrolled
    vectors = enrolment.vectors[ok]
    ids = np.asarray(identities)[ok]
    rng = np.random.default_rng(seed)
    single_g: list[float] = []
    fused_g: list[float] = []
    single_i: list[npt.NDArray[np.float64]] = []
    fused_i: list[npt.NDArray[np.float64]] = []
    for identity in sorted(set(ids.tolist())):
        members = np.flatnonzero(ids == identity)
        if members.size < 3:
            continue
        strangers = np.flatnonzero(ids != identity)
        if strangers.size > max_impostor_refs:
            strangers = rng.choice(strangers, max_impostor_refs, replace=False)
        for ref in members:
            others = [m for m in members if m != ref]
            for a, b in list(combinations(others, 2))[:6]:
                fused = vectors[a] + vectors[b]
                fused /= np.linalg.norm(fused)
                fused_g.append(float(fused @ vectors[ref]))
                single_g.append(float(vectors[a] @ vectors[ref]))
        a, b = members[0], members[1]
        fused = vectors[a] + vectors[b]
        fused /= np.linalg.norm(fused)
        fused_i.append(vectors[strangers] @ fused)
        single_i.append(vectors[strangers] @ vectors[a])
    if not single_g or not single_i:
        return None
    keep = ("genuine", "impostor", "eer", "fnmr_at_fmr")
    single = evaluation.summary(single_g, np.concatenate(single_i))
    fused_summary = evaluation.summary(fused_g, np.concatenate(fused_i))
    return {
        "single": {k: single[k] for k in keep},
        "fused_2": {k: fused_summary[k] for k in keep},
    }

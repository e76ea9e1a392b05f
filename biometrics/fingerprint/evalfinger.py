"""``gerbang eval fingerprint``: our MCC matcher and NIST bozorth3 on the same images.

Each image is loaded, resampled to 500 ppi, segmented and passed once through
mindtct; bozorth3 compares mindtct's minutiae (nbis-py's own handle), ours
compares the MCC cylinders of the same minutiae (inside the print area). An
image that cannot be loaded or extracted, or yields fewer than
``min_minutiae``, is a failure to extract; its pairs score 0 for both matchers
(counted, not dropped: a genuine pair then is a false non-match).

Figures per matcher: ``eer``; ``fmr100`` / ``fmr1000`` = FNMR at FMR 1% / 0.1%
(conservative when the protocol has fewer than 100 / 1000 impostors);
``zero_fmr`` = FNMR at the lowest threshold above every impostor score;
``comparisons_per_s`` on one core; ``extract_ms`` per image.

A third matcher, ``gerbang_dual``, is ours on two minutiae sets per image
(mindtct on the raw print and on its Gabor-enhanced image, scores averaged)
with the ridge flow of the enhancement as a tie-break (:mod:`dual`); its
``extract_ms`` includes the enhancement, the second mindtct run and the flow.
The kiosk's 1:1 verification compares with it when both sides hold all three;
1:N and de-duplication use ``gerbang``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import numpy.typing as npt

from biometrics import evaluation
from biometrics.fingerprint import dual, match, mcc
from biometrics.fingerprint.dataset import FvcSet, pairs
from biometrics.fingerprint.errors import FingerprintError
from biometrics.fingerprint.extract import (
    Extraction,
    enhanced_set,
    extract,
    usable_enhanced,
)
from biometrics.fingerprint.flow import RidgeFlow
from biometrics.fingerprint.image import load_print
from biometrics.fingerprint.nbisx import Nbis, bozorth3
from biometrics.fingerprint.params import EXTRACTION
from biometrics.fingerprint.template import MinutiaeTemplate

OURS = dual.RAW_MATCHER
BASELINE = "nbis_bozorth3"
DUAL = dual.DUAL_MATCHER
FUSED_SUM = "gerbang_2_fingers_sum"
FUSED_MAX = "gerbang_2_fingers_max"
DUAL_FUSED_SUM = "gerbang_dual_2_fingers_sum"
DUAL_FUSED_MAX = "gerbang_dual_2_fingers_max"
FUSION_NOTE = (
    "chimeric two-finger people: fingers (1st, 2nd), (3rd, 4th), ... of the set are one "
    "person's two fingers; genuine = impressions i<j of both fingers of a person (same i, j "
    "for both fingers); impostor = person p impression i against person q impression j, "
    "p<q, all i, j; scores summed (or max) over the two fingers"
)
Progress = Callable[[str, int, int], None]
Curve = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]  # (genuine, impostor) scores


@dataclass
class Extracted:
    extractions: list[Extraction | None]
    failures: Counter[str] = field(default_factory=Counter)
    mindtct_seconds: float = 0.0
    encode_seconds: float = 0.0
    enhanced: list[MinutiaeTemplate | None] = field(default_factory=list)
    flows: list[RidgeFlow | None] = field(default_factory=list)  # with each enhanced set
    enhanced_seconds: float = 0.0  # enhancement, second mindtct run and its cylinders


def extract_all(
    dataset: FvcSet,
    nbis: Nbis,
    *,
    ppi: float | None,
    progress: Progress | None = None,
    enhanced: bool = True,
) -> Extracted:
    out = Extracted([])
    for k, path in enumerate(dataset.images):
        try:
            image = load_print(path, ppi=ppi)
            started = time.perf_counter()
            result = extract(image, nbis, nfiq2=False)
            total = time.perf_counter() - started
            started = time.perf_counter()
            mcc.encode(result.template)  # timed again alone: the cylinder share of extraction
            encode = time.perf_counter() - started
            out.mindtct_seconds += total - encode
            out.encode_seconds += encode
            started = time.perf_counter()
            second: MinutiaeTemplate | None = None
            ridge_flow: RidgeFlow | None = None
            try:
                if enhanced:
                    found = enhanced_set(image.pixels, result.segmentation, nbis, result.quality)
                    second, ridge_flow = found.template, found.flow
                if second is not None and usable_enhanced(second) is None:
                    out.failures["enhanced_too_few_minutiae"] += 1  # as the kiosk drops it
                    second = None
            except FingerprintError as exc:  # gerbang_dual only: the raw set stands
                out.failures[f"enhanced_{exc.code}"] += 1
            out.enhanced_seconds += time.perf_counter() - started
        except FingerprintError as exc:
            out.failures[exc.code] += 1
            out.extractions.append(None)
            out.enhanced.append(None)
            out.flows.append(None)
        else:
            if result.too_few_minutiae:
                out.failures["too_few_minutiae"] += 1
                out.extractions.append(None)
                out.enhanced.append(None)
                out.flows.append(None)
            else:
                out.extractions.append(result)
                out.enhanced.append(second)
                out.flows.append(ridge_flow if second is not None else None)
        if progress:
            progress("extract", k + 1, len(dataset.images))
    return out


def score_ours(
    extracted: Extracted, a: npt.NDArray[np.intp], b: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.float64], float]:
    """Scores of the pairs and the comparisons per second (probe against its references)."""
    scores = np.zeros(a.size)
    templates = [e.template if e else None for e in extracted.extractions]
    started = time.perf_counter()
    for probe in np.unique(a):
        rows = np.flatnonzero(a == probe)
        first = templates[probe]
        refs = [templates[j] for j in b[rows]]
        ok = [k for k, t in enumerate(refs) if t is not None]
        if first is None or not ok:
            continue
        gallery = match.Gallery([refs[k] for k in ok if refs[k] is not None])
        scores[rows[ok]] = match.compare_many(first, gallery)
    seconds = time.perf_counter() - started
    return scores, a.size / seconds if seconds > 0 else 0.0


def score_dual(
    extracted: Extracted, a: npt.NDArray[np.intp], b: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.float64], float]:
    """Like ``score_ours`` with ``gerbang_dual``: both minutiae sets and the ridge flow."""
    scores = np.zeros(a.size)
    templates = [
        dual.DualTemplate(e.template, s, f)
        if e is not None and s is not None and f is not None
        else None
        for e, s, f in zip(extracted.extractions, extracted.enhanced, extracted.flows, strict=True)
    ]
    started = time.perf_counter()
    for probe in np.unique(a):
        rows = np.flatnonzero(a == probe)
        first = templates[probe]
        refs = [templates[j] for j in b[rows]]
        ok = [k for k, t in enumerate(refs) if t is not None]
        if first is None or not ok:
            continue
        scores[rows[ok]] = dual.compare_many(first, [t for t in refs if t is not None])
    seconds = time.perf_counter() - started
    return scores, a.size / seconds if seconds > 0 else 0.0


def score_bozorth(
    extracted: Extracted, a: npt.NDArray[np.intp], b: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.float64], float]:
    scores = np.zeros(a.size)
    handles = [e.mindtct.handle if e else None for e in extracted.extractions]
    started = time.perf_counter()
    for k, (i, j) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
        if handles[i] is not None and handles[j] is not None:
            scores[k] = bozorth3(handles[i], handles[j])
    seconds = time.perf_counter() - started
    return scores, a.size / seconds if seconds > 0 else 0.0


def figures(genuine: npt.NDArray[np.float64], impostor: npt.NDArray[np.float64]) -> dict[str, Any]:
    equal, equal_threshold = evaluation.eer(genuine, impostor)
    fmr100, t100 = evaluation.fnmr_at_fmr(genuine, impostor, 0.01)
    fmr1000, t1000 = evaluation.fnmr_at_fmr(genuine, impostor, 0.001)
    zero, t0 = evaluation.fnmr_at_fmr(genuine, impostor, 0.0)
    return {
        "eer": round(equal, 6),
        "fmr100": round(fmr100, 6),
        "fmr1000": round(fmr1000, 6),
        "zero_fmr": round(zero, 6),
        "thresholds": {
            "eer": round(equal_threshold, 6),
            "fmr100": round(t100, 6),
            "fmr1000": round(t1000, 6),
            "zero_fmr": round(t0, 6),
        },
    }


def evaluate(
    dataset: FvcSet,
    *,
    protocol: str = "fvc",
    ppi: float | None = None,
    progress: Progress | None = None,
    baseline: bool = True,
    dual: bool = True,
) -> tuple[dict[str, Any], dict[str, tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]]]:
    """The JSON report of one set and (genuine, impostor) scores per matcher for the DET plot.

    ``baseline=False`` skips bozorth3 (threshold calibration needs no baseline);
    ``dual=False`` skips ``gerbang_dual`` (no enhancement, no second mindtct run).
    """
    nbis = Nbis(EXTRACTION.min_reliability)
    extracted = extract_all(dataset, nbis, ppi=ppi, progress=progress, enhanced=dual)
    a, b, same = pairs(dataset, protocol)
    n = len(dataset.images)
    extract_ms = 1000.0 * (extracted.mindtct_seconds + extracted.encode_seconds) / max(n, 1)
    matchers: dict[str, Any] = {}
    curves = {}
    fused: dict[str, Curve] = {}
    fusion: dict[str, Any] = {}
    scorers = ((OURS, score_ours), (BASELINE, score_bozorth)) if baseline else ((OURS, score_ours),)
    for name, scorer in scorers + (((DUAL, score_dual),) if dual else ()):
        scores, rate = scorer(extracted, a, b)
        genuine, impostor = scores[same], scores[~same]
        curves[name] = (genuine, impostor)
        matchers[name] = figures(genuine, impostor) if genuine.size and impostor.size else {}
        matchers[name]["comparisons_per_s"] = round(rate, 1)
        matchers[name]["extract_ms"] = round(extract_ms, 1)
    ours_cyl = 1000.0 * extracted.encode_seconds / max(n, 1)
    shared = round(extract_ms - ours_cyl, 1)
    matchers[OURS]["extract_ms_detail"] = {
        "load_segment_mindtct": shared,
        "cylinders": round(ours_cyl, 1),
    }
    if baseline:
        matchers[BASELINE]["extract_ms"] = shared  # bozorth3 needs no cylinders
    if dual:
        second_ms = 1000.0 * extracted.enhanced_seconds / max(n, 1)
        matchers[DUAL]["extract_ms"] = round(extract_ms + second_ms, 1)
        matchers[DUAL]["extract_ms_detail"] = {
            "raw_set": round(extract_ms, 1),
            "enhance_mindtct_cylinders": round(second_ms, 1),
        }
    if protocol == "all-pairs":
        for matcher, names in (
            (OURS, (FUSED_SUM, FUSED_MAX)),
            (DUAL, (DUAL_FUSED_SUM, DUAL_FUSED_MAX)),
        ):
            if matcher not in curves:
                continue
            scores = np.zeros((n, n))
            matcher_scores = np.zeros(a.size)
            matcher_scores[same], matcher_scores[~same] = curves[matcher]
            scores[a, b] = matcher_scores
            scores[b, a] = matcher_scores
            both = fusion_scores(scores, dataset)
            if both is not None:
                fused[names[0]], fused[names[1]] = both
        for name, (g, i) in fused.items():
            curves[name] = (g, i)
        fusion = {name: figures(g, i) for name, (g, i) in fused.items()}
    good = [e for e in extracted.extractions if e is not None]
    report: dict[str, Any] = {
        "dataset": dataset.name,
        "images": n,
        "failures_to_extract": int(n - len(good)),
        "failure_reasons": dict(extracted.failures),
        "protocol": protocol,
        "genuine": int(same.sum()),
        "impostor": int((~same).sum()),
        "minutiae_per_image": round(float(np.mean([e.template.count for e in good])), 1)
        if good
        else 0.0,
        "matchers": matchers,
    }
    if protocol == "all-pairs" and fused:
        report["fusion"] = {"method": FUSION_NOTE, **fusion}
    return report, curves


def fusion_scores(scores: npt.NDArray[np.float64], dataset: FvcSet) -> tuple[Curve, Curve] | None:
    """Two-finger fused (genuine, impostor) scores of chimeric people (see FUSION_NOTE):
    (sum, max)."""
    fingers = sorted(set(dataset.fingers), key=int)
    index = {
        (f, i): k for k, (f, i) in enumerate(zip(dataset.fingers, dataset.impressions, strict=True))
    }
    people = [(fingers[k], fingers[k + 1]) for k in range(0, len(fingers) - 1, 2)]
    impressions = sorted(set(dataset.impressions))
    genuine: list[tuple[float, float]] = []
    impostor: list[tuple[float, float]] = []

    def pair(f: str, i: int, g: str, j: int) -> float | None:
        x, y = index.get((f, i)), index.get((g, j))
        return None if x is None or y is None else float(scores[x, y])

    for p, (left, right) in enumerate(people):
        for i, j in combinations(impressions, 2):
            s1, s2 = pair(left, i, left, j), pair(right, i, right, j)
            if s1 is not None and s2 is not None:
                genuine.append((s1, s2))
        for other_left, other_right in people[p + 1 :]:
            for i in impressions:
                for j in impressions:
                    s1, s2 = pair(left, i, other_left, j), pair(right, i, other_right, j)
                    if s1 is not None and s2 is not None:
                        impostor.append((s1, s2))
    if not genuine or not impostor:
        return None
    gen, imp = np.array(genuine), np.array(impostor)
    return (gen.sum(1), imp.sum(1)), (gen.max(1), imp.max(1))


def pooled(
    curves: list[dict[str, tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]]],
) -> dict[str, Any]:
    """Figures and thresholds over the union of several sets' pairs (within-set pairs only)."""
    out: dict[str, Any] = {}
    names = sorted(set().union(*(c.keys() for c in curves))) if curves else []
    for name in names:
        g = np.concatenate([c[name][0] for c in curves if name in c])
        i = np.concatenate([c[name][1] for c in curves if name in c])
        out[name] = evaluation.summary(g, i, fmrs=(0.01, 0.001, 0.0001))
    return out

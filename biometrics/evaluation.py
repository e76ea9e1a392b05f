"""Verification error rates from comparison scores: EER, FNMR at fixed FMR, DET curves.

Shared by the face and fingerprint evaluations. Convention: a higher score
means "more likely the same person", and a comparison is accepted when its
score is at or above the threshold. So, for a threshold ``t``:

- FMR(t)  = share of impostor scores >= t (false matches),
- FNMR(t) = share of genuine scores  <  t (false non-matches).

``threshold_at_fmr(impostor, 0.001)`` is the lowest threshold whose FMR does
not exceed 0.1%; with fewer than 1/FMR impostor scores that is "above every
impostor" and the figure is conservative (``fmr_resolution`` says so).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

Scores = npt.ArrayLike
FMR_POINTS = (0.01, 0.001)


@dataclass(frozen=True, slots=True)
class DetPoint:
    threshold: float
    fmr: float
    fnmr: float


def _sorted(scores: Scores, name: str) -> npt.NDArray[np.float64]:
    array = np.sort(np.asarray(scores, dtype=np.float64).ravel())
    if array.size == 0:
        raise ValueError(f"no {name} scores")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} scores must be finite (give failures a floor score instead)")
    return array


def rates(genuine: Scores, impostor: Scores, threshold: float) -> tuple[float, float]:
    """(FMR, FNMR) at ``threshold``."""
    g, i = _sorted(genuine, "genuine"), _sorted(impostor, "impostor")
    fmr = 1.0 - np.searchsorted(i, threshold, side="left") / i.size
    fnmr = np.searchsorted(g, threshold, side="left") / g.size
    return float(fmr), float(fnmr)


def threshold_at_fmr(impostor: Scores, fmr: float) -> float:
    """The lowest threshold with FMR <= ``fmr``."""
    return _threshold_sorted(_sorted(impostor, "impostor"), fmr)


def _threshold_sorted(ascending: npt.NDArray[np.float64], fmr: float) -> float:
    allowed = math.floor(fmr * ascending.size + 1e-9)
    if allowed >= ascending.size:
        return float(ascending[0])
    return float(np.nextafter(ascending[ascending.size - 1 - allowed], math.inf))


def fnmr_at_fmr(genuine: Scores, impostor: Scores, fmr: float) -> tuple[float, float]:
    """(FNMR, threshold) at the lowest threshold with FMR <= ``fmr``."""
    g = _sorted(genuine, "genuine")
    threshold = _threshold_sorted(_sorted(impostor, "impostor"), fmr)
    return float(np.searchsorted(g, threshold, side="left") / g.size), threshold


def eer(genuine: Scores, impostor: Scores) -> tuple[float, float]:
    """(equal error rate, threshold): where FMR and FNMR cross, averaged at the crossing."""
    g, i = _sorted(genuine, "genuine"), _sorted(impostor, "impostor")
    thresholds = np.unique(np.concatenate([g, i, [np.nextafter(g[-1], math.inf)]]))
    fmr = 1.0 - np.searchsorted(i, thresholds, side="left") / i.size
    fnmr = np.searchsorted(g, thresholds, side="left") / g.size
    k = int(np.argmin(np.abs(fmr - fnmr)))
    return float((fmr[k] + fnmr[k]) / 2.0), float(thresholds[k])


def det_points(genuine: Scores, impostor: Scores, count: int = 200) -> list[DetPoint]:
    """About ``count`` points of the DET curve, spaced evenly in log FMR."""
    g, i = _sorted(genuine, "genuine"), _sorted(impostor, "impostor")
    lowest = 1.0 / i.size
    targets = np.unique(np.geomspace(lowest, 1.0, count))
    points = []
    for target in targets:
        threshold = _threshold_sorted(i, float(target))
        fmr = 1.0 - np.searchsorted(i, threshold, side="left") / i.size
        fnmr = np.searchsorted(g, threshold, side="left") / g.size
        points.append(DetPoint(threshold, float(fmr), float(fnmr)))
    unique = {(p.fmr, p.fnmr): p for p in points}
    return sorted(unique.values(), key=lambda p: p.fmr)


def summary(
    genuine: Scores, impostor: Scores, fmrs: Sequence[float] = FMR_POINTS, det: int = 0
) -> dict[str, Any]:
    """JSON-ready figures: counts, EER, FNMR and threshold at each FMR, optional DET points."""
    g, i = _sorted(genuine, "genuine"), _sorted(impostor, "impostor")
    equal, equal_threshold = eer(g, i)
    result: dict[str, Any] = {
        "genuine": int(g.size),
        "impostor": int(i.size),
        "eer": round(equal, 6),
        "eer_threshold": round(equal_threshold, 6),
        "fnmr_at_fmr": {},
        "threshold_at_fmr": {},
        "fmr_resolution": round(1.0 / i.size, 8),
    }
    for fmr in fmrs:
        threshold = _threshold_sorted(i, fmr)
        fnmr = float(np.searchsorted(g, threshold, side="left") / g.size)
        result["fnmr_at_fmr"][_key(fmr)] = round(fnmr, 6)
        result["threshold_at_fmr"][_key(fmr)] = round(threshold, 6)
    if det:
        result["det"] = [
            {"threshold": round(p.threshold, 6), "fmr": p.fmr, "fnmr": p.fnmr}
            for p in det_points(g, i, det)
        ]
    return result


def _key(fmr: float) -> str:
    return f"{fmr:g}"


def plot_det(
    curves: Mapping[str, tuple[Scores, Scores]], path: Path, *, title: str = "DET"
) -> Path:
    """Write a DET plot (normal-deviate axes) of (genuine, impostor) per label to a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    normal = statistics.NormalDist()
    floor = 1e-5

    def probit(values: Sequence[float]) -> list[float]:
        return [normal.inv_cdf(min(max(v, floor), 1 - floor)) for v in values]

    ticks = [0.0001, 0.001, 0.01, 0.05, 0.2, 0.5]
    labels = ["0.01%", "0.1%", "1%", "5%", "20%", "50%"]
    figure, axes = plt.subplots(figsize=(6, 6))
    for label, (genuine, impostor) in curves.items():
        g, i = _sorted(genuine, "genuine"), _sorted(impostor, "impostor")
        points = det_points(g, i, 400)
        equal, _ = eer(g, i)
        axes.plot(
            probit([p.fmr for p in points]),
            probit([p.fnmr for p in points]),
            label=f"{label} (EER {equal * 100:.2f}%)",
        )
    axes.set_xticks(probit(ticks), labels)
    axes.set_yticks(probit(ticks), labels)
    x_low, x_high = probit([0.00005, 0.5])
    y_low, y_high = probit([0.0005, 0.5])
    axes.set_xlim(x_low, x_high)
    axes.set_ylim(y_low, y_high)
    axes.set_xlabel("False match rate (FMR)")
    axes.set_ylabel("False non-match rate (FNMR)")
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    axes.legend(loc="upper right")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)
    return path

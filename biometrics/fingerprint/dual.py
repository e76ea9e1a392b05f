"""Two minutiae sets of one print, one score: mindtct on the raw and on the enhanced image.

mindtct on the raw print and mindtct on its Gabor-enhanced image
(``extract.enhanced_template``) miss and invent different minutiae; the MCC
scores of the two template pairs are averaged (sum-rule score fusion). On the
FVC2002 B sets the average beats either score alone on all four sets
(docs/fingerprint.md, "Enhancement"). Uses only :mod:`match`'s public functions.

:class:`FingerSets` is a finger as the kiosk holds it: the raw set always, the
enhanced set when it was extracted (captures) or stored (records written since
the enhanced view exists, :mod:`iso`). :func:`score_pairs` scores a decision's
pairs with ``gerbang_dual`` only when every pair has both sets on both sides,
else with the raw sets alone: the two matchers have their own measured
operating points, so one decision never mixes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from biometrics.fingerprint import match
from biometrics.fingerprint.template import MinutiaeTemplate

RAW_MATCHER = "gerbang"  # our matcher on the raw sets (the name reports and events use)
DUAL_MATCHER = "gerbang_dual"  # ... on both sets, scores averaged


@dataclass(frozen=True, slots=True)
class DualTemplate:
    raw: MinutiaeTemplate  # mindtct on the raw print (``extract.extract``)
    enhanced: MinutiaeTemplate  # mindtct on the enhanced print (``extract.enhanced_template``)


@dataclass(frozen=True, slots=True)
class FingerSets:
    raw: MinutiaeTemplate
    enhanced: MinutiaeTemplate | None = None

    @property
    def dual(self) -> DualTemplate | None:
        return None if self.enhanced is None else DualTemplate(self.raw, self.enhanced)


@dataclass(frozen=True, slots=True)
class PairScores:
    scores: tuple[float, ...]
    dual: bool  # True: ``gerbang_dual`` scores; False: the raw sets' (``gerbang``)

    @property
    def matcher(self) -> str:
        return DUAL_MATCHER if self.dual else RAW_MATCHER


def score_pairs(
    pairs: Sequence[tuple[FingerSets, FingerSets]], *, allow_dual: bool = True
) -> PairScores:
    """Probe/reference pairs scored by one matcher: dual when allowed and every side has
    both sets, else the raw sets."""
    duals = [(a.dual, b.dual) for a, b in pairs]
    if allow_dual and pairs and all(a is not None and b is not None for a, b in duals):
        return PairScores(tuple(compare(a, b) for a, b in duals if a and b), dual=True)
    return PairScores(tuple(match.compare(a.raw, b.raw) for a, b in pairs), dual=False)


def compare(a: DualTemplate, b: DualTemplate) -> float:
    """Mean of the raw-raw and enhanced-enhanced MCC scores (0..1)."""
    return 0.5 * (match.compare(a.raw, b.raw) + match.compare(a.enhanced, b.enhanced))


def compare_many(
    probe: DualTemplate, references: Sequence[DualTemplate]
) -> npt.NDArray[np.float64]:
    """``compare`` of the probe against each reference, batched per minutiae set."""
    if not references:
        return np.zeros(0)
    raw = match.compare_many(probe.raw, match.Gallery([r.raw for r in references]))
    enhanced = match.compare_many(probe.enhanced, match.Gallery([r.enhanced for r in references]))
    return 0.5 * (np.asarray(raw, np.float64) + np.asarray(enhanced, np.float64))

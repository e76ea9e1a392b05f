"""Two minutiae sets of one print and its ridge flow, one score (``gerbang_dual``).

mindtct on the raw print and mindtct on its Gabor-enhanced image
(``extract.enhanced_set``) miss and invent different minutiae; the MCC
scores of the two template pairs are averaged (sum-rule score fusion). On the
FVC2002 B sets the average beats either score alone on all four sets
(docs/fingerprint.md, "Enhancement"). The ridge flow of the same enhancement
(:mod:`flow`) then breaks ties: :func:`combine` adds ``FlowParams.weight`` times
its agreement above ``FlowParams.floor`` (docs/fingerprint.md, "Ridge flow").
Uses only :mod:`match`'s and :mod:`flow`'s public functions.

:class:`FingerSets` is a finger as the kiosk holds it: the raw set always, the
enhanced set and the flow when they were extracted (captures) or stored (records
written since the flow is stored, :mod:`iso`). :func:`score_pairs` scores a
decision's pairs with ``gerbang_dual`` only when every pair has all three on both
sides, else with the raw sets alone: the two matchers have their own measured
operating points, so one decision never mixes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from biometrics.fingerprint import flow, match
from biometrics.fingerprint.flow import RidgeFlow
from biometrics.fingerprint.params import FLOW, FlowParams
from biometrics.fingerprint.template import MinutiaeTemplate

RAW_MATCHER = "gerbang"  # our matcher on the raw sets (the name reports and events use)
DUAL_MATCHER = "gerbang_dual"  # ... on both sets (scores averaged) and the ridge flow


@dataclass(frozen=True, slots=True)
class DualTemplate:
    raw: MinutiaeTemplate  # mindtct on the raw print (``extract.extract``)
    enhanced: MinutiaeTemplate  # mindtct on the enhanced print (``extract.enhanced_set``)
    flow: RidgeFlow  # the ridge flow of the same enhancement


@dataclass(frozen=True, slots=True)
class FingerSets:
    raw: MinutiaeTemplate
    enhanced: MinutiaeTemplate | None = None
    flow: RidgeFlow | None = None

    @property
    def dual(self) -> DualTemplate | None:
        """Both sets and the flow, when this finger holds all three and the flow is on the
        block grid this version measures (its operating points were measured on it)."""
        if self.enhanced is None or self.flow is None or self.flow.block != FLOW.block:
            return None
        return DualTemplate(self.raw, self.enhanced, self.flow)


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


def combine(minutiae: float, agreement: float, params: FlowParams = FLOW) -> float:
    """``gerbang_dual``'s score (0..1) from the minutiae score and the flow agreement."""
    bonus = params.weight * max(agreement - params.floor, 0.0)
    return (minutiae + bonus) / (1.0 + params.weight * (1.0 - params.floor))


def compare(a: DualTemplate, b: DualTemplate) -> float:
    """Mean of the raw-raw and enhanced-enhanced MCC scores, with the flow's tie-break
    (the flows aligned by both comparisons' best minutia pairs)."""
    return float(compare_many(a, [b])[0])


def flow_gate(decide_at: float, params: FlowParams = FLOW) -> float:
    """The lowest minutiae score whose ``gerbang_dual`` score can reach ``decide_at``.

    The flow adds at most ``weight * (1 - floor)`` before the rescaling, so a pair
    whose minutiae score is below this stays below ``decide_at`` whatever its flow."""
    bonus = params.weight * (1.0 - params.floor)
    return decide_at * (1.0 + bonus) - bonus


class Gallery:
    """References stacked once for 1:N: each minutiae set as a ``match.Gallery``, and the
    flows."""

    def __init__(self, references: Sequence[DualTemplate]) -> None:
        self.raw = match.Gallery([r.raw for r in references])
        self.enhanced = match.Gallery([r.enhanced for r in references])
        self.flows = [r.flow for r in references]

    def __len__(self) -> int:
        return len(self.flows)


def compare_many(
    probe: DualTemplate,
    references: Sequence[DualTemplate] | Gallery,
    *,
    decide_at: float | None = None,
) -> npt.NDArray[np.float64]:
    """``compare`` of the probe against each reference, batched per minutiae set.

    The flows are aligned by the two comparisons' best minutia pairs
    (``FlowParams.hypotheses`` of each set, :func:`flow.agreement_many`). Only an agreement
    at or above ``FlowParams.floor`` changes a score, so the flow is asked for no more
    (``at_least``): alignments that cannot reach the floor are left early, and every
    score is the one of the exact agreement.

    With ``decide_at`` (a threshold the caller decides at, e.g. the watchlist hit)
    the flow is compared only for
    the references whose minutiae score reaches :func:`flow_gate`: the others score
    their minutiae alone (``combine(m, 0)``), a lower bound of their score that is
    below ``decide_at`` either way. So every decision ``score >= decide_at`` is the
    one of the full score, and every score at or above ``decide_at`` is exact.
    """
    gallery = references if isinstance(references, Gallery) else Gallery(references)
    if not len(gallery):
        return np.zeros(0)
    top = FLOW.hypotheses
    raw, raw_pairs = match.compare_many_paired(probe.raw, gallery.raw, top)
    enhanced, enhanced_pairs = match.compare_many_paired(probe.enhanced, gallery.enhanced, top)
    minutiae = 0.5 * (np.asarray(raw, np.float64) + np.asarray(enhanced, np.float64))
    agreement = np.zeros(len(gallery))
    if decide_at is None:
        wanted = np.arange(len(gallery))
    else:  # a hair below the gate: the float rounding of combine never decides
        wanted = np.flatnonzero(minutiae >= flow_gate(decide_at) - 1e-9)
    if wanted.size:
        # every wanted reference's alignments in one pass: per reference its raw set's
        # pairs, then its enhanced set's (the rows each holds), as flow.alignments lists them
        slots = np.arange(top)
        held = np.concatenate(
            [slots < raw_pairs.count[wanted, None], slots < enhanced_pairs.count[wanted, None]],
            axis=1,
        )
        both = np.concatenate([raw_pairs.pairs[wanted], enhanced_pairs.pairs[wanted]], axis=1)
        turns = flow.alignments(both[held])
        bounds = [0, *np.cumsum(held.sum(axis=1)).tolist()]
        flows = [gallery.flows[k] for k in wanted.tolist()]
        agreement[wanted] = flow.agreement_many(
            probe.flow, flows, turns, bounds, at_least=FLOW.floor
        )
    return np.array(
        [combine(m, f) for m, f in zip(minutiae.tolist(), agreement.tolist(), strict=True)]
    )

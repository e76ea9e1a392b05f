"""gerbang_dual at the kiosk: one matcher per decision, dual only when every side has both
sets and the ridge flow."""

from __future__ import annotations

import math

import numpy as np
import pytest

from biometrics.fingerprint import dual, match, mcc
from biometrics.fingerprint.dual import FingerSets, score_pairs
from biometrics.fingerprint.flow import RidgeFlow
from biometrics.fingerprint.params import FLOW
from biometrics.fingerprint.template import MinutiaeTemplate
from tests.unit.fingerprint.synthetic import (
    aligned_agreement,
    arch,
    count_flow_comparisons,
    flow_of,
    moved,
    random_template,
)


def _finger(seed: int) -> tuple[FingerSets, FingerSets]:
    """A finger's two captures, each with a raw and an enhanced set and the ridge flow."""
    raw, enhanced = random_template(40, seed=seed), random_template(35, seed=seed + 100)

    def again(template: MinutiaeTemplate, k: int) -> MinutiaeTemplate:
        return moved(template, rotation=math.radians(10), shift=(8, -5), jitter=1.5, seed=k)

    pattern = arch(bend=0.002 * seed)
    first = FingerSets(mcc.encode(raw), mcc.encode(enhanced), flow_of(pattern))
    second = FingerSets(
        mcc.encode(again(raw, 1)), mcc.encode(again(enhanced, 2)), flow_of(pattern, 10.0)
    )
    return first, second


def test_every_side_with_both_sets_gives_gerbang_dual_scores() -> None:
    pairs = [_finger(1), _finger(2)]
    scored = score_pairs(pairs)
    assert scored.dual
    for (a, b), score in zip(pairs, scored.scores, strict=True):
        assert a.dual is not None and b.dual is not None
        expected = dual.compare(a.dual, b.dual)
        assert score == pytest.approx(expected)
        assert score != pytest.approx(match.compare(a.raw, b.raw))
        minutiae = 0.5 * (
            match.compare(a.raw, b.raw) + match.compare(a.dual.enhanced, b.dual.enhanced)
        )
        agreement = aligned_agreement(a.dual, b.dual)
        assert agreement > FLOW.floor  # the same pattern turned: the flow adds to the score
        assert score == pytest.approx(dual.combine(minutiae, agreement))
        assert score > dual.combine(minutiae, FLOW.floor)


@pytest.mark.parametrize("kept", ["raw", "raw and enhanced", "a flow on another grid"])
def test_one_side_without_the_enhanced_set_or_flow_makes_the_whole_decision_raw(
    kept: str,
) -> None:
    (a, b), (c, d) = _finger(1), _finger(2)
    # one enrolled record holds the raw set only, or both sets but no flow (stored before
    # the flow was), or a flow this version cannot compare
    if kept == "raw":
        partial = FingerSets(d.raw)
    elif kept == "raw and enhanced":
        partial = FingerSets(d.raw, d.enhanced)
    else:  # e.g. a record from a version with another block size: not comparable
        assert d.flow is not None
        partial = FingerSets(d.raw, d.enhanced, RidgeFlow(16, d.flow.degrees[::2, ::2]))
    assert partial.dual is None
    scored = score_pairs([(a, b), (c, partial)])
    assert not scored.dual
    assert scored.scores == (match.compare(a.raw, b.raw), match.compare(c.raw, d.raw))
    assert not score_pairs([(a, b)], allow_dual=False).dual  # a policy without dual points
    assert score_pairs([]).scores == () and not score_pairs([]).dual


def test_many_references_at_once_score_as_each_alone() -> None:
    """The batched flow alignments (one pass for all references) give each pair its own."""
    fingers = [_finger(seed) for seed in range(1, 6)]
    probe = fingers[0][1].dual
    references = [r for r in (first.dual for first, _ in fingers) if r is not None]
    assert probe is not None and len(references) == len(fingers)
    many = dual.compare_many(probe, references)
    assert many.tolist() == [dual.compare(probe, r) for r in references]
    assert int(np.argmax(many)) == 0


def test_combine_rescales_to_one_and_ignores_agreement_below_the_floor() -> None:
    top = dual.combine(1.0, 1.0)
    assert top == pytest.approx(1.0) and dual.combine(0.0, -1.0) == 0.0
    assert dual.combine(0.3, FLOW.floor) == dual.combine(0.3, 0.2)
    assert dual.combine(0.3, 0.99) > dual.combine(0.3, 0.97) > dual.combine(0.3, FLOW.floor)


def test_flow_gate_is_where_the_largest_bonus_just_reaches_the_threshold() -> None:
    for threshold in (0.0302, 0.05, 0.3):
        assert dual.combine(dual.flow_gate(threshold), 1.0) == pytest.approx(threshold)
        assert dual.combine(dual.flow_gate(threshold) - 1e-4, 1.0) < threshold


def test_deciding_at_a_threshold_compares_only_the_flows_that_can_change_the_decision(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fingers = [_finger(seed) for seed in range(1, 7)]
    probe = fingers[0][1].dual
    references = [r for r in (first.dual for first, _ in fingers) if r is not None]
    assert probe is not None and len(references) == len(fingers)
    gallery = dual.Gallery(references)
    full = dual.compare_many(probe, gallery)
    minutiae = [
        0.5 * (match.compare(probe.raw, r.raw) + match.compare(probe.enhanced, r.enhanced))
        for r in references
    ]

    compared = count_flow_comparisons(monkeypatch)
    # at the mate's own score: it is at the threshold only with its flow's bonus
    threshold = float(full[0])
    assert dual.combine(minutiae[0], 0.0) < threshold
    gated = dual.compare_many(probe, gallery, decide_at=threshold)
    gate = dual.flow_gate(threshold)
    wanted = [k for k, m in enumerate(minutiae) if m >= gate]
    assert len(compared) == len(wanted) and 0 in wanted and len(wanted) < len(references)
    for k, (g, f) in enumerate(zip(gated.tolist(), full.tolist(), strict=True)):
        assert (g >= threshold) == (f >= threshold)  # every decision is the full score's
        if k in wanted:
            assert g == pytest.approx(f)  # exact where compared
        else:
            assert g == pytest.approx(dual.combine(minutiae[k], 0.0)) and g <= f < threshold

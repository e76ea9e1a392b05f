"""gerbang_dual at the kiosk: one matcher per decision, dual only when every side has both sets."""

from __future__ import annotations

import math

import pytest

from biometrics.fingerprint import dual, match, mcc
from biometrics.fingerprint.dual import DualTemplate, FingerSets, score_pairs
from biometrics.fingerprint.template import MinutiaeTemplate
from tests.unit.fingerprint.synthetic import moved, random_template


def _finger(seed: int) -> tuple[FingerSets, FingerSets]:
    """A finger's two captures, each with a raw and an enhanced set."""
    raw, enhanced = random_template(40, seed=seed), random_template(35, seed=seed + 100)

    def again(template: MinutiaeTemplate, k: int) -> MinutiaeTemplate:
        return moved(template, rotation=math.radians(10), shift=(8, -5), jitter=1.5, seed=k)

    first = FingerSets(mcc.encode(raw), mcc.encode(enhanced))
    second = FingerSets(mcc.encode(again(raw, 1)), mcc.encode(again(enhanced, 2)))
    return first, second


def test_every_side_with_both_sets_gives_gerbang_dual_scores() -> None:
    pairs = [_finger(1), _finger(2)]
    scored = score_pairs(pairs)
    assert scored.dual
    for (a, b), score in zip(pairs, scored.scores, strict=True):
        assert a.enhanced is not None and b.enhanced is not None
        expected = dual.compare(DualTemplate(a.raw, a.enhanced), DualTemplate(b.raw, b.enhanced))
        assert score == pytest.approx(expected)
        assert score != pytest.approx(match.compare(a.raw, b.raw))


def test_one_side_without_the_enhanced_set_makes_the_whole_decision_raw() -> None:
    (a, b), (c, d) = _finger(1), _finger(2)
    mixed = [(a, b), (c, FingerSets(d.raw))]  # one enrolled record holds the raw set only
    scored = score_pairs(mixed)
    assert not scored.dual
    assert scored.scores == (match.compare(a.raw, b.raw), match.compare(c.raw, d.raw))
    assert not score_pairs([(a, b)], allow_dual=False).dual  # a policy without dual points
    assert score_pairs([]).scores == () and not score_pairs([]).dual

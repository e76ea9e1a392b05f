"""Verification decisions: score bands of the policy and the reason codes around them."""

from __future__ import annotations

import numpy as np
import pytest

from biometrics.face.capture import LiveCapture
from biometrics.face.embed import fuse, normalise, similarity
from biometrics.face.params import VERIFICATION, VerificationPolicy
from biometrics.face.quality import QualityReport
from biometrics.face.reference import StillResult
from biometrics.face.verify import Decision, Reason, compare, decide, verify

POLICY = VerificationPolicy(accept=0.90, reject=0.85)


def unit(seed: int) -> np.ndarray:
    return normalise(np.random.default_rng(seed).normal(size=128))


def at_similarity(base: np.ndarray, target: float, seed: int = 99) -> np.ndarray:
    """A unit vector whose cosine with ``base`` is exactly ``target``."""
    other = np.random.default_rng(seed).normal(size=128)
    other -= other.dot(base) * base
    other /= np.linalg.norm(other)
    return normalise(target * base + np.sqrt(1 - target**2) * other)


def reference(embedding: np.ndarray | None, quality: float = 80.0) -> StillResult:
    report = QualityReport(face_count=1, components={}, unified=quality, guidance=())
    return StillResult(face=None, quality=report, embedding=embedding)


def live(*vectors: np.ndarray, quality: float = 85.0) -> LiveCapture:
    qualities = tuple(quality for _ in vectors)
    return LiveCapture(tuple(vectors), qualities, tuple(range(len(vectors))), fuse(vectors))


@pytest.mark.parametrize(
    ("score", "decision", "reason"),
    [
        (0.99, Decision.MATCH, Reason.SCORE_ABOVE_ACCEPT),
        (0.90, Decision.MATCH, Reason.SCORE_ABOVE_ACCEPT),
        (0.89, Decision.INCONCLUSIVE, Reason.SCORE_BETWEEN_THRESHOLDS),
        (0.85, Decision.INCONCLUSIVE, Reason.SCORE_BETWEEN_THRESHOLDS),
        (0.849, Decision.NO_MATCH, Reason.SCORE_BELOW_REJECT),
        (-0.5, Decision.NO_MATCH, Reason.SCORE_BELOW_REJECT),
    ],
)
def test_decide_bands(score: float, decision: Decision, reason: Reason) -> None:
    assert decide(score, POLICY) == (decision, reason)


def test_default_policy_is_ordered_and_documented_as_error_rates() -> None:
    assert VERIFICATION.reject < VERIFICATION.accept < 1.0
    assert VERIFICATION.accept_fmr < VERIFICATION.reject_fmr


def test_same_face_matches_and_a_stranger_does_not() -> None:
    ref = unit(1)
    same = verify(
        live(at_similarity(ref, 0.95, 2), at_similarity(ref, 0.94, 3)), reference(ref), POLICY
    )
    assert same.decision is Decision.MATCH
    assert same.reasons == (Reason.SCORE_ABOVE_ACCEPT,)
    assert same.score is not None and same.score >= 0.94
    assert len(same.frame_scores) == 2
    stranger = verify(live(unit(5)), reference(ref), POLICY)
    assert stranger.decision is Decision.NO_MATCH


def test_a_match_with_poor_quality_is_referred() -> None:
    ref = unit(1)
    result = verify(live(at_similarity(ref, 0.95), quality=30.0), reference(ref), POLICY)
    assert result.decision is Decision.INCONCLUSIVE
    assert Reason.LOW_QUALITY_LIVE in result.reasons
    result = verify(live(at_similarity(ref, 0.95)), reference(ref, quality=5.0), POLICY)
    assert result.decision is Decision.INCONCLUSIVE
    assert Reason.LOW_QUALITY_REFERENCE in result.reasons


def test_a_clear_non_match_stays_a_non_match_with_poor_quality() -> None:
    ref = unit(1)
    result = verify(live(unit(7), quality=30.0), reference(ref), POLICY)
    assert result.decision is Decision.NO_MATCH
    assert result.reasons[0] is Reason.SCORE_BELOW_REJECT


def test_disagreeing_frames_are_referred() -> None:
    ref = unit(1)
    capture = live(at_similarity(ref, 0.99, 2), at_similarity(ref, 0.60, 3))
    result = verify(capture, reference(ref), VerificationPolicy(accept=0.8, reject=0.7))
    assert Reason.LIVE_FRAMES_DISAGREE in result.reasons
    assert result.decision is not Decision.MATCH


def test_missing_faces_are_inconclusive_with_reasons() -> None:
    result = verify(live(unit(1)), reference(None), POLICY)
    assert result.decision is Decision.INCONCLUSIVE
    assert result.reasons == (Reason.NO_FACE_IN_REFERENCE,)
    assert result.score is None
    result = verify(None, reference(unit(1)), POLICY)
    assert result.reasons == (Reason.NO_USABLE_LIVE_FRAME,)


def test_compare_is_cosine_and_symmetric() -> None:
    a, b = unit(1), unit(2)
    assert compare(a, b) == pytest.approx(compare(b, a))
    assert compare(a, a) == pytest.approx(1.0)
    assert similarity(a, -a) == pytest.approx(-1.0)


def test_fuse_weights_and_normalises() -> None:
    a, b = unit(1), unit(2)
    fused = fuse([a, b], weights=[1.0, 0.0])
    assert np.allclose(fused, a, atol=1e-6)
    assert np.linalg.norm(fuse([a, b])) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="nothing"):
        fuse([])


def test_normalise_refuses_bad_vectors() -> None:
    with pytest.raises(ValueError, match="128"):
        normalise(np.ones(5))
    with pytest.raises(ValueError, match="zero"):
        normalise(np.zeros(128))

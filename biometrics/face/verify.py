"""1:1 verification: the live capture against the chip's portrait, through a policy.

Scores and decisions are separate: :func:`compare` gives a similarity,
:func:`decide` maps a score to a decision with the policy's operating points,
and :func:`verify` adds the checks around it (reference face found, live and
reference quality, agreement between the live frames) as reason codes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from biometrics.face.capture import LiveCapture
from biometrics.face.embed import Embedding, similarity
from biometrics.face.params import VERIFICATION, VerificationPolicy
from biometrics.face.reference import StillResult
from models.settings import FaceOperatingPoint


class Decision(StrEnum):
    MATCH = "match"
    NO_MATCH = "no_match"
    INCONCLUSIVE = "inconclusive"  # refer to an officer


class Reason(StrEnum):
    SCORE_ABOVE_ACCEPT = "score_above_accept"
    SCORE_BELOW_REJECT = "score_below_reject"
    SCORE_BETWEEN_THRESHOLDS = "score_between_thresholds"
    NO_FACE_IN_REFERENCE = "no_face_in_reference"
    NO_USABLE_LIVE_FRAME = "no_usable_live_frame"
    LOW_QUALITY_REFERENCE = "low_quality_reference"
    LOW_QUALITY_LIVE = "low_quality_live"
    LIVE_FRAMES_DISAGREE = "live_frames_disagree"


@dataclass(frozen=True, slots=True)
class VerificationResult:
    decision: Decision
    reasons: tuple[Reason, ...]
    score: float | None  # fused live template vs reference
    frame_scores: tuple[float, ...]
    accept_threshold: float
    reject_threshold: float


def policy_from_settings(
    point: FaceOperatingPoint | None, default: VerificationPolicy = VERIFICATION
) -> VerificationPolicy:
    """The kiosk's operating point: the calibrated thresholds when the settings hold
    them (``[calibration.face]``, written by ``gerbang calibrate thresholds``), else
    the shipped ones."""
    if point is None:
        return default
    return replace(
        default,
        accept=point.accept,
        reject=point.reject,
        accept_fmr=point.accept_fmr,
        reject_fmr=point.reject_fmr,
    )


def compare(a: Embedding, b: Embedding) -> float:
    """The comparison score: cosine similarity, higher is more alike."""
    return similarity(a, b)


def decide(score: float, policy: VerificationPolicy = VERIFICATION) -> tuple[Decision, Reason]:
    """The decision band of a score (accept ≥ ``accept``; reject < ``reject``)."""
    if score >= policy.accept:
        return Decision.MATCH, Reason.SCORE_ABOVE_ACCEPT
    if score < policy.reject:
        return Decision.NO_MATCH, Reason.SCORE_BELOW_REJECT
    return Decision.INCONCLUSIVE, Reason.SCORE_BETWEEN_THRESHOLDS


def verify(
    live: LiveCapture | None,
    reference: StillResult,
    policy: VerificationPolicy = VERIFICATION,
) -> VerificationResult:
    """Decide whether the live face and the reference portrait are the same person.

    A clear non-match stays NO_MATCH even when quality is low (low quality makes
    false non-matches likely, not false matches); a MATCH needs usable quality
    on both sides and agreeing live frames, else it becomes INCONCLUSIVE.
    """
    problems: list[Reason] = []
    if reference.embedding is None:
        problems.append(Reason.NO_FACE_IN_REFERENCE)
    if live is None:
        problems.append(Reason.NO_USABLE_LIVE_FRAME)
    if reference.embedding is None or live is None:
        return VerificationResult(
            Decision.INCONCLUSIVE, tuple(problems), None, (), policy.accept, policy.reject
        )
    frame_scores = tuple(compare(e, reference.embedding) for e in live.embeddings)
    score = compare(live.fused, reference.embedding)
    decision, reason = decide(score, policy)
    if reference.quality.unified < policy.min_reference_quality:
        problems.append(Reason.LOW_QUALITY_REFERENCE)
    if live.quality < policy.min_live_quality:
        problems.append(Reason.LOW_QUALITY_LIVE)
    if frame_scores and max(frame_scores) - min(frame_scores) > policy.max_frame_spread:
        problems.append(Reason.LIVE_FRAMES_DISAGREE)
    if decision is Decision.MATCH and problems:
        decision = Decision.INCONCLUSIVE
    return VerificationResult(
        decision, (reason, *problems), score, frame_scores, policy.accept, policy.reject
    )

"""Decisions from scores: one finger, or several fused at score level.

Our scores are LSS-R similarities in 0..1 and comparable across fingers, so
fusion of the kiosk's two index fingers (more at enrolment) is the sum of the
per-finger scores, a finger that could not be captured or extracted counting
0; the sum is compared with the policy's fused thresholds, measured as FMR
(``docs/fingerprint.md``). ``max`` fusion is also offered (one good finger
suffices) and has its own thresholds.

:class:`FingerPolicy` bundles what the kiosk decides with: the one-finger and
the two-finger (sum) points and the watchlist-hit threshold; the technician's
calibration (``[calibration.fingerprint]``) replaces the shipped ones
(:func:`policy_from_settings`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from biometrics.fingerprint.params import (
    DUAL_FUSION,
    DUAL_VERIFICATION,
    FUSION,
    VERIFICATION,
    FusionPolicy,
    VerificationPolicy,
)
from models.settings import FingerprintOperatingPoint


class Decision(StrEnum):
    MATCH = "match"
    NO_MATCH = "no_match"
    INCONCLUSIVE = "inconclusive"  # refer to an officer


@dataclass(frozen=True, slots=True)
class FusedResult:
    decision: Decision
    score: float
    finger_scores: tuple[float | None, ...]  # None: that finger was not available
    method: str


def decide(score: float, policy: VerificationPolicy = VERIFICATION) -> Decision:
    """Accept at or above ``accept``, reject below ``reject``, refer in between."""
    if score >= policy.accept:
        return Decision.MATCH
    if score < policy.reject:
        return Decision.NO_MATCH
    return Decision.INCONCLUSIVE


def fuse(scores: Sequence[float | None], method: str = "sum") -> float:
    """Fused score of several fingers' scores (missing fingers count 0)."""
    values = [0.0 if s is None else float(s) for s in scores]
    if not values:
        raise ValueError("no finger scores to fuse")
    if method == "sum":
        return sum(values)
    if method == "max":
        return max(values)
    raise ValueError(f"unknown fusion method {method!r}")


def decide_fused(
    scores: Sequence[float | None], policy: FusionPolicy = FUSION, method: str = "sum"
) -> FusedResult:
    """Decision over two (or more) fingers with the policy's fused operating points."""
    if len(scores) != policy.fingers and method == "sum":
        raise ValueError(f"the sum policy is measured for {policy.fingers} fingers")
    fused = fuse(scores, method)
    accept, reject = (
        (policy.sum_accept, policy.sum_reject)
        if method == "sum"
        else (policy.max_accept, policy.max_reject)
    )
    if fused >= accept:
        decision = Decision.MATCH
    elif fused < reject:
        decision = Decision.NO_MATCH
    else:
        decision = Decision.INCONCLUSIVE
    return FusedResult(decision, fused, tuple(scores), method)


@dataclass(frozen=True, slots=True)
class FingerPolicy:
    """The kiosk's fingerprint operating points: one finger, two fingers summed, watchlist hit;
    for the raw sets (``gerbang``) and for both sets (``gerbang_dual``)."""

    verification: VerificationPolicy = VERIFICATION
    fusion: FusionPolicy = FUSION
    watchlist_hit: float = VERIFICATION.accept  # one-finger score at or above it: a hit
    source: str = "shipped"  # or "calibrated" ([calibration.fingerprint])
    # None: ``gerbang_dual`` is not used (a calibration saved without its points)
    dual_verification: VerificationPolicy | None = DUAL_VERIFICATION
    dual_fusion: FusionPolicy | None = DUAL_FUSION
    # a gerbang_dual 1:N score at or above it: a hit (None with the dual points above)
    dual_watchlist_hit: float | None = DUAL_VERIFICATION.accept

    @property
    def dual(self) -> bool:
        return self.dual_verification is not None and self.dual_fusion is not None


SHIPPED = FingerPolicy()


def policy_from_settings(
    point: FingerprintOperatingPoint | None, default: FingerPolicy = SHIPPED
) -> FingerPolicy:
    """The calibrated points when the settings hold them (``[calibration.fingerprint]``,
    written by ``gerbang calibrate thresholds --modality fingerprint``), else ``default``;
    also ``default`` for a calibration measured before the matcher compared bit cylinders
    (``bit_cylinders`` false: every point of it is on the float cylinders' scale).

    The calibration measures the sum fusion only; ``max`` keeps the default's points.
    ``gerbang_dual``'s points come from the same calibration; one saved without them
    (before they were measured) turns ``gerbang_dual`` off rather than pairing the
    technician's raw-set points with shipped dual ones.

    The watchlist hit threshold is the calibrated one-finger ``accept`` only when
    it was measured at a false-match rate no looser than the default's (shipped:
    0.01%); a point calibrated for 1:1 at a looser target (the tool's default is
    0.1%) would make 1:N false hits likely — a traveller's two fingers are
    compared with every watchlist finger — so then the stricter of the two holds.
    ``gerbang_dual``'s watchlist hit follows the same rule with its own points.
    """
    if point is None or not point.bit_cylinders:
        # none saved, or measured on the float cylinders before the bit matcher: its
        # scores are on another scale, so the shipped points hold
        return default
    verification = replace(
        default.verification,
        accept=point.accept,
        reject=point.reject,
        accept_fmr=point.accept_fmr,
        reject_fmr=point.reject_fmr,
    )
    fusion = replace(
        default.fusion,
        sum_accept=point.fused_accept,
        sum_reject=point.fused_reject,
        accept_fmr=point.fused_accept_fmr,
        reject_fmr=point.fused_reject_fmr,
    )
    if point.target_fmr <= default.verification.accept_fmr:
        watchlist_hit = point.accept
    else:
        watchlist_hit = max(point.accept, default.watchlist_hit)
    dual_verification: VerificationPolicy | None = None
    dual_fusion: FusionPolicy | None = None
    dual_watchlist_hit: float | None = None
    if point.has_dual and default.dual_verification and default.dual_fusion:
        dual_verification = replace(
            default.dual_verification,
            accept=_given(point.dual_accept),
            reject=_given(point.dual_reject),
            accept_fmr=_given(point.dual_accept_fmr),
            reject_fmr=_given(point.dual_reject_fmr),
        )
        dual_fusion = replace(
            default.dual_fusion,
            sum_accept=_given(point.dual_fused_accept),
            sum_reject=_given(point.dual_fused_reject),
            accept_fmr=_given(point.dual_fused_accept_fmr),
            reject_fmr=_given(point.dual_fused_reject_fmr),
        )
        dual_watchlist_hit = dual_verification.accept
        if point.target_fmr > default.dual_verification.accept_fmr and default.dual_watchlist_hit:
            dual_watchlist_hit = max(dual_watchlist_hit, default.dual_watchlist_hit)
    return FingerPolicy(
        verification,
        fusion,
        watchlist_hit,
        "calibrated",
        dual_verification,
        dual_fusion,
        dual_watchlist_hit,
    )


def _given(value: float | None) -> float:
    if value is None:  # FingerprintOperatingPoint validates all-or-none
        raise ValueError("dual point missing")
    return value

"""Verification events (one per traveller transaction), decisions and referrals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from models.identity import TravellerCategory


class CheckOutcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_RUN = "not_run"  # policy did not ask for it, or an earlier step ended the transaction
    UNAVAILABLE = "unavailable"  # asked for, but the capability is missing (device, feature)
    ERROR = "error"  # the check could not complete (device or data error)
    # The document's signed data shows it does not support this check (e.g. a chip
    # with neither Active nor Chip Authentication). Neutral: it neither passes nor
    # refers. Only set from data that Passive Authentication has verified.
    NOT_OFFERED = "not_offered"


class Outcome(StrEnum):
    PASS = "pass"  # noqa: S105 - an outcome, not a password. Gate opens.
    REFER = "refer"  # please see an officer
    REJECT = "reject"  # refused (e.g. watchlist hit handled by officers)


class ReasonCode(StrEnum):
    """Why a transaction ended as it did. Shown to officers, never to travellers."""

    ALL_CHECKS_PASSED = "all_checks_passed"
    DOCUMENT_UNREADABLE = "document_unreadable"
    DOCUMENT_EXPIRED = "document_expired"
    MRZ_INVALID = "mrz_invalid"
    PASSIVE_AUTH_FAILED = "passive_auth_failed"
    CHIP_AUTH_FAILED = "chip_auth_failed"
    DG1_MRZ_MISMATCH = "dg1_mrz_mismatch"
    FACE_MISMATCH = "face_mismatch"
    FACE_QUALITY_LOW = "face_quality_low"
    LIVENESS_FAILED = "liveness_failed"
    FINGERPRINT_MISMATCH = "fingerprint_mismatch"
    FINGERPRINT_QUALITY_LOW = "fingerprint_quality_low"
    WATCHLIST_HIT = "watchlist_hit"
    CHECK_UNAVAILABLE = "check_unavailable"
    DEVICE_ERROR = "device_error"
    TIMEOUT = "timeout"
    TRAVELLER_CANCELLED = "traveller_cancelled"
    OFFICER_OVERRIDE = "officer_override"
    OFFLINE_LIMIT = "offline_limit"
    NO_CHIP = "no_chip"
    NOT_SELF_SERVICE = "not_self_service"  # policy sends this traveller category to an officer
    UNDER_MIN_AGE = "under_min_age"
    CARD_REMOVED = "card_removed"
    OFFICER_CALLED = "officer_called"


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str  # e.g. "mrz", "passive_authentication", "face_1to1", "watchlist_face"
    outcome: CheckOutcome
    detail: str = ""  # machine-readable detail code; never personal data


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    reasons: tuple[ReasonCode, ...]


@dataclass(frozen=True, slots=True)
class Score:
    name: str  # e.g. "face_1to1", "watchlist_face_top1"
    value: float
    threshold: float | None = None


@dataclass(frozen=True, slots=True)
class StepTiming:
    step: str  # e.g. "chip_read", "face_capture", "decision"
    ms: float


@dataclass(frozen=True, slots=True)
class VerificationEvent:
    event_id: str
    kiosk_id: str
    office_id: str
    started_at: datetime
    finished_at: datetime
    traveller_category: TravellerCategory | None
    issuing_state: str | None
    document_number: str | None
    traveller_id: str | None
    checks: tuple[CheckResult, ...]
    scores: tuple[Score, ...]
    decision: Decision
    timings: tuple[StepTiming, ...] = ()
    satisfaction: int | None = None  # 1-5 from the one-tap survey

    def check(self, name: str) -> CheckResult | None:
        return next((c for c in self.checks if c.name == name), None)


class ReferralStatus(StrEnum):
    OPEN = "open"
    CLEARED = "cleared"  # officer let the traveller through
    REFUSED = "refused"
    ESCALATED = "escalated"


@dataclass(frozen=True, slots=True)
class Referral:
    referral_id: str
    event_id: str
    kiosk_id: str
    created_at: datetime
    reasons: tuple[ReasonCode, ...]
    status: ReferralStatus = ReferralStatus.OPEN
    officer_id: str | None = None
    note: str | None = None
    resolved_at: datetime | None = None

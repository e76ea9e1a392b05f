"""Counter enrollment of a traveller's biometrics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from models.biometric import FingerPosition


class EnrollmentStatus(StrEnum):
    PENDING_REVIEW = "pending_review"  # possible duplicate awaiting a supervisor
    ACTIVE = "active"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class MissingFinger:
    """A finger that could not be captured, with the officer's reason (amputated, bandaged ...)."""

    position: FingerPosition
    reason: str


@dataclass(frozen=True, slots=True)
class Enrollment:
    enrollment_id: str
    traveller_id: str
    document_number: str | None
    enrolled_at: datetime
    officer_id: str
    office_id: str
    kiosk_id: str
    consent_given: bool
    face_template_ids: tuple[str, ...] = ()
    fingerprint_template_ids: tuple[str, ...] = ()
    missing_fingers: tuple[MissingFinger, ...] = ()
    status: EnrollmentStatus = EnrollmentStatus.ACTIVE
    override_reason: str | None = None  # officer's written reason when quality rules were waived

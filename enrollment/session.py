"""Counter enrollment (Qt-free): document, face, fingerprints, consent, de-duplication, storage.

An officer enrolls one traveller per :class:`EnrollmentSession`:

1. the document: read from the chip, or the MRZ typed in when there is none;
2. the face: captures are offered until one meets the ICAO portrait rules, or
   the officer overrides with a written reason (a supervisor approves it before
   the enrollment is stored);
3. fingerprints: index fingers at least, each with up to ``max_attempts``
   captures judged by quality; a finger that cannot be captured is recorded as
   missing with a reason;
4. consent;
5. de-duplication 1:N against the local galleries: possible duplicates put the
   enrollment on hold for a supervisor, shown side by side;
6. storage: everything in one store transaction, then the galleries are updated.

The biometric work is behind small ports so the workflow is tested without
models; the kiosk wires the real pipelines in.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from models.biometric import FaceTemplate, FingerPosition, FingerprintTemplate, ImageData
from models.enrollment import MissingFinger
from models.errors import SecurityError
from models.identity import TravelDocument
from models.roles import Permission, Principal

REQUIRED_FINGERS = (FingerPosition.RIGHT_INDEX, FingerPosition.LEFT_INDEX)
MAX_ATTEMPTS = 3


class DocumentSource(StrEnum):
    CHIP = "chip"
    TYPED_MRZ = "typed_mrz"


@dataclass(frozen=True, slots=True)
class FaceCapture:
    image: ImageData
    template: FaceTemplate | None  # None when no face was found
    quality: float
    failed_rules: tuple[str, ...]  # ICAO rules not met (empty: compliant)

    @property
    def compliant(self) -> bool:
        return self.template is not None and not self.failed_rules


@dataclass(frozen=True, slots=True)
class FingerCapture:
    position: FingerPosition
    image: ImageData
    template: FingerprintTemplate | None
    quality: float  # NFIQ 2 (0-100) or the fallback's score
    quality_method: str


@dataclass(frozen=True, slots=True)
class DuplicateCandidate:
    subject_id: str  # an enrolled traveller or a watchlist entry
    gallery: str  # "travellers" or "watchlist"
    modality: str  # "face" or "fingerprint"
    score: float
    # a fingerprint score's matcher, "gerbang" or "gerbang_dual" (each has its own scale and
    # hit point); None for a face
    matcher: str | None = None


class Deduplicator(Protocol):
    def candidates(
        self, face: FaceTemplate | None, fingers: Sequence[FingerprintTemplate]
    ) -> list[DuplicateCandidate]: ...


class EnrollmentState(StrEnum):
    DOCUMENT = "document"
    FACE = "face"
    FINGERPRINTS = "fingerprints"
    CONSENT = "consent"
    READY = "ready"  # everything captured: check for duplicates and store


class EnrollmentError(SecurityError):
    """A step was skipped, or a rule of the workflow was broken."""

    code = "enrollment.workflow"


@dataclass
class EnrollmentSession:
    officer: Principal
    office_id: str
    kiosk_id: str
    min_finger_quality: float = 35.0
    max_attempts: int = MAX_ATTEMPTS
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    enrollment_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    traveller_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    document: TravelDocument | None = None
    document_source: DocumentSource | None = None
    chip_photo: ImageData | None = None
    face: FaceCapture | None = None
    face_attempts: int = 0
    override_reason: str | None = None
    override_approved_by: str | None = None
    fingers: dict[FingerPosition, FingerCapture] = field(default_factory=dict)
    finger_attempts: dict[FingerPosition, int] = field(default_factory=dict)
    missing: dict[FingerPosition, str] = field(default_factory=dict)
    consent: bool | None = None

    def __post_init__(self) -> None:
        self.officer.require(Permission.ENROLL)

    # ------------------------------------------------------------------ state
    @property
    def state(self) -> EnrollmentState:
        if self.document is None:
            return EnrollmentState.DOCUMENT
        if self.face is None or not (self.face.compliant or self.override_reason):
            return EnrollmentState.FACE
        if any(p not in self.fingers and p not in self.missing for p in REQUIRED_FINGERS):
            return EnrollmentState.FINGERPRINTS
        if self.consent is None:
            return EnrollmentState.CONSENT
        return EnrollmentState.READY

    def _expect(self, *states: EnrollmentState) -> None:
        if self.state not in states:
            raise EnrollmentError(
                f"enrollment is at step {self.state.value}, not {', '.join(s.value for s in states)}"
            )

    # ------------------------------------------------------------------ steps
    def set_document(
        self,
        document: TravelDocument,
        source: DocumentSource,
        *,
        chip_photo: ImageData | None = None,
    ) -> None:
        self.document, self.document_source, self.chip_photo = document, source, chip_photo

    def offer_face(self, capture: FaceCapture) -> bool:
        """Keep the capture if it is compliant, or better than the one kept. True when compliant."""
        self._expect(EnrollmentState.FACE, EnrollmentState.FINGERPRINTS, EnrollmentState.CONSENT)
        self.face_attempts += 1
        if (
            self.face is None
            or capture.compliant
            or (not self.face.compliant and capture.quality > self.face.quality)
        ):
            self.face = capture
            if capture.compliant:
                self.override_reason = self.override_approved_by = None
        return capture.compliant

    def override_face(self, reason: str) -> None:
        """Accept a non-compliant face with a written reason; a supervisor must approve before storing."""
        if self.face is None or self.face.template is None:
            raise EnrollmentError("no face captured to override")
        if len(reason.strip()) < 10:
            raise EnrollmentError("an override needs a written reason (10 characters or more)")
        self.override_reason = reason.strip()
        self.override_approved_by = None

    def approve_override(self, supervisor: Principal) -> None:
        supervisor.require(Permission.APPROVE_QUALITY_OVERRIDE)
        if self.override_reason is None:
            raise EnrollmentError("nothing to approve")
        self.override_approved_by = supervisor.user_id

    def offer_finger(self, capture: FingerCapture) -> str:
        """``"accepted"``, ``"retry"`` (quality too low, attempts left) or ``"kept_best"`` (attempts used up)."""
        self._expect(EnrollmentState.FINGERPRINTS, EnrollmentState.CONSENT, EnrollmentState.READY)
        position = capture.position
        if position in self.missing:
            raise EnrollmentError(f"{position.name} was recorded as missing")
        attempts = self.finger_attempts.get(position, 0) + 1
        if attempts > self.max_attempts:
            raise EnrollmentError(f"{position.name}: all {self.max_attempts} attempts used")
        self.finger_attempts[position] = attempts
        best = self.fingers.get(position)
        usable = capture.template is not None
        if usable and (best is None or capture.quality > best.quality):
            self.fingers[position] = capture
        if usable and capture.quality >= self.min_finger_quality:
            return "accepted"
        return "retry" if attempts < self.max_attempts else "kept_best"

    def mark_missing(self, position: FingerPosition, reason: str) -> None:
        if not reason.strip():
            raise EnrollmentError("a missing finger needs a reason (amputated, bandaged ...)")
        self.fingers.pop(position, None)
        self.missing[position] = reason.strip()

    def record_consent(self, given: bool) -> None:
        self._expect(EnrollmentState.CONSENT, EnrollmentState.READY)
        self.consent = given

    # ------------------------------------------------------------------ finish
    def missing_fingers(self) -> tuple[MissingFinger, ...]:
        return tuple(MissingFinger(p, r) for p, r in sorted(self.missing.items()))

    def check_ready(self) -> None:
        self._expect(EnrollmentState.READY)
        if not self.consent:
            raise EnrollmentError("the traveller did not consent: nothing is stored")
        if self.override_reason and not self.override_approved_by:
            raise EnrollmentError("the face override needs a supervisor's approval")

"""A counter enrollment step by step (Qt-free): what the officer screen and ``enroll --from-files`` drive.

Wraps :class:`~enrollment.session.EnrollmentSession` with the biometric work
(face engine, finger engine), the checks between steps (the chip photo against
the live face, the ICAO report, the supervisor's approval of an override), the
1:N de-duplication and the storage, and keeps what the officer is shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from biometrics.face.imageio import load_image
from biometrics.face.params import VERIFICATION
from biometrics.face.verify import Decision, decide
from enrollment.documents import LoadedDocument
from enrollment.faces import FaceAnalysis, FaceEngine, sniff_encoding
from enrollment.fingers import FingerprintPipeline
from enrollment.persist import IndexUpdate, StoredEnrollment, store_enrollment
from enrollment.session import (
    REQUIRED_FINGERS,
    Deduplicator,
    DuplicateCandidate,
    EnrollmentSession,
    FaceCapture,
    FingerCapture,
)
from models.audit import AuditLog
from models.biometric import FingerPosition, ImageData, SampleSource
from models.enrollment import EnrollmentStatus
from models.errors import MalformedDataError, NotAvailableError
from models.roles import Principal
from models.store import Store

if TYPE_CHECKING:
    from enrollment.capture import ScannedSlap

MAX_IMAGE_FILE = 16 * 1024 * 1024


class FingerEngine(Protocol):
    """Template and quality of one fingerprint image (the fingerprint pipeline's port)."""

    def capture(
        self, position: FingerPosition, image: ImageData, pixels: npt.NDArray[np.uint8]
    ) -> FingerCapture: ...


class NoFingerprintPipeline:
    """The finger engine of a build without the fingerprint matcher: refuses, says why."""

    def capture(
        self, position: FingerPosition, image: ImageData, pixels: npt.NDArray[np.uint8]
    ) -> FingerCapture:
        raise NotAvailableError(
            "fingerprint templates (the fingerprint pipeline, issue #6; until it lands, "
            "record each finger with --missing-finger POS=REASON)"
        )


@dataclass
class EnrollmentOutcome:
    outcome: str  # "enrolled", "held_for_supervisor" or "refused"
    session: EnrollmentSession
    reasons: list[str] = field(default_factory=list)
    document: LoadedDocument | None = None
    face: FaceAnalysis | None = None
    chip_score: float | None = None
    fingers: list[dict[str, Any]] = field(default_factory=list)
    slaps: list[dict[str, Any]] = field(default_factory=list)  # per slap offered: results
    candidates: Sequence[DuplicateCandidate] = ()
    stored: StoredEnrollment | None = None

    def to_json(self) -> dict[str, Any]:
        s = self.session
        doc = self.document.document if self.document else None
        return {
            "outcome": self.outcome,
            "reasons": self.reasons,
            "enrollment_id": s.enrollment_id if self.stored else None,
            "traveller_id": s.traveller_id if self.stored else None,
            "status": self.stored.enrollment.status.value if self.stored else None,
            "document": None
            if doc is None
            else {
                "source": self.document.source.value if self.document else None,
                "document_number": doc.document_number,
                "issuing_state": doc.issuing_state,
                "surname": doc.surname,
                "given_names": doc.given_names,
                "nationality": doc.nationality,
                "expiry_date": doc.expiry_date.isoformat(),
            },
            "face": None
            if self.face is None
            else {
                "found": self.face.found,
                "quality": round(self.face.quality, 1),
                "compliant": self.face.compliant,
                "failed_rules": list(self.face.failed_rules),
                "icao": [r.to_json() for r in self.face.report],
                "override_reason": s.override_reason,
                "override_approved_by": s.override_approved_by,
                "attempts": s.face_attempts,
            },
            "chip_photo": None
            if self.chip_score is None
            else {"score": round(self.chip_score, 4), "decision": decide(self.chip_score)[0].value},
            "fingers": self.fingers,
            "slaps": self.slaps,
            "missing_fingers": [
                {"position": m.position.name, "reason": m.reason} for m in s.missing_fingers()
            ],
            "consent": s.consent,
            "deduplication": {
                "threshold": VERIFICATION.reject,
                "candidates": [
                    {
                        "subject_id": c.subject_id,
                        "gallery": c.gallery,
                        "modality": c.modality,
                        "score": c.score,
                        "matcher": c.matcher,
                    }
                    for c in self.candidates
                ],
            },
        }


def read_image(path: Path) -> tuple[ImageData, npt.NDArray[np.uint8]]:
    try:
        if path.stat().st_size > MAX_IMAGE_FILE:
            raise MalformedDataError(f"{path} is larger than {MAX_IMAGE_FILE} bytes")
        raw = path.read_bytes()
    except OSError as exc:
        raise MalformedDataError(f"cannot read {path}: {exc.strerror}") from exc
    loaded = load_image(raw, name=str(path))
    width, height = loaded.source_size
    return ImageData(sniff_encoding(raw), raw, width, height), loaded.rgb


class CounterEnrollment:
    """One traveller's enrollment, a step at a time; ``outcome`` says where it stands."""

    def __init__(
        self,
        store: Store,
        audit: AuditLog,
        faces: FaceEngine,
        dedup: Deduplicator,
        officer: Principal,
        *,
        fingers: FingerEngine | None = None,
        index_update: IndexUpdate | None = None,
        office_id: str = "",
        kiosk_id: str = "",
    ) -> None:
        self.store = store
        self.audit = audit
        self.faces = faces
        self.dedup = dedup
        self.finger_engine: FingerEngine = fingers or FingerprintPipeline()
        self.index_update = index_update
        self.out = EnrollmentOutcome("in_progress", EnrollmentSession(officer, office_id, kiosk_id))

    @property
    def session(self) -> EnrollmentSession:
        return self.out.session

    def set_document(self, loaded: LoadedDocument) -> None:
        self.out.document = loaded
        self.session.set_document(loaded.document, loaded.source, chip_photo=loaded.chip_photo)

    def offer_face(self, image: ImageData, rgb: npt.NDArray[np.uint8]) -> list[str]:
        """Analyse a face capture; the reasons it cannot be used as it is (empty: compliant)."""
        session = self.session
        analysis = self.faces.analyse(rgb)
        self.out.face = analysis
        template = None
        if analysis.found:
            template = analysis.template(
                f"{session.enrollment_id}-face-{session.face_attempts + 1}",
                None,
                session.clock(),
                SampleSource.ENROLMENT,
            )
        compliant = session.offer_face(
            FaceCapture(image, template, analysis.quality, analysis.failed_rules)
        )
        if not analysis.found:
            return ["no_face_found"]
        document = self.out.document
        if (
            document is not None
            and document.chip_pixels is not None
            and analysis.embedding is not None
        ):
            chip = self.faces.analyse(document.chip_pixels)
            if chip.embedding is not None:
                self.out.chip_score = float(np.dot(chip.embedding, analysis.embedding))
                if decide(self.out.chip_score)[0] is Decision.NO_MATCH:
                    return ["face_differs_from_chip_photo"]
        return [] if compliant else [f"icao:{rule}" for rule in analysis.failed_rules]

    def override_face(self, reason: str, supervisor: Principal | None) -> list[str]:
        """Accept the non-compliant face for ``reason``; blocked until a supervisor approves."""
        self.session.override_face(reason)
        if supervisor is None:
            return ["override_needs_supervisor_approval"]
        self.session.approve_override(supervisor)
        return []

    def offer_finger(
        self, position: FingerPosition, image: ImageData, rgb: npt.NDArray[np.uint8]
    ) -> str:
        """``accepted``, ``retry`` or ``kept_best`` (see ``EnrollmentSession.offer_finger``)."""
        gray = np.asarray(rgb.mean(axis=2) if rgb.ndim == 3 else rgb, dtype=np.uint8)
        capture = self.finger_engine.capture(position, image, gray)
        result = self.session.offer_finger(capture)
        self.out.fingers.append(
            {
                "position": position.name,
                "attempt": self.session.finger_attempts[position],
                "quality": round(capture.quality, 1),
                "quality_method": capture.quality_method,
                "result": result,
            }
        )
        return result

    def offer_slap(self, slap: ScannedSlap) -> dict[str, str]:
        """Offer each fingertip of a segmented slap as that finger's capture.

        Per finger of the slap (by position name): the :meth:`offer_finger` result
        (``accepted``, ``retry``, ``kept_best``), or ``not_found`` (the segmentation
        did not place it: scan the slap again, take the finger alone, or record it
        missing), ``missing`` (recorded missing), ``already_accepted`` or
        ``attempts_used`` (not offered again), or ``not_offered`` (the segmentation
        was not clean, see below). Scanning the slap again offers only the fingers
        still open, so each finger has at most ``max_attempts`` captures.

        Tips are offered when the segmentation found every finger (``ok``), or when
        it found fewer and the positions it inferred as absent are exactly ones the
        officer has recorded missing; otherwise a tip's position is a guess (from the
        gaps between tips) that could file a print under the wrong finger, so none
        is offered: scan again or take the fingers one by one."""
        from biometrics.fingerprint.slap import POSITIONS, SLAP_CODES

        session = self.session
        confirmed = slap.status == "ok" or (
            slap.status == "wrong-count"
            and bool(slap.missing)
            and all(p in session.missing for p in slap.missing)
        )
        found = {f.position: f for f in slap.fingers} if confirmed else {}
        results: dict[str, str] = {}
        for position in POSITIONS[SLAP_CODES[int(slap.position)]]:
            best = session.fingers.get(position)
            if position in session.missing:
                results[position.name] = "missing"
            elif best is not None and best.quality >= session.min_finger_quality:
                results[position.name] = "already_accepted"
            elif session.finger_attempts.get(position, 0) >= session.max_attempts:
                results[position.name] = "attempts_used"
            elif not confirmed:
                results[position.name] = "not_offered"
            elif position not in found:
                results[position.name] = "not_found"
            else:
                finger = found[position]
                results[position.name] = self.offer_finger(position, finger.image, finger.pixels)
        self.out.slaps.append(
            {
                "position": slap.position.name,
                "segmentation": slap.status,
                "message": slap.message,
                "fingers": results,
            }
        )
        return results

    def mark_missing(self, position: FingerPosition, reason: str) -> None:
        self.session.mark_missing(position, reason)

    def fingers_missing(self) -> list[str]:
        session = self.session
        return [
            f"finger_not_captured:{p.name}"
            for p in REQUIRED_FINGERS
            if p not in session.fingers and p not in session.missing
        ]

    def finish(self, consent: bool) -> EnrollmentOutcome:
        """Consent, de-duplication and storage: ``enrolled`` or ``held_for_supervisor``."""
        session = self.session
        session.record_consent(consent)
        if not consent:
            return self.refuse(["no_consent"])
        face = session.face.template if session.face else None
        templates = [c.template for c in session.fingers.values() if c.template is not None]
        self.out.candidates = self.dedup.candidates(face, templates)
        self.out.stored = store_enrollment(
            session, self.store, self.audit, self.out.candidates, index_update=self.index_update
        )
        held = self.out.stored.enrollment.status is EnrollmentStatus.PENDING_REVIEW
        self.out.outcome = "held_for_supervisor" if held else "enrolled"
        self.out.reasons = []
        return self.out

    def refuse(self, reasons: list[str]) -> EnrollmentOutcome:
        """End without storing anything; the refusal and its reasons are audited."""
        self.out.outcome = "refused"
        self.out.reasons = reasons
        self.audit.append(
            self.session.officer.user_id,
            "enrollment.refused",
            self.session.enrollment_id,
            {"reasons": reasons},
        )
        return self.out

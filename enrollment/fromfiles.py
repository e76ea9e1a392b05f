"""Counter enrollment from files (``gerbang enroll --from-files``), driving the session without Qt.

The same steps as at the counter: the document (typed MRZ or a chip dump),
the face with its ICAO report (a non-compliant face is refused unless the
officer overrides with a reason and a supervisor approves), fingerprints
(repeat a position for another attempt, at most three), consent, 1:N
de-duplication against the local galleries, then storage. The outcome is
``enrolled``, ``held_for_supervisor`` (possible duplicates) or ``refused``
(with the reasons; nothing stored, the refusal audited).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from biometrics.face.imageio import load_image
from biometrics.face.params import VERIFICATION
from biometrics.face.verify import decide
from enrollment.documents import LoadedDocument, from_chip_dump, from_mrz
from enrollment.faces import FaceAnalysis, FaceEngine, sniff_encoding
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


@dataclass(frozen=True, slots=True)
class FileEnrollment:
    face: Path
    mrz_lines: tuple[str, ...] = ()
    chip_dump: Path | None = None
    fingers: tuple[tuple[FingerPosition, Path], ...] = ()  # a position repeated: another attempt
    missing: tuple[tuple[FingerPosition, str], ...] = ()
    consent: bool = False
    override_reason: str | None = None


@dataclass
class EnrollmentOutcome:
    outcome: str  # "enrolled", "held_for_supervisor" or "refused"
    session: EnrollmentSession
    reasons: list[str] = field(default_factory=list)
    document: LoadedDocument | None = None
    face: FaceAnalysis | None = None
    chip_score: float | None = None
    fingers: list[dict[str, Any]] = field(default_factory=list)
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
                    }
                    for c in self.candidates
                ],
            },
        }


def _read_image(path: Path) -> tuple[ImageData, npt.NDArray[np.uint8]]:
    try:
        if path.stat().st_size > MAX_IMAGE_FILE:
            raise MalformedDataError(f"{path} is larger than {MAX_IMAGE_FILE} bytes")
        raw = path.read_bytes()
    except OSError as exc:
        raise MalformedDataError(f"cannot read {path}: {exc.strerror}") from exc
    loaded = load_image(raw, name=str(path))
    width, height = loaded.source_size
    return ImageData(sniff_encoding(raw), raw, width, height), loaded.rgb


class FileEnrollmentRunner:
    def __init__(
        self,
        store: Store,
        audit: AuditLog,
        faces: FaceEngine,
        dedup: Deduplicator,
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
        self.finger_engine: FingerEngine = fingers or NoFingerprintPipeline()
        self.index_update = index_update
        self.office_id = office_id
        self.kiosk_id = kiosk_id

    def run(
        self,
        inputs: FileEnrollment,
        officer: Principal,
        *,
        today: date,
        supervisor: Principal | None = None,
    ) -> EnrollmentOutcome:
        session = EnrollmentSession(officer, self.office_id, self.kiosk_id)
        out = EnrollmentOutcome("refused", session)
        if inputs.chip_dump is not None:
            out.document = from_chip_dump(inputs.chip_dump, today)
        else:
            out.document = from_mrz(inputs.mrz_lines, today)
        doc = out.document
        session.set_document(doc.document, doc.source, chip_photo=doc.chip_photo)
        if not self._face(inputs, out, supervisor):
            return self._refuse(out)
        self._fingers(inputs, out)
        missing = [
            p.name
            for p in REQUIRED_FINGERS
            if p not in session.fingers and p not in session.missing
        ]
        if missing:
            out.reasons += [f"finger_not_captured:{name}" for name in missing]
            return self._refuse(out)
        session.record_consent(inputs.consent)
        if not inputs.consent:
            out.reasons.append("no_consent")
            return self._refuse(out)
        face = session.face.template if session.face else None
        templates = [c.template for c in session.fingers.values() if c.template is not None]
        out.candidates = self.dedup.candidates(face, templates)
        out.stored = store_enrollment(
            session, self.store, self.audit, out.candidates, index_update=self.index_update
        )
        held = out.stored.enrollment.status is EnrollmentStatus.PENDING_REVIEW
        out.outcome = "held_for_supervisor" if held else "enrolled"
        return out

    def _face(
        self, inputs: FileEnrollment, out: EnrollmentOutcome, supervisor: Principal | None
    ) -> bool:
        session = out.session
        image, rgb = _read_image(inputs.face)
        analysis = self.faces.analyse(rgb)
        out.face = analysis
        template = None
        if analysis.found:
            template = analysis.template(
                f"{session.enrollment_id}-face", None, session.clock(), SampleSource.ENROLMENT
            )
        capture = FaceCapture(image, template, analysis.quality, analysis.failed_rules)
        compliant = session.offer_face(capture)
        if not analysis.found:
            out.reasons.append("no_face_found")
            return False
        if out.document is not None and out.document.chip_pixels is not None:
            chip = self.faces.analyse(out.document.chip_pixels)
            if chip.embedding is not None and analysis.embedding is not None:
                out.chip_score = float(np.dot(chip.embedding, analysis.embedding))
                if decide(out.chip_score)[0].value == "no_match":
                    out.reasons.append("face_differs_from_chip_photo")
                    return False
        if compliant:
            return True
        if not inputs.override_reason:
            out.reasons += [f"icao:{rule}" for rule in analysis.failed_rules]
            return False
        session.override_face(inputs.override_reason)
        if supervisor is None:
            out.reasons.append("override_needs_supervisor_approval")
            return False
        session.approve_override(supervisor)
        return True

    def _fingers(self, inputs: FileEnrollment, out: EnrollmentOutcome) -> None:
        session = out.session
        for position, reason in inputs.missing:
            session.mark_missing(position, reason)
        for position, path in inputs.fingers:
            image, rgb = _read_image(path)
            gray = np.asarray(rgb.mean(axis=2), dtype=np.uint8)
            capture = self.finger_engine.capture(position, image, gray)
            result = session.offer_finger(capture)
            out.fingers.append(
                {
                    "position": position.name,
                    "attempt": session.finger_attempts[position],
                    "quality": round(capture.quality, 1),
                    "quality_method": capture.quality_method,
                    "result": result,
                }
            )

    def _refuse(self, out: EnrollmentOutcome) -> EnrollmentOutcome:
        self.audit.append(
            out.session.officer.user_id,
            "enrollment.refused",
            out.session.enrollment_id,
            {"reasons": out.reasons},
        )
        return out

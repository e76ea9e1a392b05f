"""Counter enrollment from files (``gerbang enroll --from-files``), driving the session without Qt.

The same steps as at the counter (:class:`~enrollment.counter.CounterEnrollment`):
the document (typed MRZ or a chip dump), the face with its ICAO report (a
non-compliant face is refused unless the officer overrides with a reason and a
supervisor approves), fingerprints (repeat a position for another attempt, at
most three), consent, 1:N de-duplication against the local galleries, then
storage. The outcome is ``enrolled``, ``held_for_supervisor`` (possible
duplicates) or ``refused`` (with the reasons; nothing stored, the refusal audited).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from enrollment.counter import (
    CounterEnrollment,
    EnrollmentOutcome,
    FingerEngine,
    NoFingerprintPipeline,
    read_image,
)
from enrollment.documents import from_chip_dump, from_mrz
from enrollment.faces import FaceEngine
from enrollment.persist import IndexUpdate
from enrollment.session import Deduplicator
from models.audit import AuditLog
from models.biometric import FingerPosition
from models.roles import Principal
from models.store import Store

__all__ = ["EnrollmentOutcome", "FileEnrollment", "FileEnrollmentRunner", "NoFingerprintPipeline"]


@dataclass(frozen=True, slots=True)
class FileEnrollment:
    face: Path
    mrz_lines: tuple[str, ...] = ()
    chip_dump: Path | None = None
    fingers: tuple[tuple[FingerPosition, Path], ...] = ()  # a position repeated: another attempt
    missing: tuple[tuple[FingerPosition, str], ...] = ()
    consent: bool = False
    override_reason: str | None = None


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
        self.fingers = fingers
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
        counter = CounterEnrollment(
            self.store,
            self.audit,
            self.faces,
            self.dedup,
            officer,
            fingers=self.fingers,
            index_update=self.index_update,
            office_id=self.office_id,
            kiosk_id=self.kiosk_id,
        )
        if inputs.chip_dump is not None:
            counter.set_document(from_chip_dump(inputs.chip_dump, today))
        else:
            counter.set_document(from_mrz(inputs.mrz_lines, today))
        reasons = counter.offer_face(*read_image(inputs.face))
        if reasons and reasons[0].startswith("icao:") and inputs.override_reason:
            reasons = counter.override_face(inputs.override_reason, supervisor)
        if reasons:
            return counter.refuse(reasons)
        for position, reason in inputs.missing:
            counter.mark_missing(position, reason)
        for position, path in inputs.fingers:
            counter.offer_finger(position, *read_image(path))
        missing = counter.fingers_missing()
        if missing:
            return counter.refuse(missing)
        return counter.finish(inputs.consent)

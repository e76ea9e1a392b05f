"""Storing a finished enrollment, and the supervisor's decision on possible duplicates."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from enrollment.session import DuplicateCandidate, EnrollmentSession
from models import codec
from models.audit import AuditLog
from models.biometric import FaceSample, FingerprintSample, SampleSource
from models.bundles import EnrollmentBundle
from models.enrollment import Enrollment, EnrollmentStatus
from models.errors import SecurityError
from models.identity import Traveller, TravellerCategory
from models.roles import Permission, Principal
from models.store import Store

# Called after the transaction with the store row ids of the new templates
# (face, fingerprint): the galleries add them without a rebuild.
IndexUpdate = Callable[[list[int], list[int]], None]


@dataclass(frozen=True, slots=True)
class StoredEnrollment:
    enrollment: Enrollment
    traveller: Traveller
    candidates: tuple[DuplicateCandidate, ...]
    face_row_ids: tuple[int, ...]
    fingerprint_row_ids: tuple[int, ...]


def store_enrollment(
    session: EnrollmentSession,
    store: Store,
    audit: AuditLog,
    candidates: Sequence[DuplicateCandidate],
    *,
    home_country: str = "IDN",
    index_update: IndexUpdate | None = None,
) -> StoredEnrollment:
    session.check_ready()
    document = session.document
    face = session.face
    if document is None or face is None or face.template is None:
        raise SecurityError("enrollment is not complete")
    now = session.clock()
    tid = session.traveller_id
    citizen = document.issuing_state == home_country and document.nationality == home_country
    traveller = Traveller(
        tid,
        document.surname,
        document.given_names,
        document.nationality,
        document.birth_date,
        document.sex,
        TravellerCategory.CITIZEN if citizen else TravellerCategory.FOREIGNER,
    )
    face_template = dataclasses.replace(
        face.template, subject_id=tid, source=SampleSource.ENROLMENT
    )
    finger_templates = [
        dataclasses.replace(c.template, subject_id=tid, source=SampleSource.ENROLMENT)
        for c in session.fingers.values()
        if c.template is not None
    ]
    enrollment = Enrollment(
        enrollment_id=session.enrollment_id,
        traveller_id=tid,
        document_number=document.document_number,
        enrolled_at=now,
        officer_id=session.officer.user_id,
        office_id=session.office_id,
        kiosk_id=session.kiosk_id,
        consent_given=True,
        face_template_ids=(face_template.template_id,),
        fingerprint_template_ids=tuple(t.template_id for t in finger_templates),
        missing_fingers=session.missing_fingers(),
        status=EnrollmentStatus.PENDING_REVIEW if candidates else EnrollmentStatus.ACTIVE,
        override_reason=session.override_reason,
    )
    with store.atomic():
        store.travellers.put(traveller)
        store.documents.put(document)
        face_rows = [store.face_templates.add(face_template)]
        finger_rows = [store.fingerprint_templates.add(t) for t in finger_templates]
        store.face_samples.add(
            FaceSample(
                str(uuid.uuid4()), tid, now, SampleSource.ENROLMENT, face.image, face.quality
            )
        )
        for capture in session.fingers.values():
            store.fingerprint_samples.add(
                FingerprintSample(
                    str(uuid.uuid4()),
                    tid,
                    now,
                    SampleSource.ENROLMENT,
                    capture.position,
                    capture.image,
                    500,
                    capture.quality,
                    capture.quality_method,
                )
            )
        store.enrollments.add(enrollment)
        bundle = EnrollmentBundle(enrollment, traveller, (face_template,), tuple(finger_templates))
        store.outbox.enqueue("enrollment", enrollment.enrollment_id, codec.dumps(bundle))
        audit.append(
            session.officer.user_id,
            "enrollment.create",
            enrollment.enrollment_id,
            {
                "status": enrollment.status.value,
                "fingers": len(finger_templates),
                "missing_fingers": len(enrollment.missing_fingers),
                "face_override": session.override_reason is not None,
                "override_approved_by": session.override_approved_by,
                "duplicates": len(candidates),
            },
        )
    if index_update is not None and enrollment.status is EnrollmentStatus.ACTIVE:
        index_update(face_rows, finger_rows)
    return StoredEnrollment(
        enrollment, traveller, tuple(candidates), tuple(face_rows), tuple(finger_rows)
    )


def resolve_duplicate(
    store: Store,
    audit: AuditLog,
    enrollment_id: str,
    supervisor: Principal,
    *,
    same_person: bool,
    note: str,
    index_update: IndexUpdate | None = None,
) -> Enrollment:
    """A supervisor's decision on an enrollment held as a possible duplicate."""
    supervisor.require(Permission.APPROVE_DEDUPLICATION)
    if not note.strip():
        raise SecurityError("a de-duplication decision needs a note")
    with store.atomic():
        held = store.enrollments.get(enrollment_id)
        if held.status is not EnrollmentStatus.PENDING_REVIEW:
            raise SecurityError(f"enrollment {enrollment_id} is not waiting for review")
        # The same person enrolled before: this record is revoked, the earlier one stays.
        status = EnrollmentStatus.REVOKED if same_person else EnrollmentStatus.ACTIVE
        decided = dataclasses.replace(held, status=status)
        store.enrollments.put(decided)
        bundle = EnrollmentBundle(
            decided,
            store.travellers.get(held.traveller_id),
            tuple(store.face_templates.get(t) for t in decided.face_template_ids),
            tuple(store.fingerprint_templates.get(t) for t in decided.fingerprint_template_ids),
        )
        store.outbox.enqueue("enrollment", f"{enrollment_id}:{status.value}", codec.dumps(bundle))
        audit.append(
            supervisor.user_id,
            "enrollment.dedup_decision",
            enrollment_id,
            {"same_person": same_person},
        )
    if index_update is not None and status is EnrollmentStatus.ACTIVE:
        faces = [store.face_templates.row_id(t) for t in decided.face_template_ids]
        fingers = [store.fingerprint_templates.row_id(t) for t in decided.fingerprint_template_ids]
        index_update(faces, fingers)
    return decided

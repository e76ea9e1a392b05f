"""The supervisor's queue of enrollments held as possible duplicates (Qt-free).

A held enrollment's face is not in the gallery (only active enrollments are
indexed), so its candidates are found again by the same 1:N search when the
supervisor opens it, and shown side by side with their stored face images.
The decision is :func:`enrollment.persist.resolve_duplicate`: the same person
(the new record is revoked, the earlier stays) or different people (the new
record becomes active and is indexed).
"""

from __future__ import annotations

from dataclasses import dataclass

from enrollment.persist import IndexUpdate, resolve_duplicate
from enrollment.session import Deduplicator, DuplicateCandidate
from models.audit import AuditLog
from models.biometric import ImageData
from models.enrollment import Enrollment, EnrollmentStatus
from models.roles import Permission, Principal
from models.store import Store


@dataclass(frozen=True, slots=True)
class HeldCase:
    enrollment: Enrollment
    name: str
    face: ImageData | None  # the new enrollment's face image
    candidates: tuple[tuple[DuplicateCandidate, ImageData | None], ...]  # with their face image


class DuplicateReview:
    def __init__(
        self,
        store: Store,
        audit: AuditLog,
        dedup: Deduplicator,
        *,
        index_update: IndexUpdate | None = None,
    ) -> None:
        self.store = store
        self.audit = audit
        self.dedup = dedup
        self.index_update = index_update

    def held(self, supervisor: Principal) -> list[Enrollment]:
        supervisor.require(Permission.APPROVE_DEDUPLICATION)
        return [e for e in self.store.enrollments if e.status is EnrollmentStatus.PENDING_REVIEW]

    def _face_image(self, subject_id: str) -> ImageData | None:
        samples = self.store.face_samples.for_subject(subject_id)
        return samples[-1].image if samples else None

    def case(self, enrollment_id: str, supervisor: Principal) -> HeldCase:
        supervisor.require(Permission.APPROVE_DEDUPLICATION)
        enrollment = self.store.enrollments.get(enrollment_id)
        traveller = self.store.travellers.get(enrollment.traveller_id)
        faces = [self.store.face_templates.get(t) for t in enrollment.face_template_ids]
        found = self.dedup.candidates(faces[0] if faces else None, [])
        candidates = tuple(
            (c, self._face_image(c.subject_id))
            for c in found
            if c.subject_id != enrollment.traveller_id
        )
        self.audit.append(supervisor.user_id, "enrollment.dedup_view", enrollment_id, {})
        return HeldCase(
            enrollment,
            f"{traveller.given_names} {traveller.surname}".strip(),
            self._face_image(enrollment.traveller_id),
            candidates,
        )

    def decide(
        self, enrollment_id: str, supervisor: Principal, *, same_person: bool, note: str
    ) -> Enrollment:
        return resolve_duplicate(
            self.store,
            self.audit,
            enrollment_id,
            supervisor,
            same_person=same_person,
            note=note,
            index_update=self.index_update,
        )

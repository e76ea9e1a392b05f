"""The enrollment workflow with stub biometric captures (the pipelines are tested on their own)."""

from __future__ import annotations

import dataclasses

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from enrollment.persist import resolve_duplicate, store_enrollment
from enrollment.session import (
    DocumentSource,
    DuplicateCandidate,
    EnrollmentError,
    EnrollmentSession,
    EnrollmentState,
    FaceCapture,
    FingerCapture,
)
from models import codec
from models.audit import AuditLog
from models.biometric import FingerPosition
from models.bundles import EnrollmentBundle
from models.enrollment import EnrollmentStatus
from models.roles import ForbiddenError, Principal, Role
from models.store import Store
from tests import factories

OFFICER = Principal("officer-7", frozenset({Role.OFFICER}))
SUPERVISOR = Principal("sup-1", frozenset({Role.SUPERVISOR}))


def face(compliant: bool = True, quality: float = 80.0) -> FaceCapture:
    return FaceCapture(
        factories.image("jpeg"),
        factories.face_template(),
        quality,
        () if compliant else ("eyes_open",),
    )


def finger(position: FingerPosition, quality: float) -> FingerCapture:
    template = dataclasses.replace(
        factories.fingerprint_template(f"fp-{position.name}-{quality}"), position=position
    )
    return FingerCapture(position, factories.image("png"), template, quality, "nfiq2")


def ready_session() -> EnrollmentSession:
    session = EnrollmentSession(OFFICER, "WAYKANAN", "KIOSK-1", clock=lambda: factories.NOW)
    session.set_document(factories.document("C7777777"), DocumentSource.CHIP)
    assert session.offer_face(face())
    assert session.offer_finger(finger(FingerPosition.RIGHT_INDEX, 70)) == "accepted"
    session.mark_missing(FingerPosition.LEFT_INDEX, "bandaged")
    session.record_consent(True)
    return session


def test_steps_follow_in_order() -> None:
    session = EnrollmentSession(OFFICER, "WAYKANAN", "KIOSK-1")
    assert session.state is EnrollmentState.DOCUMENT
    with pytest.raises(EnrollmentError, match="step document"):
        session.offer_face(face())
    session.set_document(factories.document(), DocumentSource.TYPED_MRZ)
    assert session.state is EnrollmentState.FACE
    assert not session.offer_face(face(compliant=False, quality=40))
    assert session.state is EnrollmentState.FACE  # retake until compliant ...
    assert session.offer_face(face())
    assert session.state is EnrollmentState.FINGERPRINTS


def test_fingers_get_three_attempts_and_keep_the_best() -> None:
    session = EnrollmentSession(OFFICER, "WAYKANAN", "KIOSK-1")
    session.set_document(factories.document(), DocumentSource.CHIP)
    session.offer_face(face())
    results = [session.offer_finger(finger(FingerPosition.RIGHT_INDEX, q)) for q in (10, 25, 20)]
    assert results == ["retry", "retry", "kept_best"]
    assert session.fingers[FingerPosition.RIGHT_INDEX].quality == 25
    with pytest.raises(EnrollmentError, match="attempts used"):
        session.offer_finger(finger(FingerPosition.RIGHT_INDEX, 90))


def test_a_face_override_needs_a_reason_and_a_supervisor(store: Store) -> None:
    session = EnrollmentSession(OFFICER, "WAYKANAN", "KIOSK-1", clock=lambda: factories.NOW)
    session.set_document(factories.document(), DocumentSource.CHIP)
    session.offer_face(face(compliant=False))
    with pytest.raises(EnrollmentError, match="written reason"):
        session.override_face("glasses")
    session.override_face("medical eyewear that cannot be removed")
    session.offer_finger(finger(FingerPosition.RIGHT_INDEX, 70))
    session.offer_finger(finger(FingerPosition.LEFT_INDEX, 70))
    session.record_consent(True)
    with pytest.raises(EnrollmentError, match="supervisor"):
        session.check_ready()
    with pytest.raises(ForbiddenError):
        session.approve_override(OFFICER)
    session.approve_override(SUPERVISOR)
    session.check_ready()


def test_no_consent_stores_nothing(store: Store) -> None:
    session = ready_session()
    session.record_consent(False)
    with pytest.raises(EnrollmentError, match="consent"):
        store_enrollment(session, store, AuditLog(store, Ed25519PrivateKey.generate()), [])
    assert store.enrollments.count() == 0


def test_stored_enrollment_is_complete_and_queued(store: Store) -> None:
    added: list[tuple[list[int], list[int]]] = []
    audit = AuditLog(store, Ed25519PrivateKey.generate())
    stored = store_enrollment(
        ready_session(), store, audit, [], index_update=lambda f, p: added.append((f, p))
    )
    assert stored.enrollment.status is EnrollmentStatus.ACTIVE
    assert store.travellers.get(stored.traveller.traveller_id) == stored.traveller
    assert store.documents.find("IDN", "C7777777") is not None
    assert [t.subject_id for t in store.face_templates] == [stored.traveller.traveller_id]
    assert [m.position for m in stored.enrollment.missing_fingers] == [FingerPosition.LEFT_INDEX]
    (item,) = store.outbox.pending()
    bundle = codec.loads(EnrollmentBundle, item.payload)
    assert bundle.enrollment == stored.enrollment and len(bundle.fingerprint_templates) == 1
    assert added == [(list(stored.face_row_ids), list(stored.fingerprint_row_ids))]
    assert [r.action for r in store.audit] == ["enrollment.create"]


def test_possible_duplicates_wait_for_a_supervisor(store: Store) -> None:
    audit = AuditLog(store, Ed25519PrivateKey.generate())
    added: list[object] = []
    candidate = DuplicateCandidate("t-earlier", "travellers", "face", 0.93)
    stored = store_enrollment(
        ready_session(), store, audit, [candidate], index_update=lambda f, p: added.append(1)
    )
    assert stored.enrollment.status is EnrollmentStatus.PENDING_REVIEW and added == []
    with pytest.raises(ForbiddenError):
        resolve_duplicate(
            store, audit, stored.enrollment.enrollment_id, OFFICER, same_person=False, note="x"
        )
    decided = resolve_duplicate(
        store,
        audit,
        stored.enrollment.enrollment_id,
        SUPERVISOR,
        same_person=False,
        note="twins, checked",
        index_update=lambda f, p: added.append(1),
    )
    assert decided.status is EnrollmentStatus.ACTIVE and added == [1]
    assert [r.action for r in store.audit][-1] == "enrollment.dedup_decision"

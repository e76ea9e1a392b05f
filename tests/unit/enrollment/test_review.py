"""The supervisor's queue of possible duplicates (fake face engine, real store and index)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from enrollment.fromfiles import FileEnrollment, FileEnrollmentRunner
from enrollment.gallery import FaceGallery, GalleryDeduplicator
from enrollment.review import DuplicateReview
from models.audit import AuditLog
from models.biometric import FingerPosition
from models.enrollment import EnrollmentStatus
from models.roles import ForbiddenError, Principal, Role
from models.store import Store
from tests.unit.enrollment.fakefaces import FakeFaces, found

OFFICER = Principal("officer-7", frozenset({Role.OFFICER}))
SUPERVISOR = Principal("sup-1", frozenset({Role.SUPERVISOR}))
MRZ = (
    "P<IDNSIREGAR<<MARIA<ULINA<<<<<<<<<<<<<<<<<<<",
    "C7777777<9IDN8803148X3101090<<<<<<<<<<<<<<04",
)


@pytest.mark.parametrize(
    ("same", "status", "indexed"), [(True, "revoked", 1), (False, "active", 2)]
)
def test_a_held_enrollment_is_shown_with_its_candidate_and_decided(
    store: Store, tmp_path: Path, same: bool, status: str, indexed: int
) -> None:
    photo = tmp_path / "face.png"
    Image.fromarray(np.full((64, 48, 3), 120, np.uint8)).save(photo)
    gallery = FaceGallery.in_memory(store)
    audit = AuditLog(store, Ed25519PrivateKey.generate())
    runner = FileEnrollmentRunner(
        store,
        audit,
        FakeFaces([found(4), found(4)]),
        GalleryDeduplicator(gallery),
        index_update=gallery.add_rows,
    )
    inputs = FileEnrollment(
        photo,
        MRZ,
        missing=((FingerPosition.RIGHT_INDEX, "bandaged"), (FingerPosition.LEFT_INDEX, "cut")),
        consent=True,
    )
    first = runner.run(inputs, OFFICER, today=date(2026, 11, 25))
    held = runner.run(inputs, OFFICER, today=date(2026, 11, 25))
    assert held.outcome == "held_for_supervisor" and len(gallery.index) == 1
    review = DuplicateReview(
        store, audit, GalleryDeduplicator(gallery), index_update=gallery.add_rows
    )
    with pytest.raises(ForbiddenError):
        review.held(OFFICER)
    (waiting,) = review.held(SUPERVISOR)
    case = review.case(waiting.enrollment_id, SUPERVISOR)
    assert case.name == "MARIA ULINA SIREGAR" and case.face is not None
    ((candidate, image),) = case.candidates
    assert candidate.subject_id == first.session.traveller_id and image is not None
    decided = review.decide(waiting.enrollment_id, SUPERVISOR, same_person=same, note="checked")
    assert decided.status is EnrollmentStatus(status)
    assert review.held(SUPERVISOR) == [] and len(gallery.index) == indexed

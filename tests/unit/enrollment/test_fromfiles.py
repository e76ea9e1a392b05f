"""Enrollment from files with fake face/finger engines, the real session, store and face index."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from devices.epassport.emulator import records
from enrollment.fromfiles import FileEnrollment, FileEnrollmentRunner, NoFingerprintPipeline
from enrollment.gallery import FaceGallery, GalleryDeduplicator
from enrollment.receipt import receipt_data, render_html
from enrollment.session import FingerCapture
from models.audit import AuditLog
from models.biometric import FingerPosition, ImageData
from models.enrollment import EnrollmentStatus
from models.errors import MalformedDataError, MRZError, NotAvailableError
from models.roles import Principal, Role
from models.store import Store
from tests import factories
from tests.unit.enrollment.fakefaces import FakeFaces, found, no_face

OFFICER = Principal("officer-7", frozenset({Role.OFFICER}))
SUPERVISOR = Principal("sup-1", frozenset({Role.SUPERVISOR}))
MRZ = (
    "P<IDNSIREGAR<<MARIA<ULINA<<<<<<<<<<<<<<<<<<<",
    "C7777777<9IDN8803148X3101090<<<<<<<<<<<<<<04",
)
TODAY = date(2026, 11, 25)
BOTH_MISSING = (
    (FingerPosition.RIGHT_INDEX, "bandaged"),
    (FingerPosition.LEFT_INDEX, "amputated"),
)


class FakeFingers:
    """Scripted NFIQ-like qualities, in order of the captures offered."""

    def __init__(self, qualities: list[float]) -> None:
        self.qualities = qualities

    def capture(
        self, position: FingerPosition, image: ImageData, pixels: npt.NDArray[np.uint8]
    ) -> FingerCapture:
        quality = self.qualities.pop(0)
        template = dataclasses.replace(
            factories.fingerprint_template(f"fp-{position.name}-{len(self.qualities)}"),
            position=position,
        )
        return FingerCapture(position, image, template, quality, "fake")


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "face.png"
    Image.fromarray(np.full((64, 48, 3), 120, np.uint8)).save(path)
    return path


def runner(
    store: Store, faces: FakeFaces, fingers: FakeFingers | None = None
) -> FileEnrollmentRunner:
    gallery = FaceGallery.in_memory(store)
    return FileEnrollmentRunner(
        store,
        AuditLog(store, Ed25519PrivateKey.generate()),
        faces,
        GalleryDeduplicator(gallery),
        fingers=fingers,
        index_update=gallery.add_rows,
        office_id="WAYKANAN",
        kiosk_id="KIOSK-1",
    )


def test_good_capture_is_enrolled_and_indexed(store: Store, image: Path) -> None:
    run = runner(store, FakeFaces([found(1)]))
    outcome = run.run(
        FileEnrollment(image, MRZ, missing=BOTH_MISSING, consent=True), OFFICER, today=TODAY
    )
    assert outcome.outcome == "enrolled" and outcome.reasons == []
    data = outcome.to_json()
    assert data["status"] == "active" and data["document"]["document_number"] == "C7777777"
    assert data["deduplication"]["candidates"] == []
    assert store.enrollments.count() == 1 and store.outbox.pending()
    assert len(run.dedup.gallery.index) == 1  # type: ignore[attr-defined]


def test_poor_capture_without_override_is_refused_with_the_failing_rules(
    store: Store, image: Path
) -> None:
    poor = found(1, failed=("eye_distance", "pitch"), quality=40)
    outcome = runner(store, FakeFaces([poor])).run(
        FileEnrollment(image, MRZ, missing=BOTH_MISSING, consent=True), OFFICER, today=TODAY
    )
    assert outcome.outcome == "refused"
    assert outcome.reasons == ["icao:eye_distance", "icao:pitch"]
    assert store.enrollments.count() == 0
    assert [r.action for r in store.audit] == ["enrollment.refused"]


def test_override_needs_a_supervisor_then_enrolls(store: Store, image: Path) -> None:
    inputs = FileEnrollment(
        image,
        MRZ,
        missing=BOTH_MISSING,
        consent=True,
        override_reason="traveller has a medical condition affecting posture",
    )
    poor = found(1, failed=("pitch",), quality=60)
    refused = runner(store, FakeFaces([poor])).run(inputs, OFFICER, today=TODAY)
    assert refused.reasons == ["override_needs_supervisor_approval"]
    approved = runner(store, FakeFaces([poor])).run(
        inputs, OFFICER, today=TODAY, supervisor=SUPERVISOR
    )
    assert approved.outcome == "enrolled"
    assert approved.to_json()["face"]["override_approved_by"] == "sup-1"


def test_the_same_face_twice_is_held_for_a_supervisor(store: Store, image: Path) -> None:
    run = runner(store, FakeFaces([found(5), found(5), found(9)]))
    inputs = FileEnrollment(image, MRZ, missing=BOTH_MISSING, consent=True)
    first = run.run(inputs, OFFICER, today=TODAY)
    second = run.run(inputs, OFFICER, today=TODAY)
    assert second.outcome == "held_for_supervisor"
    (candidate,) = second.candidates
    assert candidate.subject_id == first.session.traveller_id
    assert candidate.gallery == "travellers" and candidate.score > 0.99
    assert second.stored is not None
    assert second.stored.enrollment.status is EnrollmentStatus.PENDING_REVIEW
    assert run.run(inputs, OFFICER, today=TODAY).outcome == "enrolled"  # another face


def test_fingers_get_retries_and_a_missing_index_finger_refuses(store: Store, image: Path) -> None:
    finger = image
    inputs = FileEnrollment(
        image,
        MRZ,
        fingers=(
            (FingerPosition.RIGHT_INDEX, finger),
            (FingerPosition.RIGHT_INDEX, finger),
            (FingerPosition.LEFT_INDEX, finger),
        ),
        consent=True,
    )
    outcome = runner(store, FakeFaces(), FakeFingers([20, 60, 70])).run(
        inputs, OFFICER, today=TODAY
    )
    assert [(f["position"], f["attempt"], f["result"]) for f in outcome.fingers] == [
        ("RIGHT_INDEX", 1, "retry"),
        ("RIGHT_INDEX", 2, "accepted"),
        ("LEFT_INDEX", 1, "accepted"),
    ]
    assert outcome.outcome == "enrolled"
    stored = outcome.stored
    assert stored is not None and len(stored.enrollment.fingerprint_template_ids) == 2
    one = dataclasses.replace(inputs, fingers=inputs.fingers[:1])
    refused = runner(store, FakeFaces(), FakeFingers([80])).run(one, OFFICER, today=TODAY)
    assert refused.reasons == ["finger_not_captured:LEFT_INDEX"]


def test_without_consent_nothing_is_stored(store: Store, image: Path) -> None:
    outcome = runner(store, FakeFaces()).run(
        FileEnrollment(image, MRZ, missing=BOTH_MISSING), OFFICER, today=TODAY
    )
    assert outcome.reasons == ["no_consent"] and store.enrollments.count() == 0


def test_no_face_is_refused(store: Store, image: Path) -> None:
    outcome = runner(store, FakeFaces([no_face()])).run(
        FileEnrollment(image, MRZ, missing=BOTH_MISSING, consent=True), OFFICER, today=TODAY
    )
    assert outcome.reasons == ["no_face_found"]


def test_bad_inputs_raise_typed_errors(store: Store, image: Path, tmp_path: Path) -> None:
    run = runner(store, FakeFaces())
    bad_mrz = (MRZ[0], MRZ[1][:-1] + "5")
    with pytest.raises(MRZError):
        run.run(FileEnrollment(image, bad_mrz, consent=True), OFFICER, today=TODAY)
    (tmp_path / "notimage.png").write_bytes(b"plain text")
    with pytest.raises(MalformedDataError):
        run.run(FileEnrollment(tmp_path / "notimage.png", MRZ), OFFICER, today=TODAY)
    with pytest.raises(MalformedDataError, match="no DG1"):
        run.run(FileEnrollment(image, chip_dump=tmp_path), OFFICER, today=TODAY)
    inputs = FileEnrollment(image, MRZ, fingers=((FingerPosition.RIGHT_INDEX, image),))
    with pytest.raises(NotAvailableError):
        FileEnrollmentRunner(
            store, run.audit, FakeFaces(), run.dedup, fingers=NoFingerprintPipeline()
        ).run(inputs, OFFICER, today=TODAY)


def test_chip_dump_photo_is_compared_with_the_face(
    store: Store, image: Path, tmp_path: Path
) -> None:
    jpeg = tmp_path / "chip.jpg"
    Image.fromarray(np.full((80, 60, 3), 100, np.uint8)).save(jpeg)
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "DG1.bin").write_bytes(records.dg1(list(MRZ)))
    (dump / "DG2.bin").write_bytes(records.dg2(jpeg.read_bytes(), 60, 80))
    same = runner(store, FakeFaces([found(3), found(3)])).run(
        FileEnrollment(image, chip_dump=dump, missing=BOTH_MISSING, consent=True),
        OFFICER,
        today=TODAY,
    )
    assert same.outcome == "enrolled"
    assert same.to_json()["chip_photo"]["decision"] == "match"
    other = runner(store, FakeFaces([found(3), found(4)])).run(
        FileEnrollment(image, chip_dump=dump, missing=BOTH_MISSING, consent=True),
        OFFICER,
        today=TODAY,
    )
    assert other.reasons == ["face_differs_from_chip_photo"]


def test_receipt_has_no_biometric_data(store: Store, image: Path) -> None:
    outcome = runner(store, FakeFaces()).run(
        FileEnrollment(image, MRZ, missing=BOTH_MISSING, consent=True), OFFICER, today=TODAY
    )
    assert outcome.stored is not None
    html = render_html(receipt_data(outcome.stored, "IDN", []))
    assert outcome.stored.enrollment.enrollment_id in html
    assert "MARIA ULINA SIREGAR" in html and "•••••777" in html and "C7777777" not in html
    assert "<img" not in html and "data:" not in html and "score" not in html.lower()
    assert "bandaged" in html and "Terdaftar / Enrolled" in html

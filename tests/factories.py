"""Builders of one valid record of every domain type, for round-trip tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from models.biometric import (
    FaceSample,
    FaceTemplate,
    FingerPosition,
    FingerprintSample,
    FingerprintTemplate,
    ImageData,
    SampleSource,
)
from models.enrollment import Enrollment, EnrollmentStatus, MissingFinger
from models.events import (
    CheckOutcome,
    CheckResult,
    Decision,
    Outcome,
    ReasonCode,
    Referral,
    ReferralStatus,
    Score,
    StepTiming,
    VerificationEvent,
)
from models.identity import MrzType, Sex, TravelDocument, Traveller, TravellerCategory
from models.operations import (
    AuditRecord,
    DeviceKind,
    DeviceState,
    DeviceStatus,
    KioskIdentity,
    KioskStatus,
)
from models.watchlist import WatchlistCategory, WatchlistEntry

if TYPE_CHECKING:
    from models.store import Store

NOW = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)


def traveller(traveller_id: str = "t-1") -> Traveller:
    return Traveller(
        traveller_id=traveller_id,
        surname="SIREGAR",
        given_names="MARIA ULINA",
        nationality="IDN",
        birth_date=date(1988, 3, 14),
        sex=Sex.FEMALE,
        category=TravellerCategory.CITIZEN,
    )


def document(number: str = "C1234567") -> TravelDocument:
    return TravelDocument(
        mrz_type=MrzType.TD3,
        document_code="P",
        issuing_state="IDN",
        document_number=number,
        surname="SIREGAR",
        given_names="MARIA ULINA",
        nationality="IDN",
        birth_date=date(1988, 3, 14),
        sex=Sex.FEMALE,
        expiry_date=date(2031, 1, 9),
    )


def image(encoding: str = "png") -> ImageData:
    return ImageData(
        encoding=encoding, data=b"\x89PNG\r\n\x1a\n" + bytes(range(40)), width=4, height=5
    )


def face_sample(sample_id: str = "fs-1") -> FaceSample:
    return FaceSample(sample_id, "t-1", NOW, SampleSource.LIVE, image(), quality=81.5)


def fingerprint_sample(sample_id: str = "fps-1") -> FingerprintSample:
    return FingerprintSample(
        sample_id,
        "t-1",
        NOW,
        SampleSource.ENROLMENT,
        FingerPosition.RIGHT_INDEX,
        image(),
        500,
        64.0,
        "nfiq2",
    )


def face_template(
    template_id: str = "ft-1", subject_id: str | None = "t-1", seed: int = 1
) -> FaceTemplate:
    vector = np.random.default_rng(seed).standard_normal(128).astype(np.float32)
    return FaceTemplate.from_array(
        vector,
        template_id=template_id,
        subject_id=subject_id,
        algorithm="dlib-resnet-v1",
        created_at=NOW,
        source=SampleSource.CHIP,
        quality=77.0,
    )


def fingerprint_template(template_id: str = "fpt-1") -> FingerprintTemplate:
    return FingerprintTemplate(
        template_id,
        "t-1",
        FingerPosition.LEFT_INDEX,
        "iso19794-2:2005",
        b"FMR\x00 20\x00",
        31,
        NOW,
        SampleSource.IMPORT,
        None,
    )


def enrollment(enrollment_id: str = "en-1") -> Enrollment:
    return Enrollment(
        enrollment_id=enrollment_id,
        traveller_id="t-1",
        document_number="C1234567",
        enrolled_at=NOW,
        officer_id="officer-7",
        office_id="WAYKANAN",
        kiosk_id="KIOSK-1",
        consent_given=True,
        face_template_ids=("ft-1",),
        fingerprint_template_ids=("fpt-1", "fpt-2"),
        missing_fingers=(MissingFinger(FingerPosition.LEFT_LITTLE, "amputated"),),
        status=EnrollmentStatus.PENDING_REVIEW,
        override_reason=None,
    )


def watchlist_entry(entry_id: str = "wl-1", *, valid_days: int | None = 30) -> WatchlistEntry:
    return WatchlistEntry(
        entry_id=entry_id,
        source_agency="POLRI",
        category=WatchlistCategory.WANTED,
        reason="warrant 17/2026",
        valid_from=NOW - timedelta(days=1),
        valid_until=None if valid_days is None else NOW + timedelta(days=valid_days),
        created_at=NOW,
        updated_at=NOW,
        full_name="BUDI SANTOSO",
        nationality="IDN",
        document_numbers=("B7654321",),
        face_template_ids=("ft-9",),
    )


def watch_fingers(store: Store, entry_id: str, templates: Sequence[FingerprintTemplate]) -> None:
    """A watchlist entry of ``templates`` only (no face), stored with them in one transaction."""
    entry = replace(
        watchlist_entry(entry_id),
        face_template_ids=(),
        fingerprint_template_ids=tuple(t.template_id for t in templates),
    )
    with store.atomic():
        for template in templates:
            store.fingerprint_templates.add(template)
        store.watchlist.add(entry)


def event(event_id: str = "ev-1", started: datetime = NOW) -> VerificationEvent:
    return VerificationEvent(
        event_id=event_id,
        kiosk_id="KIOSK-1",
        office_id="WAYKANAN",
        started_at=started,
        finished_at=started + timedelta(seconds=14),
        traveller_category=TravellerCategory.FOREIGNER,
        issuing_state="MYS",
        document_number="A00000000",
        traveller_id=None,
        checks=(
            CheckResult("mrz", CheckOutcome.PASSED),
            CheckResult("face_1to1", CheckOutcome.FAILED, "below_threshold"),
        ),
        scores=(Score("face_1to1", 0.41, 0.55),),
        decision=Decision(Outcome.REFER, (ReasonCode.FACE_MISMATCH,)),
        timings=(StepTiming("chip_read", 2310.5), StepTiming("face_capture", 4100.0)),
        satisfaction=4,
    )


def referral(referral_id: str = "rf-1") -> Referral:
    return Referral(
        referral_id,
        "ev-1",
        "KIOSK-1",
        NOW,
        (ReasonCode.FACE_MISMATCH,),
        ReferralStatus.CLEARED,
        "officer-7",
        "glasses; verified by hand",
        NOW + timedelta(minutes=3),
    )


def device_status(device_id: str = "cam-0") -> DeviceStatus:
    return DeviceStatus(
        device_id, DeviceKind.CAMERA, "opencv", DeviceState.READY, NOW, ("autofocus",), "v4l2"
    )


def audit_record(seq: int = 1) -> AuditRecord:
    return AuditRecord(
        seq,
        NOW,
        "kiosk",
        "decision",
        "ev-1",
        '{"outcome":"refer"}',
        b"\0" * 32,
        b"\1" * 32,
        b"\2" * 64,
    )


def kiosk_identity() -> KioskIdentity:
    return KioskIdentity("KIOSK-1", "WAYKANAN", b"\x07" * 32, NOW, KioskStatus.ACTIVE, NOW)


ALL_RECORDS = (
    traveller(),
    document(),
    face_sample(),
    fingerprint_sample(),
    face_template(),
    fingerprint_template(),
    enrollment(),
    watchlist_entry(),
    event(),
    referral(),
    device_status(),
    audit_record(),
    kiosk_identity(),
)

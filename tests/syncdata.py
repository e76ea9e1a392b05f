"""Builders of sync test data: kiosk settings, events, watchlist bundles, enrollments."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from models import codec
from models.biometric import FaceTemplate, SampleSource
from models.bundles import EnrollmentBundle, WatchlistBundle
from models.enrollment import Enrollment
from models.settings import Settings, validate_settings
from models.store import Store
from models.watchlist import WatchlistCategory, WatchlistEntry
from tests import factories

NOW = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)


def kiosk_settings(data_dir: Path, kiosk_id: str, office_id: str, server_url: str = "") -> Settings:
    return validate_settings(
        {
            "kiosk": {"id": kiosk_id, "office_id": office_id},
            "paths": {"data_dir": str(data_dir)},
            "sync": {"server_url": server_url},
        }
    )


def enqueue_events(
    store: Store, kiosk_id: str, office_id: str, n: int, *, prefix: str = ""
) -> list[str]:
    ids = []
    with store.atomic():
        for i in range(n):
            event_id = f"{prefix}{kiosk_id}-ev-{i}-{uuid.uuid4().hex[:6]}"
            event = dataclasses.replace(
                factories.event(event_id, NOW + timedelta(seconds=i)),
                kiosk_id=kiosk_id,
                office_id=office_id,
            )
            store.outbox.enqueue("verification_event", f"event:{event_id}", codec.dumps(event))
            ids.append(event_id)
    return ids


def face(template_id: str, rng: np.random.Generator, subject: str | None = None) -> FaceTemplate:
    vector = rng.standard_normal(128).astype("<f4")
    return FaceTemplate.from_array(
        vector / np.linalg.norm(vector),
        template_id=template_id,
        subject_id=subject,
        algorithm="test-128",
        created_at=NOW,
        source=SampleSource.IMPORT,
    )


def watchlist_bundle(entry_id: str, rng: np.random.Generator, *, faces: int = 1) -> WatchlistBundle:
    templates = tuple(face(f"{entry_id}-f{i}", rng, entry_id) for i in range(faces))
    entry = WatchlistEntry(
        entry_id=entry_id,
        source_agency="POLRI",
        category=WatchlistCategory.WANTED,
        reason="warrant",
        valid_from=NOW - timedelta(days=1),
        valid_until=None,
        created_at=NOW,
        updated_at=NOW,
        document_numbers=("X1234567",),
        face_template_ids=tuple(t.template_id for t in templates),
    )
    return WatchlistBundle(entry, templates)


def watchlist_change(entry_id: str, rng: np.random.Generator) -> dict[str, object]:
    return {
        "kind": "watchlist",
        "id": entry_id,
        "payload": codec.to_json_value(watchlist_bundle(entry_id, rng)),
    }


def enrollment_bundle(
    enrollment_id: str,
    kiosk_id: str,
    office_id: str,
    *,
    document_number: str | None = "C1234567",
    template: FaceTemplate | None = None,
) -> EnrollmentBundle:
    traveller = dataclasses.replace(factories.traveller(), traveller_id=f"t-{enrollment_id}")
    templates = (template,) if template else ()
    enrollment = Enrollment(
        enrollment_id=enrollment_id,
        traveller_id=traveller.traveller_id,
        document_number=document_number,
        enrolled_at=NOW,
        officer_id="officer-1",
        office_id=office_id,
        kiosk_id=kiosk_id,
        consent_given=True,
        face_template_ids=tuple(t.template_id for t in templates),
    )
    return EnrollmentBundle(enrollment, traveller, templates)

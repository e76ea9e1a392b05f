"""A kiosk may only push its own records: it cannot take over another kiosk's enrollment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from models import codec
from sync.server import feeds
from sync.server import schema as s
from sync.server.runner import ThreadedServer
from tests.integration.sync.conftest import KioskFactory
from tests.syncdata import enrollment_bundle, face

pytestmark = pytest.mark.integration


def test_a_kiosk_cannot_overwrite_an_enrollment_made_at_another_kiosk(
    server: ThreadedServer, make_kiosk: KioskFactory
) -> None:
    rng = np.random.default_rng(8)
    way_store, way = make_kiosk(server, "K-WAY", "WAYKANAN")
    ent_store, ent = make_kiosk(server, "K-ENT", "ENTIKONG")
    way2_store, way2 = make_kiosk(server, "K-WAY2", "WAYKANAN")
    own = enrollment_bundle("en-1", "K-WAY", "WAYKANAN", template=face("tf-1", rng))
    way_store.outbox.enqueue("enrollment", "enroll:en-1", codec.dumps(own))
    assert way.run_once().push.accepted == 1
    # Same enrollment id, each record naming the pushing kiosk (so the payload alone
    # looks like the kiosk's own): from another office, and from the same office.
    for store, engine, kiosk_id, office in (
        (ent_store, ent, "K-ENT", "ENTIKONG"),
        (way2_store, way2, "K-WAY2", "WAYKANAN"),
    ):
        taken = enrollment_bundle("en-1", kiosk_id, office, document_number="Z9999999")
        store.outbox.enqueue("enrollment", "enroll:en-1", codec.dumps(taken))
        report = engine.run_once()
        assert (report.push.accepted, report.push.rejected) == (0, 1)
        (pending,) = store.outbox.pending(limit=10, now=datetime.now(UTC) + timedelta(days=2))
        assert pending.last_error == "rejected:not_own_record"
    central = server.central
    with central.engine.connect() as conn:
        row = conn.execute(
            select(s.central_enrollments.c.kiosk_id, s.central_enrollments.c.office_id).where(
                s.central_enrollments.c.enrollment_id == "en-1"
            )
        ).one()
        assert tuple(row) == ("K-WAY", "WAYKANAN")
        assert feeds.scope_of(conn, "traveller", "en-1") == "WAYKANAN"
    assert central.counts()["pushed"].get("enrollment", 0) == 1
    # The enrolling kiosk may still update its own record.
    updated = enrollment_bundle("en-1", "K-WAY", "WAYKANAN", template=face("tf-1", rng))
    way_store.outbox.enqueue("enrollment", "enroll:en-1:2", codec.dumps(updated))
    # the update, and the audit head moved by the feed.apply record of the last pull
    assert way.run_once().push.accepted == 2

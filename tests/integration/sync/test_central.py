"""The central side: de-duplication flags, dashboard data, admin API, schema, health."""

from __future__ import annotations

import dataclasses

import httpx
import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from models import codec
from models.audit import AuditLog
from models.biometric import FaceTemplate
from sync.server.db import head_revision
from sync.server.runner import ThreadedServer
from sync.server.schema import metadata
from tests import factories
from tests.integration.sync.conftest import KioskFactory
from tests.syncdata import enrollment_bundle, face, watchlist_change

pytestmark = pytest.mark.integration


def test_migrations_create_exactly_the_declared_schema(server: ThreadedServer) -> None:
    with server.central.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    assert server.central.migrate() == []  # idempotent
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok", "revision": None}
    assert httpx.get(f"{server.url}/readyz").json() == {
        "status": "ready",
        "revision": head_revision(),
    }


def test_same_person_enrolled_at_two_offline_posts_is_flagged(
    server: ThreadedServer, make_kiosk: KioskFactory
) -> None:
    rng = np.random.default_rng(5)
    base = face("tf-a", rng)
    near = FaceTemplate.from_array(
        base.as_array() + 0.02 * rng.standard_normal(128).astype("<f4"),
        template_id="tf-c",
        subject_id=None,
        algorithm=base.algorithm,
        created_at=base.created_at,
        source=base.source,
    )
    posts = [("K-WAY", "WAYKANAN"), ("K-ENT", "ENTIKONG"), ("K-ATA", "ATAMBUA")]
    bundles = [
        # the same passport enrolled at two posts while both were offline
        enrollment_bundle("en-1", "K-WAY", "WAYKANAN", document_number="C1234567", template=base),
        enrollment_bundle(
            "en-2",
            "K-ENT",
            "ENTIKONG",
            document_number="c 1234567",
            template=dataclasses.replace(base, template_id="tf-b"),
        ),
        # another passport, but a face that is nearly the same
        enrollment_bundle("en-3", "K-ATA", "ATAMBUA", document_number="X7654321", template=near),
    ]
    for (kiosk_id, office), bundle in zip(posts, bundles, strict=True):
        store, engine = make_kiosk(server, kiosk_id, office)
        store.outbox.enqueue("enrollment", bundle.enrollment.enrollment_id, codec.dumps(bundle))
        engine.run_once()
    central = server.central
    exact = {(f["reason"], f["enrollment_id"], f["other_enrollment_id"]) for f in central.flags()}
    assert exact == {("same_document", "en-1", "en-2"), ("same_face_template", "en-1", "en-2")}
    run = central.run_dedup(threshold=0.9)
    assert run["new"] == 3 and run["flagged"] >= 2
    similar = [f for f in central.flags() if f["reason"] == "similar_face"]
    assert {(f["enrollment_id"], f["other_enrollment_id"]) for f in similar} == {
        ("en-1", "en-3"),
        ("en-2", "en-3"),
        ("en-1", "en-2"),
    }
    assert all(f["score"] >= 0.9 for f in similar)
    assert central.run_dedup(threshold=0.9)["new"] == 0  # watermark: nothing new
    flag = similar[0]["flag_id"]
    assert central.resolve_flag(flag, by="supervisor-1")
    assert not central.resolve_flag(flag, by="supervisor-1")
    assert len(central.flags(None)) == len(central.flags()) + 1


def test_status_audit_heads_and_device_health_feed_the_dashboard(
    server: ThreadedServer, make_kiosk: KioskFactory
) -> None:
    store, engine = make_kiosk(server, "K-DASH")
    audit = AuditLog(store, engine._key)
    for i in range(3):
        audit.append("officer-1", "decision", f"ev-{i}")
    store.outbox.enqueue("device_status", "dev:1", codec.dumps(factories.device_status()))
    server.central.publish(
        [
            {
                "kind": "policy",
                "id": "global",
                "payload": {
                    "version": 1,
                    "max_days_offline": 10,
                    "watchlist_stale_hours": 48.0,
                    "max_outbox_items": 500,
                },
            }
        ]
    )
    engine.run_once()
    (row,) = server.central.dashboard()["kiosks"]
    assert row["kiosk_id"] == "K-DASH" and row["feed_lag"] == 0 and row["outbox_depth"] == 0
    assert row["mode"] == "normal" and row["offline"]["reasons"] == []  # feed fully applied
    assert row["audit_head_at"] is not None and row["audit_head_seq"] == 3
    assert row["open_security_alerts"] == 0
    # the pushed head is the third record; the pull that followed added the fourth (feed.apply)
    records = list(store.audit)
    assert [r.action for r in records][3:] == ["feed.apply"]
    held = server.central.kiosk_audit_heads("K-DASH")
    assert [(h["seq"], h["entry_hash"]) for h in held] == [(3, records[2].entry_hash.hex())]
    with server.central.engine.connect() as conn:
        assert conn.execute(text("SELECT state FROM device_health")).scalar_one() == "ready"
    assert engine.policy().max_days_offline == 10


def test_admin_api_needs_a_token(server: ThreadedServer) -> None:
    assert httpx.get(f"{server.url}/admin/v1/kiosks").status_code == 401
    bad = httpx.get(f"{server.url}/admin/v1/kiosks", headers={"Authorization": "Bearer nope"})
    assert bad.json()["error"]["code"] == "admin.bad_token"
    token = server.central.create_token("dashboard")
    auth = {"Authorization": f"Bearer {token}"}
    issued = httpx.post(
        f"{server.url}/admin/v1/registration-codes", json={"office_id": "WAYKANAN"}, headers=auth
    )
    assert issued.status_code == 200 and len(issued.json()["code"]) == 19
    rng = np.random.default_rng(1)
    published = httpx.post(
        f"{server.url}/admin/v1/feed", json={"changes": [watchlist_change("w1", rng)]}, headers=auth
    )
    assert published.json() == {"published": 1, "first_seq": 1, "last_seq": 1}
    malformed = httpx.post(
        f"{server.url}/admin/v1/feed",
        json={"changes": [{"kind": "watchlist", "id": "w2", "payload": {}}]},
        headers=auth,
    )
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "feed.malformed"
    retract = httpx.post(
        f"{server.url}/admin/v1/feed",
        json={"changes": [{"kind": "watchlist", "id": "w1", "deleted": True}]},
        headers=auth,
    )
    assert retract.json()["last_seq"] == 2
    assert httpx.get(f"{server.url}/admin/v1/dashboard", headers=auth).json()["feed_head"] == 2
    unknown = httpx.post(
        f"{server.url}/admin/v1/kiosks/K-X/revoke", json={"reason": "x"}, headers=auth
    )
    assert unknown.status_code == 404
    assert httpx.get(f"{server.url}/admin/v1/dedup/flags", headers=auth).json() == []
    assert httpx.post(f"{server.url}/admin/v1/dedup/run", json={}, headers=auth).json()["new"] == 0
    assert httpx.get(f"{server.url}/admin/v1/counts", headers=auth).json()["feed_records"] == 1
    assert httpx.get(f"{server.url}/v1/server-key").status_code == 401  # kiosks only

from __future__ import annotations

import dataclasses
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models import codec
from models.audit import AuditLog
from models.events import ReferralStatus
from models.retention import RetentionPolicy, run_retention
from models.staff import LegalHold
from models.store import Store
from tests import factories

NOW = factories.NOW


def _seed(store: Store) -> None:
    for i, age in enumerate((40, 31, 29, 1)):
        event = factories.event(f"ev-{i}", NOW - timedelta(days=age))
        store.events.add(event)
        store.outbox.enqueue("verification_event", event.event_id, codec.dumps(event))
    store.outbox.mark_sent([1, 2, 3, 4])
    store.referrals.add(
        dataclasses.replace(factories.referral("rf-old"), created_at=NOW - timedelta(days=100))
    )
    store.referrals.add(
        dataclasses.replace(
            factories.referral("rf-open"),
            created_at=NOW - timedelta(days=100),
            status=ReferralStatus.OPEN,
        )
    )
    store.face_samples.add(
        dataclasses.replace(factories.face_sample("img-1"), captured_at=NOW - timedelta(hours=1))
    )


def test_boundaries_holds_and_dry_run(store: Store) -> None:
    _seed(store)
    audit = AuditLog(store, Ed25519PrivateKey.generate())
    store.holds.add(LegalHold("verification_event", "ev-0", "CASE-2026-17", "supervisor-1", NOW))
    dry = run_retention(store, audit, RetentionPolicy(), now=NOW, dry_run=True)
    assert dry.kinds["verification_event"].eligible == 2  # 40 and 31 days old; 29 days stays
    assert dry.kinds["verification_event"].held == 1
    assert store.events.count() == 4 and store.audit.count() == 0  # a dry run changes nothing
    report = run_retention(store, audit, RetentionPolicy(), now=NOW, dry_run=False)
    assert report.kinds["verification_event"].purged == 1
    assert {e.event_id for e in store.events} == {"ev-0", "ev-2", "ev-3"}
    assert [r.referral_id for r in store.referrals] == ["rf-open"]  # open referrals stay
    assert store.face_samples.count() == 0  # images go once their templates exist
    (record,) = list(store.audit)
    assert record.action == "retention.purge"
    assert '"verification_event":1' in record.detail


def test_unsynced_records_are_never_purged(store: Store) -> None:
    old = factories.event("ev-unsent", NOW - timedelta(days=90))
    store.events.add(old)
    store.outbox.enqueue("verification_event", old.event_id, codec.dumps(old))
    report = run_retention(
        store,
        AuditLog(store, Ed25519PrivateKey.generate()),
        RetentionPolicy(),
        now=NOW,
        dry_run=False,
    )
    assert report.kinds["verification_event"].unsynced == 1
    assert store.events.exists("ev-unsent")
    assert store.audit.count() == 0  # nothing purged, nothing to audit

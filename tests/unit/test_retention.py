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


def _event(store: Store, event_id: str, age_days: int, *, synced: bool = True) -> None:
    event = factories.event(event_id, NOW - timedelta(days=age_days))
    store.events.add(event)
    store.outbox.enqueue("verification_event", event.event_id, codec.dumps(event))
    if synced:
        store.outbox.mark_sent(
            [
                item.row_id
                for item in store.outbox.pending(limit=1000)
                if item.idempotency_key == event_id
            ]
        )


def _audit(store: Store) -> AuditLog:
    return AuditLog(store, Ed25519PrivateKey.generate())


def test_event_boundaries_holds_and_dry_run(store: Store) -> None:
    for i, age in enumerate((40, 31, 29, 1)):
        _event(store, f"ev-{i}", age)
    store.holds.add(LegalHold("verification_event", "ev-0", "CASE-2026-17", "supervisor-1", NOW))
    dry = run_retention(store, _audit(store), RetentionPolicy(), now=NOW, dry_run=True)
    counts = dry.kinds["verification_event"]
    assert (counts.eligible, counts.held, counts.kept, counts.purged) == (2, 1, 0, 0)
    assert store.events.count() == 4 and store.audit.count() == 0  # a dry run changes nothing
    report = run_retention(store, _audit(store), RetentionPolicy(), now=NOW, dry_run=False)
    assert report.kinds["verification_event"].purged == 1
    assert {e.event_id for e in store.events} == {"ev-0", "ev-2", "ev-3"}
    (record,) = list(store.audit)
    assert record.action == "retention.purge" and '"verification_event":1' in record.detail


def test_unsynced_records_are_never_purged(store: Store) -> None:
    _event(store, "ev-unsent", 90, synced=False)
    report = run_retention(store, _audit(store), RetentionPolicy(), now=NOW, dry_run=False)
    assert report.kinds["verification_event"].kept == 1
    assert store.events.exists("ev-unsent")
    assert store.audit.count() == 0  # nothing purged, nothing to audit


def test_open_referrals_keep_their_event_and_evidence(store: Store) -> None:
    _event(store, "ev-open", 60)
    _event(store, "ev-closed", 60)
    store.referrals.add(
        dataclasses.replace(
            factories.referral("rf-open"),
            event_id="ev-open",
            status=ReferralStatus.OPEN,
            created_at=NOW - timedelta(days=60),
        )
    )
    for event_id in ("ev-open", "ev-closed"):
        store.face_samples.add(
            dataclasses.replace(
                factories.face_sample(f"live-{event_id}"),
                subject_id=event_id,
                captured_at=NOW - timedelta(days=60),
            )
        )
    run_retention(store, _audit(store), RetentionPolicy(), now=NOW, dry_run=False)
    assert store.events.exists("ev-open") and not store.events.exists("ev-closed")
    assert [s.sample_id for s in store.face_samples] == ["live-ev-open"]


def test_closed_referrals_go_only_once_their_decision_is_synced(store: Store) -> None:
    old = NOW - timedelta(days=100)
    store.referrals.add(dataclasses.replace(factories.referral("rf-synced"), created_at=old))
    store.referrals.add(dataclasses.replace(factories.referral("rf-pending"), created_at=old))
    store.referrals.add(
        dataclasses.replace(
            factories.referral("rf-still-open"), created_at=old, status=ReferralStatus.OPEN
        )
    )
    store.outbox.enqueue(
        "referral", "rf-pending:cleared", b"{}"
    )  # the decision is not at the centre yet
    report = run_retention(store, _audit(store), RetentionPolicy(), now=NOW, dry_run=False)
    assert sorted(r.referral_id for r in store.referrals) == ["rf-pending", "rf-still-open"]
    assert report.kinds["referral"].kept == 1


def test_images_go_once_their_subject_has_a_template(store: Store) -> None:
    hour_ago = NOW - timedelta(hours=1)
    store.face_samples.add(
        dataclasses.replace(
            factories.face_sample("img-templated"), subject_id="t-1", captured_at=hour_ago
        )
    )
    store.face_samples.add(
        dataclasses.replace(
            factories.face_sample("img-waiting"), subject_id="t-2", captured_at=hour_ago
        )
    )
    store.face_templates.add(factories.face_template("ft-1", "t-1"))
    report = run_retention(store, _audit(store), RetentionPolicy(), now=NOW, dry_run=False)
    assert [s.sample_id for s in store.face_samples] == ["img-waiting"]
    assert (report.kinds["face_sample"].purged, report.kinds["face_sample"].kept) == (1, 1)

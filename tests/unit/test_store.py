from __future__ import annotations

import dataclasses
import secrets
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from models import codec
from models.errors import DuplicateRecordError, RecordNotFoundError, SealError, StoreError
from models.store import SCHEMA_VERSION, Store
from models.store.repository import Repository
from tests import factories

REPOSITORIES = {
    "Traveller": "travellers",
    "TravelDocument": "documents",
    "FaceSample": "face_samples",
    "FingerprintSample": "fingerprint_samples",
    "FaceTemplate": "face_templates",
    "FingerprintTemplate": "fingerprint_templates",
    "Enrollment": "enrollments",
    "WatchlistEntry": "watchlist",
    "VerificationEvent": "events",
    "Referral": "referrals",
    "DeviceStatus": "devices",
    "KioskIdentity": "kiosk",
}


def test_every_record_type_has_a_home() -> None:
    names = {type(r).__name__ for r in factories.ALL_RECORDS}
    assert names == set(REPOSITORIES) | {"AuditRecord"}


@pytest.mark.parametrize(
    "record",
    [r for r in factories.ALL_RECORDS if type(r).__name__ in REPOSITORIES],
    ids=lambda r: type(r).__name__,
)
def test_store_round_trips_every_record_type(store: Store, record: object) -> None:
    repo: Repository[object] = getattr(store, REPOSITORIES[type(record).__name__])
    row_id = repo.add(record)
    assert row_id >= 1
    public_id = repo.spec.id_of(record, repo._sealer)
    assert repo.get(public_id) == record
    assert repo.get_by_row_id(row_id) == record
    assert list(repo) == [record]
    assert repo.count() == 1


def test_audit_records_round_trip(store: Store) -> None:
    first, second = factories.audit_record(1), factories.audit_record(2)
    store.audit.append(first)
    store.audit.append(second)
    assert list(store.audit) == [first, second]
    assert store.audit.last() == second
    with pytest.raises(DuplicateRecordError):
        store.audit.append(first)


def test_duplicates_and_missing_records_are_typed_errors(store: Store) -> None:
    store.travellers.add(factories.traveller())
    with pytest.raises(DuplicateRecordError) as info:
        store.travellers.add(factories.traveller())
    assert info.value.record_id == "t-1"
    with pytest.raises(RecordNotFoundError):
        store.travellers.get("nobody")
    with pytest.raises(RecordNotFoundError):
        store.travellers.delete("nobody")


def test_put_updates_in_place_and_keeps_the_row_id(store: Store) -> None:
    row_id = store.face_templates.add(factories.face_template(seed=1))
    changed = factories.face_template(seed=2)
    assert store.face_templates.put(changed) == row_id
    assert store.face_templates.get("ft-1") == changed
    assert store.face_templates.count() == 1


def test_atomic_rolls_back_every_write_of_the_block(store: Store) -> None:
    with pytest.raises(RuntimeError), store.atomic():
        store.travellers.add(factories.traveller("a"))
        store.outbox.enqueue("traveller", "a", b"{}")
        raise RuntimeError("power cut")
    assert store.travellers.count() == 0
    assert store.outbox.depth() == 0


def test_nested_atomic_blocks_are_savepoints(store: Store) -> None:
    with store.atomic():
        store.travellers.add(factories.traveller("outer"))
        with pytest.raises(DuplicateRecordError), store.atomic():
            store.travellers.add(factories.traveller("inner"))
            store.travellers.add(factories.traveller("outer"))
    assert [t.traveller_id for t in store.travellers] == ["outer"]


def test_payloads_are_encrypted_and_bound_to_their_row(store: Store) -> None:
    store.documents.add(factories.document("X9999999"))
    store.travellers.add(factories.traveller("t-1"))
    raw = store.database.query("SELECT * FROM travel_documents")[0]
    assert b"X9999999" not in raw["payload"] and "X9999999" not in raw["id"]
    assert b"SIREGAR" not in raw["payload"]
    # A payload copied into another row does not open there.
    store.database.execute(
        "UPDATE travellers SET payload = (SELECT payload FROM travel_documents) WHERE id = 't-1'"
    )
    with pytest.raises(SealError):
        store.travellers.get("t-1")


def test_documents_are_found_by_blind_index(store: Store) -> None:
    store.documents.add(factories.document("C1234567"))
    found = store.documents.find("IDN", "C1234567")
    assert found is not None and found.document_number == "C1234567"
    assert store.documents.find("IDN", "C7654321") is None


def test_wrong_key_cannot_read(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    first = Store.open(path, secrets.token_bytes(32))
    first.travellers.add(factories.traveller())
    first.close()
    other = Store.open(path, secrets.token_bytes(32))
    with pytest.raises(SealError, match="does not authenticate"):
        other.travellers.get("t-1")
    other.close()


def test_file_store_uses_wal_and_survives_reopen(tmp_path: Path, store_key: bytes) -> None:
    path = tmp_path / "sub" / "kiosk.db"
    first = Store.open(path, store_key)
    assert first.database.journal_mode == "wal"
    first.events.add(factories.event())
    first.close()
    again = Store.open(path, store_key)
    assert again.events.get("ev-1") == factories.event()
    assert again.schema_version == SCHEMA_VERSION
    again.close()


def test_queries_by_index_columns(store: Store) -> None:
    store.watchlist.add(factories.watchlist_entry("active", valid_days=30))
    store.watchlist.add(factories.watchlist_entry("open-ended", valid_days=None))
    store.watchlist.add(factories.watchlist_entry("expired", valid_days=-1))
    assert {e.entry_id for e in store.watchlist.active(factories.NOW)} == {"active", "open-ended"}

    store.events.add(factories.event("late", factories.NOW + timedelta(hours=2)))
    store.events.add(factories.event("early", factories.NOW))
    window = store.events.between(factories.NOW, factories.NOW + timedelta(hours=3))
    assert [e.event_id for e in window] == ["early", "late"]

    store.referrals.add(
        dataclasses.replace(factories.referral("open-1"), status=factories.ReferralStatus.OPEN)
    )
    store.referrals.add(factories.referral("done"))
    assert [r.referral_id for r in store.referrals.open_referrals()] == ["open-1"]

    store.face_templates.add(factories.face_template("a", "p1"))
    store.face_templates.add(factories.face_template("b", "p2"))
    assert [t.template_id for t in store.face_templates.for_subject("p2")] == ["b"]
    assert store.face_templates.max_row_id() == 2


def test_outbox_delivers_in_order_and_retries(store: Store) -> None:
    event = factories.event()
    with store.atomic():
        store.events.add(event)
        store.outbox.enqueue(
            "verification_event", event.event_id, codec.dumps(event), now=factories.NOW
        )
        store.outbox.enqueue("referral", "rf-1", b"{}", now=factories.NOW)
    with pytest.raises(DuplicateRecordError):
        store.outbox.enqueue("verification_event", event.event_id, b"{}")
    first, second = store.outbox.pending(now=factories.NOW)
    assert codec.loads(type(event), first.payload) == event
    store.outbox.mark_failed(
        second.row_id, "connection reset", retry_at=factories.NOW + timedelta(minutes=5)
    )
    store.outbox.mark_sent([first.row_id])
    assert store.outbox.pending(now=factories.NOW) == []
    (retry,) = store.outbox.pending(now=factories.NOW + timedelta(minutes=6))
    assert retry.attempts == 1 and retry.last_error == "connection reset"
    assert store.outbox.depth() == 1


def test_opening_a_folder_as_store_is_a_store_error(tmp_path: Path, store_key: bytes) -> None:
    with pytest.raises(StoreError):
        Store.open(tmp_path, store_key)


def test_sqlite_errors_do_not_leak_raw(store: Store) -> None:
    with pytest.raises(StoreError):
        store.database.query("SELECT * FROM no_such_table")
    assert not issubclass(StoreError, sqlite3.Error)


def test_times_in_other_offsets_compare_correctly(store: Store) -> None:
    """Way Kanan's clock says +07:00: queries in local time must find UTC-stored records."""
    from datetime import UTC, datetime, timezone

    wib = timezone(timedelta(hours=7))
    entry = dataclasses.replace(
        factories.watchlist_entry("wl-utc"),
        valid_from=datetime(2026, 11, 25, 11, 0, tzinfo=UTC),
        valid_until=datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
    )
    store.watchlist.add(entry)
    assert [
        e.entry_id for e in store.watchlist.active(datetime(2026, 11, 25, 18, 30, tzinfo=wib))
    ] == ["wl-utc"]
    assert store.watchlist.active(datetime(2026, 11, 25, 19, 1, tzinfo=wib)) == []
    store.events.add(factories.event("ev-local", datetime(2026, 11, 25, 23, 0, tzinfo=wib)))
    found = store.events.between(
        datetime(2026, 11, 25, 15, 0, tzinfo=UTC), datetime(2026, 11, 25, 16, 30, tzinfo=UTC)
    )
    assert [e.event_id for e in found] == ["ev-local"]


def test_put_many_returns_row_ids_and_keeps_them_on_update(store: Store) -> None:
    first = factories.face_template("ft-a")
    second = factories.face_template("ft-b")
    ids = store.face_templates.put_many([first, second])
    assert ids == [store.face_templates.row_id("ft-a"), store.face_templates.row_id("ft-b")]
    changed = dataclasses.replace(first, quality=12.5)
    again = store.face_templates.put_many([changed], [codec.dumps(changed)])
    assert again == ids[:1]
    assert store.face_templates.get("ft-a") == changed
    assert store.face_templates.existing(["ft-a", "ft-x", "ft-b"]) == {"ft-a", "ft-b"}
    with pytest.raises(ValueError, match="one payload per record"):
        store.face_templates.put_many([first], [])

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models.errors import StoreError
from models.store import Store


def test_checkpoint_starts_at_zero_and_moves(store: Store) -> None:
    assert store.sync_state.checkpoint() == 0
    store.sync_state.set_checkpoint(17)
    assert store.sync_state.checkpoint() == 17
    with pytest.raises(ValueError, match=">= 0"):
        store.sync_state.set_checkpoint(-1)


def test_checkpoint_rolls_back_with_the_changes_it_covers(store: Store) -> None:
    store.sync_state.set_checkpoint(5)
    with pytest.raises(RuntimeError), store.atomic():
        store.sync_state.set_checkpoint(9)
        store.feed_documents.put("policy", "global", 9, b"{}")
        raise RuntimeError("crash between applying and committing")
    assert store.sync_state.checkpoint() == 5
    assert store.feed_documents.get("policy", "global") is None


def test_key_values_and_times(store: Store) -> None:
    at = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    store.sync_state.set_time("push.last_success", at)
    store.sync_state.set("server.url", "http://a")
    store.sync_state.set("server.url", "http://b")
    assert store.sync_state.get_time("push.last_success") == at
    assert store.sync_state.get_time("absent") is None
    assert store.sync_state.items()["server.url"] == "http://b"
    store.sync_state.delete("server.url")
    assert store.sync_state.get("server.url") is None
    with pytest.raises(ValueError, match="naive"):
        store.sync_state.set_time("x", datetime(2026, 1, 1))


def test_feed_documents_upsert_list_delete(store: Store) -> None:
    store.feed_documents.put("trust_anchor", "csca-idn-1", 3, b"\x30\x82")
    store.feed_documents.put("trust_anchor", "csca-idn-1", 8, b"\x30\x83")
    store.feed_documents.put("trust_anchor", "csca-mys-1", 9, b"\x30\x84")
    store.feed_documents.put("policy", "global", 10, b"{}")
    docs = store.feed_documents.of_kind("trust_anchor")
    assert [(d.doc_id, d.seq, d.payload) for d in docs] == [
        ("csca-idn-1", 8, b"\x30\x83"),
        ("csca-mys-1", 9, b"\x30\x84"),
    ]
    assert store.feed_documents.count() == 3
    assert store.feed_documents.count("policy") == 1
    assert store.feed_documents.delete("policy", "global")
    assert not store.feed_documents.delete("policy", "global")


def test_closed_store_reports_a_store_error(store_key: bytes) -> None:
    s = Store.open(":memory:", store_key)
    s.close()
    with pytest.raises(StoreError):
        s.sync_state.get("x")

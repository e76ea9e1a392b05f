"""Applying feed pages to the store: atomic with the checkpoint, idempotent, index deltas."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from models import codec
from models.bundles import TrustAnchor
from models.store import Store
from sync.apply import FEED_CURRENT_AT, INDEX_DIRTY, FeedApplier, IndexDelta
from sync.errors import ProtocolError
from sync.policy import PolicyDocument
from sync.protocol import FeedItem, FeedPage
from tests.syncdata import NOW, enrollment_bundle, face, watchlist_bundle


def _page(since: int, items: list[tuple[str, str, Any]], *, more: bool = False) -> FeedPage:
    feed_items = tuple(
        FeedItem(since + i + 1, kind, record_id, payload is None, payload)
        for i, (kind, record_id, payload) in enumerate(items)
    )
    return FeedPage("K", "O", "n", since, since + len(items), more, 0, feed_items)


def _wl(entry_id: str, seed: int = 0, faces: int = 1) -> Any:
    return codec.to_json_value(watchlist_bundle(entry_id, np.random.default_rng(seed), faces=faces))


@pytest.fixture
def deltas() -> list[IndexDelta]:
    return []


@pytest.fixture
def applier(store: Store, deltas: list[IndexDelta]) -> FeedApplier:
    return FeedApplier(store, index_hook=deltas.append, clock=lambda: NOW)


def test_watchlist_page_is_stored_with_its_checkpoint_and_index_delta(
    store: Store, applier: FeedApplier, deltas: list[IndexDelta]
) -> None:
    result = applier.apply(
        _page(0, [("watchlist", "w1", _wl("w1")), ("watchlist", "w2", _wl("w2", 1, faces=2))])
    )
    assert result.upserts == 2 and result.checkpoint == 2
    assert store.sync_state.checkpoint() == 2
    assert store.watchlist.count() == 2 and store.face_templates.count() == 3
    assert store.sync_state.get_time(FEED_CURRENT_AT) == NOW
    assert store.sync_state.get(INDEX_DIRTY) == "1"  # cleared with the next commit ...
    applier.flush()
    assert store.sync_state.get(INDEX_DIRTY) is None  # ... or by flush()
    (delta,) = deltas
    assert delta.gallery == "watchlist" and len(delta.face_upserts) == 3
    row, template = delta.face_upserts[0]
    assert store.face_templates.get_by_row_id(row) == template


def test_update_drops_templates_the_entry_no_longer_lists_and_tombstone_removes_all(
    store: Store, applier: FeedApplier, deltas: list[IndexDelta]
) -> None:
    applier.apply(_page(0, [("watchlist", "w1", _wl("w1", faces=2))]))
    rows = {t.template_id: r for r, t in deltas[0].face_upserts}
    applier.apply(_page(1, [("watchlist", "w1", _wl("w1", 5, faces=1))]))
    assert deltas[1].face_removed == (rows["w1-f1"],)
    assert [t.template_id for _, t in deltas[1].face_upserts] == ["w1-f0"]
    assert deltas[1].face_upserts[0][0] == rows["w1-f0"]  # replaced under the same id
    applier.apply(_page(2, [("watchlist", "w1", None)]))
    assert deltas[2].face_removed == (rows["w1-f0"],)
    assert store.watchlist.count() == 0 and store.face_templates.count() == 0


def test_reapplying_a_page_after_a_crash_is_idempotent(store: Store, applier: FeedApplier) -> None:
    page = _page(0, [("watchlist", "w1", _wl("w1")), ("watchlist", "w2", _wl("w2"))])
    applier.apply(page)
    store.sync_state.set_checkpoint(0)  # as if the checkpoint had not been stored
    applier.apply(page)
    assert store.watchlist.count() == 2 and store.face_templates.count() == 2


def test_a_crash_before_the_checkpoint_leaves_nothing(store: Store) -> None:
    def crash(_page: FeedPage) -> None:
        raise KeyboardInterrupt("killed")

    applier = FeedApplier(store, clock=lambda: NOW, before_checkpoint=crash)
    with pytest.raises(KeyboardInterrupt):
        applier.apply(_page(0, [("watchlist", "w1", _wl("w1"))]))
    assert store.watchlist.count() == 0 and store.sync_state.checkpoint() == 0


def test_a_page_for_another_checkpoint_or_a_malformed_item_applies_nothing(
    store: Store, applier: FeedApplier
) -> None:
    with pytest.raises(ProtocolError, match="checkpoint"):
        applier.apply(_page(3, [("watchlist", "w1", _wl("w1"))]))
    bad = _wl("w2")
    bad["entry"]["category"] = "nonsense"
    with pytest.raises(ProtocolError, match="WatchlistCategory"):
        applier.apply(_page(0, [("watchlist", "w1", _wl("w1")), ("watchlist", "w2", bad)]))
    wrong_id = _wl("w3")
    with pytest.raises(ProtocolError, match="differs"):
        applier.apply(_page(0, [("watchlist", "other", wrong_id)]))
    assert store.watchlist.count() == 0 and store.sync_state.checkpoint() == 0


def test_enrolled_travellers_documents_and_unknown_kinds(
    store: Store, applier: FeedApplier, deltas: list[IndexDelta]
) -> None:
    template = face("tf-1", np.random.default_rng(2), "t-e1")
    bundle = codec.to_json_value(enrollment_bundle("e1", "K-2", "O", template=template))
    policy = codec.to_json_value(PolicyDocument(1, 7, 24.0, 100))
    anchor = codec.to_json_value(TrustAnchor("csca-1", "csca-der", b"\x30\x82", "IDN"))
    applier.apply(
        _page(
            0,
            [
                ("traveller", "e1", bundle),
                ("policy", "global", policy),
                ("trust_anchor", "csca-1", anchor),
                ("future_kind", "x", {"a": 1}),
            ],
        )
    )
    assert store.enrollments.get("e1").kiosk_id == "K-2"
    assert store.travellers.exists("t-e1")
    assert deltas[0].gallery == "travellers" and deltas[0].face_upserts[0][1] == template
    assert store.feed_documents.get("policy", "global") is not None
    assert (
        codec.loads(TrustAnchor, store.feed_documents.get("trust_anchor", "csca-1").payload).data
        == b"\x30\x82"
    )  # type: ignore[union-attr]
    assert store.feed_documents.get("future_kind", "x").payload == b'{"a":1}'  # type: ignore[union-attr]
    applier.apply(_page(4, [("traveller", "e1", None), ("trust_anchor", "csca-1", None)]))
    assert not store.enrollments.exists("e1") and not store.travellers.exists("t-e1")
    assert store.face_templates.count() == 0 and store.feed_documents.count("trust_anchor") == 0


def test_without_a_hook_the_index_is_marked_for_rebuild(store: Store) -> None:
    FeedApplier(store, clock=lambda: NOW).apply(
        _page(0, [("watchlist", "w1", _wl("w1"))], more=True)
    )
    assert store.sync_state.get(INDEX_DIRTY) == "1"
    assert store.sync_state.get_time(FEED_CURRENT_AT) is None  # more pages to come


def test_a_failing_hook_leaves_the_index_marked_dirty(store: Store) -> None:
    def hook(_delta: IndexDelta) -> None:
        raise RuntimeError("index full")

    with pytest.raises(RuntimeError):
        FeedApplier(store, index_hook=hook, clock=lambda: NOW).apply(
            _page(0, [("watchlist", "w1", _wl("w1"))])
        )
    assert store.sync_state.checkpoint() == 1  # the data is committed ...
    assert store.sync_state.get(INDEX_DIRTY) == "1"  # ... and the index must be rebuilt


def test_unchanged_payload_is_kept_byte_for_byte(store: Store, applier: FeedApplier) -> None:
    bundle = watchlist_bundle("w9", np.random.default_rng(4))
    applier.apply(_page(0, [("watchlist", "w9", codec.to_json_value(bundle))]))
    assert store.watchlist.get("w9") == bundle.entry
    assert store.face_templates.get("w9-f0") == bundle.face_templates[0]
    assert dataclasses.asdict(store.watchlist.get("w9")) == dataclasses.asdict(bundle.entry)


def test_the_dirty_flag_is_cleared_by_the_next_page_once_the_hook_ran(
    store: Store, applier: FeedApplier
) -> None:
    applier.apply(_page(0, [("watchlist", "w1", _wl("w1"))], more=True))
    assert store.sync_state.get(INDEX_DIRTY) == "1"
    policy = codec.to_json_value(PolicyDocument(1, 7, 24.0, 100))
    applier.apply(_page(1, [("policy", "global", policy)]))
    assert store.sync_state.get(INDEX_DIRTY) is None


def test_delta_names_the_watchlist_entries_and_the_owner_of_each_template(
    store: Store, applier: FeedApplier, deltas: list[IndexDelta]
) -> None:
    applier.apply(
        _page(0, [("watchlist", "w1", _wl("w1", faces=2)), ("watchlist", "w2", _wl("w2", 1))])
    )
    added = deltas[0]
    assert added.entries_upserted == ("w1", "w2") and added.entries_removed == ()
    assert {(r.template_id, r.entry_id) for r in added.face_refs} == {
        ("w1-f0", "w1"),
        ("w1-f1", "w1"),
        ("w2-f0", "w2"),
    }
    assert {r.row_id for r in added.face_refs} == {row for row, _ in added.face_upserts}
    applier.apply(_page(2, [("watchlist", "w1", _wl("w1", 3, faces=1)), ("watchlist", "w2", None)]))
    changed = deltas[1]
    assert changed.entries_upserted == ("w1",) and changed.entries_removed == ("w2",)
    removed = {r.template_id: r for r in changed.removed_face_refs}
    assert set(removed) == {"w1-f1", "w2-f0"}
    assert removed["w2-f0"].entry_id == "w2" and removed["w1-f1"].entry_id == "w1"
    assert {r.row_id for r in changed.removed_face_refs} == set(changed.face_removed)


def test_an_entry_changed_without_templates_still_reaches_the_hook(
    store: Store, applier: FeedApplier, deltas: list[IndexDelta]
) -> None:
    applier.apply(_page(0, [("watchlist", "w1", _wl("w1", faces=0))]))
    (delta,) = deltas
    assert delta.entries_upserted == ("w1",) and not delta.face_upserts and not delta.empty


def _replay(deltas: list[IndexDelta], *, removals_first: bool) -> dict[int, str]:
    """An index that applies each delta's removals and upserts in the given order."""
    index: dict[int, str] = {}
    for delta in deltas:
        steps = [("rm", delta.face_removed), ("up", delta.face_upserts)]
        for what, values in steps if removals_first else steps[::-1]:
            for value in values:
                if what == "rm":
                    index.pop(value, None)  # type: ignore[arg-type]
                else:
                    row, template = value  # type: ignore[misc]
                    index[row] = template.template_id
    return index


def test_a_row_id_reused_within_one_page_is_an_upsert_not_a_removal(
    store: Store, applier: FeedApplier, deltas: list[IndexDelta]
) -> None:
    """SQLite reuses the highest row id once its row is deleted: a page that removes the
    newest template and adds one gives the new template that id. The delta must not list
    the id as removed too, or an index applying upserts before removals loses it."""
    applier.apply(_page(0, [("watchlist", "w1", _wl("w1"))]))
    applier.apply(_page(1, [("watchlist", "w1", None), ("watchlist", "w2", _wl("w2", 1))]))
    expected = {t_row: t.template_id for t_row, t in _stored_faces(store)}
    assert expected == {row: "w2-f0" for row, _ in deltas[1].face_upserts}
    assert not set(deltas[1].face_removed) & {row for row, _ in deltas[1].face_upserts}
    assert _replay(deltas, removals_first=True) == expected
    assert _replay(deltas, removals_first=False) == expected


def _stored_faces(store: Store) -> list[tuple[int, Any]]:
    algorithm = store.face_templates.get("w2-f0").algorithm
    return list(store.face_templates.iter_algorithm(algorithm))

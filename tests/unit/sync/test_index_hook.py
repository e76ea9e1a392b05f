"""The index delta carries what the kiosk's gallery needs: fed to
``StoreGallerySource.changes`` it gives the batch that makes the index equal the store."""

from __future__ import annotations

from typing import Any

import numpy as np

from biometrics.index import GallerySpec, IndexBatch, Metric, Modality, StoreGallerySource
from models import codec
from models.store import Store
from sync.apply import WATCHLIST_GALLERY, FeedApplier, IndexDelta
from sync.protocol import FeedItem, FeedPage
from tests.syncdata import NOW, watchlist_bundle

SPEC = GallerySpec(
    name="face", modality=Modality.FACE, template_kind="test-128", dim=128, metric=Metric.L2
)


def _page(since: int, items: list[tuple[str, Any]]) -> FeedPage:
    feed = tuple(
        FeedItem(since + i + 1, "watchlist", rid, payload is None, payload)
        for i, (rid, payload) in enumerate(items)
    )
    return FeedPage("K", "O", "n", since, since + len(items), False, 0, feed)


def _wl(entry_id: str, seed: int) -> Any:
    return codec.to_json_value(watchlist_bundle(entry_id, np.random.default_rng(seed)))


def test_deltas_drive_the_gallery_to_the_stores_state(store: Store) -> None:
    source = StoreGallerySource(store, SPEC)
    rows: dict[int, bool] = {}
    members: dict[str, tuple[int, ...]] = {}

    def hook(delta: IndexDelta) -> None:
        if delta.gallery != WATCHLIST_GALLERY:
            return
        batch: IndexBatch = source.changes(
            templates=[r.template_id for r in delta.face_refs],
            removed_rows=delta.face_removed,
            watchlist=[store.watchlist.get(e) for e in delta.entries_upserted],
            removed_entries=delta.entries_removed,
        )
        for row in batch.remove_ids.tolist():  # the index applies removals first
            rows.pop(row, None)
        rows.update(dict.fromkeys(batch.upsert_ids.tolist(), True))
        for entry_id in batch.removed_entries:
            members.pop(entry_id, None)
        members.update({m.entry_id: m.row_ids for m in batch.memberships})

    applier = FeedApplier(store, index_hook=hook, clock=lambda: NOW)
    applier.apply(_page(0, [("w1", _wl("w1", 1))]))
    # The newest template's entry is retracted and a new entry added: the new
    # template gets the retracted one's row id back (SQLite reuses the highest).
    applier.apply(_page(1, [("w1", None), ("w2", _wl("w2", 2))]))
    stored = dict(store.face_templates.iter_algorithm("test-128"))
    assert set(rows) == set(stored) and len(stored) == 1
    assert members == {"w2": (store.face_templates.row_id("w2-f0"),)}

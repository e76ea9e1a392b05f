"""Snapshots: batches (copy-on-write), tombstones, compaction and filtered search."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from biometrics.index import (
    GallerySpec,
    IndexBatch,
    IndexDataError,
    Metric,
    Modality,
    SearchFilter,
    factory,
    params,
)
from biometrics.index.records import BatchBuilder, no_progress
from biometrics.index.snapshot import MainIndex, Snapshot, apply_batch, compact
from models.watchlist import WatchlistCategory
from tests.factories import NOW
from tests.unit.index.helpers import clustered, exact_top, membership, recall_at, spec

N = 3000


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    gallery, queries = clustered(N + 500, 60, seed=5)
    ids = np.arange(1, N + 501, dtype=np.int64) * 2
    return gallery, queries, ids


def _snapshot(data: tuple[np.ndarray, np.ndarray, np.ndarray], text: str) -> Snapshot:
    gallery, _, ids = data
    return Snapshot(spec(), MainIndex.build(text, spec(), ids[:N], gallery[:N], no_progress))


def _changes(
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[IndexBatch, dict[int, np.ndarray]]:
    """Remove 300 rows, replace 200 vectors, add 500 new rows; and the expected gallery."""
    gallery, _, ids = data
    expected = {int(i): v for i, v in zip(ids[:N], gallery[:N], strict=True)}
    builder = BatchBuilder(128)
    rng = np.random.default_rng(9)
    for row in rng.choice(ids[:N], 300, replace=False):
        builder.remove(int(row))
        expected.pop(int(row))
    for row in rng.choice(np.array(sorted(expected)), 200, replace=False):
        vector = gallery[rng.integers(N, N + 500)] + 0.01
        builder.upsert(int(row), vector)
        expected[int(row)] = vector.astype(np.float32)
    for row, vector in zip(ids[N:], gallery[N:], strict=True):
        builder.upsert(int(row), vector)
        expected[int(row)] = vector
    return builder.build(), expected


def _exact(expected: dict[int, np.ndarray], queries: np.ndarray, k: int) -> np.ndarray:
    ids = np.array(sorted(expected), dtype=np.int64)
    base = np.stack([expected[int(i)] for i in ids])
    return exact_top(queries, base, ids, k)


@pytest.mark.parametrize("text", ["IDMap2,Flat", "HNSW16,SQfp16", "IVF32,PQ64x4fs,Refine(SQfp16)"])
def test_batch_gives_the_combined_state(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], text: str
) -> None:
    before = _snapshot(data, text)
    batch, expected = _changes(data)
    after = apply_batch(before, batch)
    _, queries, _ = data
    # The original snapshot is untouched (readers holding it see no part of the batch).
    assert before.count == N and before.version == 0 and before.tombstones.size == 0
    assert after.count == len(expected) and after.version == 1
    np.testing.assert_array_equal(after.live_ids(), np.array(sorted(expected)))
    _, found = after.search(queries, 10)
    truth = _exact(expected, queries, 10)
    floor = 1.0 if text == "IDMap2,Flat" else 0.95
    assert recall_at(found, truth) >= floor
    assert np.isin(found[found >= 0], after.live_ids()).all()


@pytest.mark.parametrize("text", ["HNSW16,SQfp16", "IVF32,PQ64x4fs,Refine(SQfp16)", "IVF32,SQ8"])
def test_removed_rows_never_come_back(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], text: str
) -> None:
    gallery, _, ids = data
    snapshot = _snapshot(data, text)
    gone = ids[:50]
    after = apply_batch(snapshot, IndexBatch(remove_ids=gone))
    # Query with the removed vectors themselves: their rows would be the best hits.
    _, found = after.search(gallery[:50], 5)
    assert not np.isin(found, gone).any()
    _, before = snapshot.search(gallery[:50], 1)
    assert np.isin(before[:, 0], gone).mean() > 0.9  # they were found before the removal


def test_updated_vector_is_found_at_its_new_place(
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    gallery, _, ids = data
    snapshot = _snapshot(data, "HNSW16,SQfp16")
    moved = BatchBuilder(128).upsert(int(ids[0]), gallery[N + 1]).build()
    after = apply_batch(snapshot, moved)
    scores, found = after.search(gallery[N + 1][None, :], 1)
    assert found[0, 0] == ids[0] and scores[0, 0] < 1e-3
    _, old = after.search(gallery[0][None, :], 3)
    assert ids[0] not in old[0]


@pytest.mark.parametrize(
    "text", ["IDMap2,Flat", "IVF32,SQfp16", "HNSW16,SQfp16", "IVF32,PQ64x4fs,Refine(SQfp16)"]
)
def test_compaction_folds_delta_and_tombstones(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], text: str
) -> None:
    batch, expected = _changes(data)
    changed = apply_batch(_snapshot(data, text), batch)
    main = compact(changed, no_progress)
    assert main.factory.text == factory.parse(text).text
    assert main.generation != changed.main.generation
    compacted = Snapshot(spec(), main, watchlist=changed.watchlist, version=changed.version)
    assert compacted.tombstones.size == 0 and compacted.delta_ids.size == 0
    assert int(main.index.ntotal) == len(expected) == compacted.count
    np.testing.assert_array_equal(compacted.live_ids(), changed.live_ids())
    _, queries, _ = data
    _, found = compacted.search(queries, 10)
    floor = 1.0 if text == "IDMap2,Flat" else 0.95
    assert recall_at(found, _exact(expected, queries, 10)) >= floor


def test_tombstone_share_triggers_compaction(
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    _, _, ids = data
    snapshot = _snapshot(data, "HNSW16,Flat")
    few = apply_batch(snapshot, IndexBatch(remove_ids=ids[:10]))
    assert not few.needs_compaction()
    share = int(N * params.TOMBSTONE_MAX_FRACTION) + 1
    many = apply_batch(snapshot, IndexBatch(remove_ids=ids[:share]))
    assert many.needs_compaction()


def test_removing_unknown_rows_is_a_no_op(data: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    snapshot = _snapshot(data, "IDMap2,Flat")
    after = apply_batch(snapshot, IndexBatch(remove_ids=np.array([1, 3, 999_999], dtype=np.int64)))
    assert after.count == N and after.tombstones.size == 0


def test_bad_batches_are_refused(data: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    snapshot = _snapshot(data, "IDMap2,Flat")
    with pytest.raises(IndexDataError):
        BatchBuilder(128).upsert(1, np.zeros(64))
    with pytest.raises(IndexDataError, match="NaN"):
        apply_batch(
            snapshot,
            IndexBatch(
                upsert_ids=np.array([1]), upsert_vectors=np.full((1, 128), np.nan, np.float32)
            ),
        )
    with pytest.raises(IndexDataError, match="twice"):
        apply_batch(
            snapshot,
            IndexBatch(upsert_ids=np.array([1, 1]), upsert_vectors=np.zeros((2, 128), np.float32)),
        )
    with pytest.raises(IndexDataError, match="shape"):
        apply_batch(
            snapshot,
            IndexBatch(upsert_ids=np.array([1]), upsert_vectors=np.zeros((1, 5), np.float32)),
        )
    with pytest.raises(IndexDataError):
        snapshot.search(np.zeros((1, 7), np.float32), 3)
    with pytest.raises(IndexDataError):
        snapshot.search(np.zeros((1, 128), np.float32), 0)


def test_empty_gallery_finds_nothing() -> None:
    snapshot = Snapshot(spec(), MainIndex.empty(spec()))
    scores, found = snapshot.search(np.zeros((2, 128), np.float32), 4)
    assert (found == -1).all() and np.isinf(scores).all()
    grown = apply_batch(snapshot, BatchBuilder(128).upsert(7, np.ones(128)).build())
    assert grown.search(np.ones((1, 128), np.float32), 4)[1][0].tolist() == [7, -1, -1, -1]


# ---------------------------------------------------------------------- filters
def _watchlisted(data: tuple[np.ndarray, np.ndarray, np.ndarray], text: str) -> Snapshot:
    _, _, ids = data
    snapshot = _snapshot(data, text)
    batch = (
        BatchBuilder(128)
        .watchlist(membership("wanted", ids[0:200:2], WatchlistCategory.WANTED))
        .watchlist(membership("narco", ids[1:200:2], WatchlistCategory.NARCOTICS))
        .watchlist(membership("expired", ids[200:300], WatchlistCategory.WANTED, valid_days=-1))
        .watchlist(
            membership("open-ended", ids[300:310], WatchlistCategory.TRAVEL_BAN, valid_days=None)
        )
        .build()
    )
    return apply_batch(snapshot, batch)


@pytest.mark.parametrize("text", ["IDMap2,Flat", "HNSW16,SQfp16", "IVF32,PQ64x4fs,Refine(SQfp16)"])
def test_watchlist_filters(data: tuple[np.ndarray, np.ndarray, np.ndarray], text: str) -> None:
    gallery, queries, ids = data
    snapshot = _watchlisted(data, text)
    wanted_now = SearchFilter.watchlist(NOW, {WatchlistCategory.WANTED})
    _, found = snapshot.search(queries, 5, wanted_now)
    allowed = ids[0:200:2]
    assert np.isin(found, allowed).all()
    truth = exact_top(queries, gallery[0:200:2], allowed, 5)
    # Small filters are searched exactly on the allowed rows, whatever the index.
    np.testing.assert_array_equal(found, truth)
    # Expired entries are left out now, kept at a time when they were valid.
    _, any_now = snapshot.search(queries, 400, SearchFilter.watchlist(NOW))
    listed = set(any_now[any_now >= 0].tolist())
    assert listed == set(ids[0:200].tolist()) | set(ids[300:310].tolist())
    _, earlier = snapshot.search(queries[:1], 400, SearchFilter.watchlist(NOW - timedelta(days=1)))
    assert set(ids[200:300].tolist()) <= set(earlier[0].tolist())
    _, later = snapshot.search(queries[:1], 50, SearchFilter.watchlist(NOW + timedelta(days=400)))
    assert set(later[0][later[0] >= 0].tolist()) == set(ids[300:310].tolist())


def test_filter_combines_watchlist_and_subset(
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    _, queries, ids = data
    snapshot = _watchlisted(data, "IDMap2,Flat")
    subset = set(ids[0:100].tolist())
    filt = SearchFilter(
        categories=frozenset({WatchlistCategory.NARCOTICS}), row_ids=frozenset(subset)
    )
    _, found = snapshot.search(queries, 100, filt)
    assert set(found[found >= 0].tolist()) == set(ids[1:100:2].tolist())


def test_filters_see_the_delta_and_skip_tombstones(
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    gallery, _, ids = data
    snapshot = _watchlisted(data, "HNSW16,SQfp16")
    new_row = int(ids[N])
    batch = (
        BatchBuilder(128)
        .upsert(new_row, gallery[N])
        .remove(int(ids[0]))
        .watchlist(membership("wanted", [int(ids[0]), int(ids[2]), new_row]))
        .build()
    )
    after = apply_batch(snapshot, batch)
    _, found = after.search(
        gallery[[0, N]], 5, SearchFilter.watchlist(NOW, {WatchlistCategory.WANTED})
    )
    assert set(found[found >= 0].tolist()) == {int(ids[2]), new_row}
    assert found[1, 0] == new_row


@pytest.mark.parametrize("text", ["IDMap2,Flat", "IVF32,PQ64x4fs,Refine(SQfp16)", "HNSW16,SQfp16"])
def test_large_filter_uses_the_selector(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(params, "FILTER_EXACT_MAX_ROWS", 100)
    gallery, queries, ids = data
    snapshot = apply_batch(_snapshot(data, text), IndexBatch(remove_ids=ids[:20]))
    keep = ids[: N // 2]
    _, found = snapshot.search(queries, 10, SearchFilter.subset(keep.tolist()))
    live_keep = keep[20:]
    assert np.isin(found[found >= 0], live_keep).all()
    truth = exact_top(queries, gallery[20 : N // 2], live_keep, 10)
    floor = 1.0 if text == "IDMap2,Flat" else 0.93
    assert recall_at(found, truth) >= floor


def test_normalised_inner_product_gallery_scores_cosines() -> None:
    gallery_spec = GallerySpec(
        "fp", Modality.FINGERPRINT, "desc", 16, Metric.INNER_PRODUCT, normalize=True
    )
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((50, 16)).astype(np.float32) * 7
    ids = np.arange(50, dtype=np.int64) + 100
    main = MainIndex.build(
        "IDMap2,Flat",
        gallery_spec,
        ids,
        vectors / np.linalg.norm(vectors, axis=1, keepdims=True),
        no_progress,
    )
    snapshot = apply_batch(
        Snapshot(gallery_spec, main), BatchBuilder(16).upsert(500, vectors[3] * 3).build()
    )
    scores, found = snapshot.search(vectors[3][None, :] * 0.5, 2)
    assert set(found[0].tolist()) == {103, 500}
    np.testing.assert_allclose(scores[0], [1.0, 1.0], atol=1e-5)
    assert Metric.INNER_PRODUCT.better(0.9, 0.5) and Metric.L2.better(0.5, 0.9)

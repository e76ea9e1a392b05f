"""Immutable index snapshots: a main FAISS index, a delta, tombstones, watchlist rows.

A :class:`Snapshot` is never changed once built, so any number of threads may
search it while a writer prepares the next one: :func:`apply_batch` returns a
new snapshot (copy-on-write of the small parts: delta, tombstones, watchlist;
the main index is shared, read-only) and the gallery publishes it with one
reference assignment.  A reader that picked up the old snapshot finishes on it;
no reader ever sees part of a batch.

Search = main index (tombstoned rows excluded by an id selector inside FAISS)
merged with an exact brute-force search of the delta.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from typing import Any

import numpy as np

from biometrics.index import factory, params
from biometrics.index._faiss import faiss
from biometrics.index.errors import IndexDataError
from biometrics.index.factory import FactorySpec
from biometrics.index.idsets import contains, sorted_union
from biometrics.index.records import (
    FloatArray,
    GallerySpec,
    IdArray,
    IndexBatch,
    Metric,
    ProgressCallback,
    SearchFilter,
)
from biometrics.index.watchlist import WatchlistTable

_EMPTY_IDS = np.empty(0, np.int64)


def new_generation() -> str:
    return secrets.token_hex(8)


class MainIndex:
    """A built FAISS index and the sorted row ids it holds (shared by snapshots, read-only)."""

    __slots__ = ("factory", "generation", "ids", "index")

    def __init__(self, index: Any, spec: FactorySpec, ids: IdArray, generation: str) -> None:
        self.index = index
        self.factory = spec
        self.ids = ids
        self.generation = generation

    @classmethod
    def build(
        cls,
        factory_text: str,
        gallery: GallerySpec,
        ids: IdArray,
        vectors: FloatArray,
        progress: ProgressCallback,
    ) -> MainIndex:
        spec = factory.parse(factory_text)
        if ids.size > 1 and bool(np.any(ids[1:] <= ids[:-1])):
            order = np.argsort(ids, kind="stable")
            ids, vectors = ids[order], vectors[order]
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        _check_unique(ids)
        index = factory.build(
            spec.text,
            gallery.dim,
            gallery.metric,
            ids,
            np.ascontiguousarray(vectors),
            progress=progress,
        )
        return cls(index, spec, ids, new_generation())

    @classmethod
    def empty(cls, gallery: GallerySpec) -> MainIndex:
        text = "IDMap2,Flat"
        return cls(
            factory.new_index(text, gallery.dim, gallery.metric),
            factory.parse(text),
            _EMPTY_IDS,
            new_generation(),
        )

    def __len__(self) -> int:
        return int(self.ids.size)

    def keys(self, ids: IdArray) -> IdArray:
        """FAISS keys of row ids that are in this main index."""
        if self.factory.positional:
            return np.searchsorted(self.ids, ids).astype(np.int64)
        return ids

    def row_ids(self, labels: IdArray) -> IdArray:
        """Row ids of FAISS search labels (-1 stays -1)."""
        if not self.factory.positional:
            return labels
        return np.where(labels >= 0, self.ids[np.maximum(labels, 0)], -1)


def _check_unique(ids: IdArray) -> None:
    if ids.size > 1 and bool(np.any(ids[1:] == ids[:-1])):
        raise IndexDataError("duplicate row ids")


class Snapshot:
    """One consistent, immutable state of a gallery."""

    __slots__ = (
        "_filters",
        "_keep_alive",
        "_live",
        "_not_tombstoned",
        "delta_ids",
        "delta_norms",
        "delta_vectors",
        "gallery",
        "high_water",
        "main",
        "tombstones",
        "version",
        "watchlist",
    )

    def __init__(
        self,
        gallery: GallerySpec,
        main: MainIndex,
        *,
        tombstones: IdArray = _EMPTY_IDS,
        delta_ids: IdArray = _EMPTY_IDS,
        delta_vectors: FloatArray | None = None,
        watchlist: WatchlistTable | None = None,
        version: int = 0,
        high_water: int = 0,
    ) -> None:
        self.gallery = gallery
        self.main = main
        self.tombstones = tombstones
        self.delta_ids = delta_ids
        self.delta_vectors = (
            np.empty((0, gallery.dim), np.float32) if delta_vectors is None else delta_vectors
        )
        self.delta_norms = np.einsum("ij,ij->i", self.delta_vectors, self.delta_vectors)
        self.watchlist = watchlist or WatchlistTable()
        self.version = version
        self.high_water = high_water
        self._live: IdArray | None = None
        self._keep_alive: list[Any] = []
        self._not_tombstoned: Any | None = None
        self._filters: dict[Any, _Prepared] = {}
        if tombstones.size:
            inner = faiss.IDSelectorBatch(main.keys(tombstones))
            self._not_tombstoned = faiss.IDSelectorNot(inner)
            self._keep_alive.append(inner)

    # ------------------------------------------------------------------ contents
    @property
    def count(self) -> int:
        return int(self.main.ids.size - self.tombstones.size + self.delta_ids.size)

    def live_ids(self) -> IdArray:
        """Sorted ids of every searchable row."""
        if self._live is None:
            main_live = self.main.ids[~contains(self.tombstones, self.main.ids)]
            self._live = sorted_union(main_live, self.delta_ids)
        return self._live

    def vectors(self, ids: IdArray) -> FloatArray:
        """Stored vectors of live rows (decoded: quantised indexes give approximations)."""
        ids = np.asarray(ids, dtype=np.int64)
        present = contains(self.live_ids(), ids)
        if not present.all():
            raise IndexDataError(f"rows not in the gallery: {ids[~present][:5].tolist()}")
        out = np.empty((ids.size, self.gallery.dim), np.float32)
        in_delta = contains(self.delta_ids, ids)
        if in_delta.any():
            out[in_delta] = self.delta_vectors[np.searchsorted(self.delta_ids, ids[in_delta])]
        if (~in_delta).any():
            keys = self.main.keys(ids[~in_delta])
            out[~in_delta] = factory.reconstruct(self.main.index, keys, self.gallery.dim)
        return out

    def needs_compaction(self) -> bool:
        if self.delta_ids.size > params.DELTA_MAX_ROWS:
            return True
        main = max(self.main.ids.size, 1)
        return self.tombstones.size > params.TOMBSTONE_MAX_FRACTION * main

    # ------------------------------------------------------------------ search
    def prepare(self, queries: FloatArray) -> FloatArray:
        q = np.ascontiguousarray(np.atleast_2d(np.asarray(queries, dtype=np.float32)))
        if q.shape[1] != self.gallery.dim:
            raise IndexDataError(f"query has {q.shape[1]} values, expected {self.gallery.dim}")
        if not np.isfinite(q).all():
            raise IndexDataError("query holds NaN or infinite values")
        return _normalized(q) if self.gallery.normalize else q

    def search(
        self, queries: FloatArray, k: int, filt: SearchFilter | None = None
    ) -> tuple[FloatArray, IdArray]:
        """Best ``k`` per query: (scores, ids), ids -1 where fewer rows qualify.

        Scores follow the gallery's metric: Euclidean distance for L2, inner
        product otherwise; best first.
        """
        if k <= 0:
            raise IndexDataError("k must be positive")
        q = self.prepare(queries)
        prepared = self._prepared(filt)
        if prepared is not None and prepared.exact:
            return self._finish(
                *_brute_force(
                    q, prepared.base, prepared.norms, prepared.rows, k, self.gallery.metric, None
                )
            )
        main_d, main_i = self._search_main(q, k, prepared)
        if self.delta_ids.size == 0:
            return self._finish(main_d, main_i)
        delta_rows = None if prepared is None else prepared.delta_rows
        delta_d, delta_i = _brute_force(
            q,
            self.delta_vectors,
            self.delta_norms,
            self.delta_ids,
            k,
            self.gallery.metric,
            delta_rows,
        )
        return self._finish(*_merge(main_d, main_i, delta_d, delta_i, k, self.gallery.metric))

    def _prepared(self, filt: SearchFilter | None) -> _Prepared | None:
        """The filter turned into rows and a selector (or exact vectors), cached per snapshot."""
        if filt is None or (not filt.uses_watchlist and filt.row_ids is None):
            return None
        listed = self.watchlist.rows(filt.categories, filt.at) if filt.uses_watchlist else None
        digest = (
            None if listed is None else hashlib.blake2b(listed.tobytes(), digest_size=16).digest()
        )
        key = (filt.row_ids, digest)
        cached = self._filters.get(key)
        if cached is not None:
            return cached
        allowed = listed
        if filt.row_ids is not None:
            subset = np.fromiter(filt.row_ids, dtype=np.int64, count=len(filt.row_ids))
            subset.sort()
            allowed = subset if allowed is None else allowed[contains(subset, allowed)]
        assert allowed is not None  # noqa: S101 - one of the two conditions is set (checked above)
        prepared = self._prepare_rows(allowed)
        if len(self._filters) >= _FILTER_CACHE:
            self._filters.pop(next(iter(self._filters)))
        self._filters[key] = prepared
        return prepared

    def _prepare_rows(self, allowed: IdArray) -> _Prepared:
        rows = allowed[contains(self.live_ids(), allowed)]
        if rows.size <= params.FILTER_EXACT_MAX_ROWS:
            base = self.vectors(rows)
            return _Prepared(rows, exact=True, base=base, norms=np.einsum("ij,ij->i", base, base))
        in_main = rows[contains(self.main.ids, rows) & ~contains(self.tombstones, rows)]
        bitmap = _bitmap(self.main.keys(in_main))
        selector = faiss.IDSelectorBitmap(bitmap.size, faiss.swig_ptr(bitmap))  # size in bytes
        share = max(rows.size, 1) / max(self.count, 1)
        return _Prepared(
            rows,
            exact=False,
            selector=selector,
            keep=(bitmap,),
            budget=min(params.FILTER_MAX_BUDGET_FACTOR, 1.0 / share),
            delta_rows=contains(rows, self.delta_ids),
        )

    def _search_main(
        self, q: FloatArray, k: int, prepared: _Prepared | None
    ) -> tuple[FloatArray, IdArray]:
        if self.main.ids.size == 0:
            return _empty_result(q.shape[0], k, self.gallery.metric)
        if prepared is None:
            selector, budget = self._not_tombstoned, 1.0
        else:
            selector, budget = prepared.selector, prepared.budget  # tombstones already left out
        search_params = None
        if selector is not None or budget != 1.0:
            search_params = factory.search_parameters(
                self.main.index, self.main.factory, k=k, selector=selector, budget=budget
            )
        distances, labels = self.main.index.search(q, k, params=search_params)
        return distances, self.main.row_ids(labels)

    def _finish(self, distances: FloatArray, ids: IdArray) -> tuple[FloatArray, IdArray]:
        if self.gallery.metric is Metric.L2:
            distances = np.sqrt(np.maximum(distances, 0.0)).astype(np.float32)
        return distances, ids


_FILTER_CACHE = 16
_NO_VECTORS: FloatArray = np.empty((0, 0), np.float32)


class _Prepared:
    """A filter resolved against one snapshot."""

    __slots__ = ("base", "budget", "delta_rows", "exact", "keep", "norms", "rows", "selector")

    def __init__(
        self,
        rows: IdArray,
        *,
        exact: bool,
        base: FloatArray = _NO_VECTORS,
        norms: FloatArray = _NO_VECTORS,
        selector: Any | None = None,
        keep: tuple[Any, ...] = (),
        budget: float = 1.0,
        delta_rows: Any | None = None,
    ) -> None:
        self.rows = rows
        self.exact = exact
        self.base = base
        self.norms = norms
        self.selector = selector
        self.keep = keep  # buffers FAISS selectors point into
        self.budget = budget
        self.delta_rows = delta_rows


def _normalized(q: FloatArray) -> FloatArray:
    norms = np.linalg.norm(q, axis=1, keepdims=True)
    out: FloatArray = (q / np.where(norms == 0, 1.0, norms)).astype(np.float32)
    return out


def _bitmap(ids: IdArray) -> Any:
    size = int(ids[-1]) + 1 if ids.size else 1
    bits = np.zeros(math.ceil(size / 8) * 8, dtype=bool)
    bits[ids] = True
    return np.packbits(bits, bitorder="little")


def _worst(metric: Metric) -> float:
    return math.inf if metric is Metric.L2 else -math.inf


def _empty_result(n: int, k: int, metric: Metric) -> tuple[FloatArray, IdArray]:
    return np.full((n, k), _worst(metric), np.float32), np.full((n, k), -1, np.int64)


def _brute_force(
    q: FloatArray,
    base: FloatArray,
    norms: FloatArray,
    ids: IdArray,
    k: int,
    metric: Metric,
    rows: Any | None,
) -> tuple[FloatArray, IdArray]:
    """Exact top-k (squared L2 or inner product) of ``q`` against ``base[rows]``."""
    if rows is not None:
        base, norms, ids = base[rows], norms[rows], ids[rows]
    if ids.size == 0:
        return _empty_result(q.shape[0], k, metric)
    products = q @ base.T
    if metric is Metric.L2:
        scores = np.maximum(
            norms[None, :] - 2.0 * products + np.einsum("ij,ij->i", q, q)[:, None], 0
        )
        order_key = scores
    else:
        scores = products
        order_key = -scores
    take = min(k, ids.size)
    part = np.argpartition(order_key, take - 1, axis=1)[:, :take]
    part_keys = np.take_along_axis(order_key, part, axis=1)
    order = np.take_along_axis(part, np.argsort(part_keys, axis=1, kind="stable"), axis=1)
    out_d, out_i = _empty_result(q.shape[0], k, metric)
    out_d[:, :take] = np.take_along_axis(scores, order, axis=1)
    out_i[:, :take] = ids[order]
    return out_d, out_i


def _merge(
    d1: FloatArray, i1: IdArray, d2: FloatArray, i2: IdArray, k: int, metric: Metric
) -> tuple[FloatArray, IdArray]:
    distances = np.concatenate([d1, d2], axis=1)
    ids = np.concatenate([i1, i2], axis=1)
    distances = np.where(ids < 0, _worst(metric), distances).astype(np.float32)
    key = distances if metric is Metric.L2 else -distances
    order = np.argsort(key, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(distances, order, axis=1), np.take_along_axis(ids, order, axis=1)


# ---------------------------------------------------------------------- updates
def apply_batch(snapshot: Snapshot, batch: IndexBatch) -> Snapshot:
    """The snapshot after ``batch`` (the input is unchanged)."""
    gallery = snapshot.gallery
    upsert_ids = np.asarray(batch.upsert_ids, dtype=np.int64)
    vectors = np.asarray(batch.upsert_vectors, dtype=np.float32)
    if upsert_ids.size:
        if vectors.shape != (upsert_ids.size, gallery.dim):
            raise IndexDataError(
                f"batch vectors have shape {vectors.shape}, expected ({upsert_ids.size}, {gallery.dim})"
            )
        if not np.isfinite(vectors).all():
            raise IndexDataError("batch vectors hold NaN or infinite values")
        if sorted_union(upsert_ids, _EMPTY_IDS).size != upsert_ids.size:
            raise IndexDataError("a batch upserts the same row twice")
        if gallery.normalize:
            vectors = _normalized(vectors)
    else:
        vectors = np.empty((0, gallery.dim), np.float32)
    kill = sorted_union(np.asarray(batch.remove_ids, dtype=np.int64), upsert_ids)
    main_kill = kill[contains(snapshot.main.ids, kill)]
    tombstones = sorted_union(snapshot.tombstones, main_kill)
    keep = ~np.isin(snapshot.delta_ids, kill)
    delta_ids = np.concatenate([snapshot.delta_ids[keep], upsert_ids])
    delta_vectors = np.concatenate([snapshot.delta_vectors[keep], vectors])
    order = np.argsort(delta_ids, kind="stable")
    watchlist = snapshot.watchlist
    if batch.memberships or batch.removed_entries:
        watchlist = watchlist.apply(batch.memberships, batch.removed_entries)
    high = int(upsert_ids.max()) if upsert_ids.size else 0
    return Snapshot(
        gallery,
        snapshot.main,
        tombstones=tombstones,
        delta_ids=np.ascontiguousarray(delta_ids[order]),
        delta_vectors=np.ascontiguousarray(delta_vectors[order]),
        watchlist=watchlist,
        version=snapshot.version + 1,
        high_water=max(snapshot.high_water, batch.store_high_water, high),
    )


def compact(snapshot: Snapshot, progress: ProgressCallback) -> MainIndex:
    """A new main index holding exactly the snapshot's live rows, same factory.

    Indexes that can remove: copy, remove tombstones, add the delta.  Positional ones
    (HNSW, PQ + refine): copy the trained structure, empty it and re-add every live
    vector, since they cannot drop vectors.
    """
    main = snapshot.main
    spec = main.factory
    if main.ids.size == 0:
        raise IndexDataError("nothing to compact into: the main index is empty")
    index = factory.clone(main.index)
    if spec.can_remove:
        factory.remove(index, spec, snapshot.tombstones)
        if snapshot.delta_ids.size:
            index.add_with_ids(snapshot.delta_vectors, snapshot.delta_ids)
        progress("add", 1, 1)
        return MainIndex(index, spec, snapshot.live_ids(), new_generation())
    # Positional: keep the trained structure, re-add every live vector in row-id order.
    ids = snapshot.live_ids()
    vectors = snapshot.vectors(ids)
    index.reset()
    factory.add(index, spec, ids, vectors, progress)
    return MainIndex(index, spec, ids, new_generation())

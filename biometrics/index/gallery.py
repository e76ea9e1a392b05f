"""``BiometricIndex``: one gallery (face embeddings or fingerprint descriptors) over FAISS.

Concurrency design (copy-on-write snapshots)
-------------------------------------------
The searchable state is an immutable :class:`~biometrics.index.snapshot.Snapshot`
held in ``self._current``.  A search reads that reference once and works on it
to the end, without a lock.  A writer (``apply``) holds ``_write_lock``, builds
the next snapshot from the current one (the big main index is shared read-only;
only the small delta, tombstones and watchlist arrays are copied) and publishes
it by assigning the reference: searches see a batch entirely or not at all,
and are never blocked by a writer, a save or a rebuild.

A rebuild or compaction runs in a background thread on a snapshot taken at its
start.  Batches applied meanwhile are applied as usual and also recorded; at
the swap (under ``_write_lock``, a few milliseconds) they are replayed onto the
new main index, so nothing applied during a rebuild is lost.

Why not a reader/writer lock on one mutable FAISS index: FAISS indexes are not
safe to search while being modified, a batch applied in place would block every
search for its duration (seconds for a rebuild), and an exception half-way
through a batch would leave a half-applied index.  Copy-on-write costs a copy
of the delta (at most ``DELTA_MAX_ROWS`` vectors, a few MB) per batch and,
during a rebuild, room for two main indexes.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from biometrics.index import factory, params, persist
from biometrics.index.errors import IndexDataError, IndexFileError
from biometrics.index.idsets import contains
from biometrics.index.records import (
    BatchBuilder,
    Candidate,
    FloatArray,
    IdArray,
    IndexBatch,
    IndexStatus,
    ProgressCallback,
    SearchFilter,
    no_progress,
)
from biometrics.index.sealedfile import FaultHook
from biometrics.index.snapshot import MainIndex, Snapshot, apply_batch, compact
from biometrics.index.source import GallerySource
from biometrics.index.watchlist import WatchlistTable

log = logging.getLogger(__name__)


class RebuildJob:
    """A rebuild or compaction running in a background thread."""

    def __init__(self, name: str, work: Callable[[], None]) -> None:
        self.name = name
        self.error: BaseException | None = None
        self._done = threading.Event()
        self._work = work
        self._thread = threading.Thread(target=self._run, args=(work,), name=name, daemon=True)

    def start(self) -> RebuildJob:
        self._thread.start()
        return self

    def run_here(self) -> None:
        """Run the work in the calling thread instead of starting one."""
        self._run(self._work)

    @property
    def finished(self) -> threading.Event:
        return self._done

    def _run(self, work: Callable[[], None]) -> None:
        try:
            work()
        except BaseException as exc:
            self.error = exc
            log.exception(
                "index background job failed", extra={"step": self.name, "code": type(exc).__name__}
            )
        finally:
            self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the job; re-raises its error.  False if still running after ``timeout``."""
        if not self._done.wait(timeout):
            return False
        if self.error is not None:
            raise self.error
        return True


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class VerifyReport:
    gallery: str
    checks: tuple[Check, ...]
    rows_checked: int = 0
    mismatched_rows: tuple[int, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    added: int
    removed: int
    watchlist_entries: int
    rebuilt: bool


# The largest relative error of a stored vector, by encoding, that `verify` accepts.
VECTOR_TOLERANCE = {"Flat": 1e-5, "SQfp16": 2e-3, "SQ8": 0.05, "SQ6": 0.1, "SQ4": 0.3}


class BiometricIndex:
    """A searchable gallery whose FAISS ids are the store's template row ids."""

    def __init__(
        self,
        source: GallerySource,
        snapshot: Snapshot,
        *,
        directory: Path | None = None,
        key: bytes | None = None,
        origin: str = "built",
    ) -> None:
        if (directory is None) != (key is None):
            raise IndexDataError("a persisted index needs both a directory and a key")
        self.spec = source.spec
        self.origin = origin
        self.auto_compact = True
        self.fault: FaultHook | None = None  # tests: inject a failure into saves
        self._source = source
        self._current = snapshot
        self._directory = directory
        self._key = key
        self._write_lock = threading.Lock()
        self._save_lock = threading.Lock()
        self._replay: list[IndexBatch] | None = None
        self._job: RebuildJob | None = None
        self._saved_main: str | None = None

    # ------------------------------------------------------------------ opening
    @classmethod
    def build(
        cls, source: GallerySource, *, progress: ProgressCallback = no_progress
    ) -> BiometricIndex:
        """An in-memory index built from the source (not persisted)."""
        return cls(source, _snapshot_from_source(source, progress), origin="built")

    @classmethod
    def open(
        cls,
        source: GallerySource,
        directory: Path,
        key: bytes,
        *,
        progress: ProgressCallback = no_progress,
    ) -> BiometricIndex:
        """Load the gallery's files; rebuild or repair from the store when they are
        missing, corrupt, written with another key, or inconsistent with the store."""
        started = time.monotonic()
        spec = source.spec
        persist.remove_stale(directory, spec)
        try:
            loaded = persist.load(directory, key, spec)
        except IndexFileError as exc:
            log.warning(
                "index unusable, rebuilding", extra={"code": exc.code, "path": str(exc.path)}
            )
            index = cls(
                source, _snapshot_from_source(source, progress), directory=directory, key=key
            )
            index.origin = f"rebuilt:{exc.reason}"
            index.save(progress=progress)
            return index
        index = cls(source, loaded.snapshot, directory=directory, key=key, origin="loaded")
        index._saved_main = loaded.snapshot.main.generation
        count, high = source.stats()
        snapshot = loaded.snapshot
        if (
            loaded.delta_problem is not None
            or snapshot.count != count
            or snapshot.high_water != high
        ):
            reason = loaded.delta_problem.reason if loaded.delta_problem else "store"
            report = index.reconcile(progress=progress)
            index.origin = f"{'rebuilt' if report.rebuilt else 'repaired'}:{reason}"
        log.info(
            "index opened",
            extra={
                "state": index.origin,
                "count": index.count,
                "duration_ms": round(1000 * (time.monotonic() - started)),
            },
        )
        return index

    @classmethod
    def load(cls, source: GallerySource, directory: Path, key: bytes) -> BiometricIndex:
        """Load the gallery's files as they are, without repair: raises
        :class:`IndexFileError` when they are missing, corrupt or inconsistent."""
        loaded = persist.load(directory, key, source.spec)
        if loaded.delta_problem is not None:
            raise loaded.delta_problem
        index = cls(source, loaded.snapshot, directory=directory, key=key, origin="loaded")
        index._saved_main = loaded.snapshot.main.generation
        return index

    @classmethod
    def inspect(cls, source: GallerySource, directory: Path, key: bytes) -> dict[str, Any]:
        """A read-only look at the files and the store (``gerbang index status``)."""
        count, high = source.stats()
        paths = persist.Paths.of(directory, source.spec)
        report: dict[str, Any] = {
            "gallery": source.spec.name,
            "store_count": count,
            "store_high_water": high,
            "files": {
                p.name: p.stat().st_size if p.exists() else None for p in (paths.main, paths.delta)
            },
        }
        try:
            index = cls.load(source, directory, key)
        except IndexFileError as exc:
            return {**report, "state": exc.reason, "detail": exc.message}
        status = index.status()
        consistent = status.count == count and status.store_high_water == high
        state = "ok" if consistent else "stale"
        detail = "" if consistent else "index and store disagree (repaired on next open)"
        return {**report, "state": state, "detail": detail, **asdict(status)}

    # ------------------------------------------------------------------ reading
    @property
    def snapshot(self) -> Snapshot:
        return self._current

    @property
    def count(self) -> int:
        return self._current.count

    def __len__(self) -> int:
        return self.count

    def search(
        self, vector: FloatArray, k: int = 10, filt: SearchFilter | None = None
    ) -> list[Candidate]:
        """The ``k`` best rows for one query vector, best first."""
        return self.search_many(np.asarray(vector, dtype=np.float32).reshape(1, -1), k, filt)[0]

    def search_many(
        self, vectors: FloatArray, k: int = 10, filt: SearchFilter | None = None
    ) -> list[list[Candidate]]:
        snapshot = self._current  # one consistent state for the whole call
        scores, ids = snapshot.search(vectors, k, filt)
        return [
            [Candidate(int(i), float(s)) for s, i in zip(row_s, row_i, strict=True) if i >= 0]
            for row_s, row_i in zip(scores, ids, strict=True)
        ]

    def vectors(self, row_ids: IdArray) -> FloatArray:
        return self._current.vectors(row_ids)

    def batch(self) -> BatchBuilder:
        """A builder for a batch of changes to this gallery."""
        return BatchBuilder(self.spec.dim)

    # ------------------------------------------------------------------ writing
    def apply(self, batch: IndexBatch, *, persist: bool = True) -> int:
        """Apply a batch atomically; returns the new version.

        With ``persist`` the delta file is saved before returning (small: the
        main file is only rewritten after a compaction).
        """
        with self._write_lock:
            updated = apply_batch(self._current, batch)
            self._current = updated
            if self._replay is not None:
                self._replay.append(batch)
        if persist and self._directory is not None:
            self.save()
        if self.auto_compact:
            self._maybe_compact()
        return updated.version

    def _maybe_compact(self) -> None:
        snapshot = self._current
        if self._job is not None and not self._job.done:
            return
        if _wants_retier(snapshot) or snapshot.needs_compaction():
            self.compact(background=True)

    def compact(
        self, *, background: bool = True, progress: ProgressCallback = no_progress
    ) -> RebuildJob:
        """Fold the delta and tombstones into a new main index (or move to the factory
        the gallery's size calls for).  Returns the job; wait() on it to block."""
        snapshot = self._current
        target = _target_factory(snapshot)
        lossy_retier = target != snapshot.main.factory.text and not snapshot.main.factory.exact
        if lossy_retier and snapshot.main.ids.size:
            # Quantised vectors would be quantised twice: re-read exact ones from the store.
            return self.rebuild(background=background, progress=progress)
        return self._run_job(
            "index-compact", lambda base: _compacted(base, target, progress), background, progress
        )

    def rebuild(
        self, *, background: bool = False, progress: ProgressCallback = no_progress
    ) -> RebuildJob:
        """Rebuild from the store; searches keep being served from the old index meanwhile."""

        def work(_: Snapshot) -> tuple[MainIndex, WatchlistTable, int]:
            fresh = _snapshot_from_source(self._source, progress)
            return fresh.main, fresh.watchlist, fresh.high_water

        return self._run_job("index-rebuild", work, background, progress)

    def _run_job(
        self,
        name: str,
        build: Callable[[Snapshot], tuple[MainIndex, WatchlistTable, int]],
        background: bool,
        progress: ProgressCallback,
    ) -> RebuildJob:
        """Run ``build`` on the current snapshot and swap its result in, replaying the
        batches applied meanwhile.  One job at a time: a background request while a job
        runs returns that job; a foreground one waits for it and then runs."""
        while True:
            with self._write_lock:
                running = self._job if self._job is not None and not self._job.done else None
                if running is None:
                    base = self._current
                    self._replay = []
                    job = RebuildJob(
                        name, functools.partial(self._build_and_swap, name, base, build, progress)
                    )
                    self._job = job
                    break
            if background:
                return running
            running.finished.wait()
        if background:
            return job.start()
        job.run_here()
        job.wait()
        return job

    def _build_and_swap(
        self,
        name: str,
        base: Snapshot,
        build: Callable[[Snapshot], tuple[MainIndex, WatchlistTable, int]],
        progress: ProgressCallback,
    ) -> None:
        try:
            main, watchlist, high = build(base)
        except BaseException:
            with self._write_lock:
                self._replay = None
            raise
        with self._write_lock:
            replay = self._replay or []
            swapped = Snapshot(
                self.spec,
                main,
                watchlist=watchlist,
                version=self._current.version - len(replay),
                high_water=max(high, base.high_water),
            )
            for batch in replay:
                swapped = apply_batch(swapped, batch)
            self._current = swapped
            self._replay = None
        log.info(
            "index swapped",
            extra={"step": name, "count": swapped.count, "version": swapped.version},
        )
        if self._directory is not None:
            self.save(progress=progress)

    def wait_idle(self, timeout: float | None = None) -> bool:
        job = self._job
        return True if job is None else job.wait(timeout)

    def close(self, timeout: float | None = 600.0) -> None:
        """Wait for a background job to finish (its result is saved)."""
        job = self._job
        if job is not None:
            job.wait(timeout)

    # ------------------------------------------------------------------ persistence
    def save(self, *, progress: ProgressCallback = no_progress) -> None:
        """Write the current snapshot: the main file when it changed, then the delta."""
        if self._directory is None or self._key is None:
            raise IndexDataError("this index has no directory to save to")
        paths = persist.Paths.of(self._directory, self.spec)
        with self._save_lock:
            snapshot = self._current
            if snapshot.main.generation != self._saved_main:
                progress("save", 0, 2)
                persist.save_main(paths.main, self._key, self.spec, snapshot.main, fault=self.fault)
                self._saved_main = snapshot.main.generation
            progress("save", 1, 2)
            persist.save_delta(paths.delta, self._key, snapshot, fault=self.fault)
            progress("save", 2, 2)

    # ------------------------------------------------------------------ consistency
    def reconcile(self, *, progress: ProgressCallback = no_progress) -> ReconcileReport:
        """Make the index match the store: apply the difference of row ids and refresh
        watchlist memberships, or rebuild when the difference is large.

        Cheap checks only: a template whose vector changed in the store under the
        same row id is found by :meth:`verify`, not here.
        """
        self.wait_idle()  # a running rebuild or compaction first: then diff against its result
        snapshot = self._current
        store_ids = self._source.row_ids()
        live = snapshot.live_ids()
        removed = live[~contains(store_ids, live)]
        added = store_ids[~contains(live, store_ids)]
        limit = params.REPAIR_MAX_FRACTION * max(store_ids.size, 1)
        if (
            added.size + removed.size > limit
            and added.size + removed.size > params.DELTA_MAX_ROWS // 4
        ):
            self.rebuild(background=False, progress=progress)
            return ReconcileReport(
                int(added.size), int(removed.size), len(self._current.watchlist), True
            )
        progress("read", 0, int(added.size))
        builder = self.batch()
        vectors = self._source.vectors(added)
        for row_id, vector in zip(added.tolist(), vectors, strict=True):
            builder.upsert(row_id, vector)
        progress("read", int(added.size), int(added.size))
        for row_id in removed.tolist():
            builder.remove(row_id)
        memberships = self._source.watchlist()
        known = {m.entry_id for m in memberships}
        for membership in memberships:
            builder.watchlist(membership)
        for entry_id in snapshot.watchlist.entries:
            if entry_id not in known:
                builder.remove_watchlist_entry(entry_id)
        builder.store_high_water(int(store_ids.max()) if store_ids.size else 0)
        batch = builder.build()
        with self._write_lock:
            updated = apply_batch(self._current, batch)
            # The store is the truth: its high-water mark replaces ours, even downwards.
            updated.high_water = int(store_ids.max()) if store_ids.size else 0
            self._current = updated
            if self._replay is not None:
                self._replay.append(batch)
        if self._directory is not None:
            self.save(progress=progress)
        if self.auto_compact:
            self._maybe_compact()
        return ReconcileReport(int(added.size), int(removed.size), len(memberships), False)

    def verify(
        self, *, deep: bool = True, progress: ProgressCallback = no_progress
    ) -> VerifyReport:
        """Check the index against its files and the store.  ``deep`` also compares
        every stored vector with the index's (minutes at 1M rows)."""
        snapshot = self._current
        checks: list[Check] = []
        main = snapshot.main
        described = factory.describe(main.index)
        checks.append(Check("factory", described == main.factory.text, described))
        checks.append(Check("dimension", int(main.index.d) == self.spec.dim, str(main.index.d)))
        checks.append(
            Check(
                "main_count",
                int(main.index.ntotal) == main.ids.size,
                f"{main.index.ntotal} vectors",
            )
        )
        if self._directory is not None and self._key is not None:
            checks.append(self._check_files(snapshot))
        count, high = self._source.stats()
        checks.append(
            Check("count", snapshot.count == count, f"index {snapshot.count}, store {count}")
        )
        checks.append(
            Check(
                "high_water",
                snapshot.high_water == high,
                f"index {snapshot.high_water}, store {high}",
            )
        )
        store_ids = self._source.row_ids()
        same_ids = np.array_equal(store_ids, snapshot.live_ids())
        checks.append(
            Check("row_ids", same_ids, "" if same_ids else "row ids differ from the store")
        )
        expected = {m.entry_id: m for m in self._source.watchlist()}
        checks.append(
            Check("watchlist", expected == snapshot.watchlist.entries, f"{len(expected)} entries")
        )
        rows_checked, mismatched = 0, []
        if deep:
            tolerance = VECTOR_TOLERANCE[main.factory.encoding]
            live = snapshot.live_ids()
            delta = set(snapshot.delta_ids.tolist())
            for ids, vectors in self._source.pages():
                present = contains(live, ids)
                ids, vectors = ids[present], vectors[present]
                if self.spec.normalize:
                    vectors = snapshot.prepare(vectors)
                stored = snapshot.vectors(ids)
                error = np.linalg.norm(stored - vectors, axis=1)
                scale = np.linalg.norm(vectors, axis=1) + 1e-6
                for row_id, e, s in zip(ids.tolist(), error, scale, strict=True):
                    limit = VECTOR_TOLERANCE["Flat"] if row_id in delta else tolerance
                    if e > limit * s:
                        mismatched.append(row_id)
                rows_checked += int(ids.size)
                progress("verify", rows_checked, count)
            checks.append(
                Check("vectors", not mismatched, f"{len(mismatched)} of {rows_checked} differ")
            )
        return VerifyReport(self.spec.name, tuple(checks), rows_checked, tuple(mismatched[:100]))

    def _check_files(self, snapshot: Snapshot) -> Check:
        assert self._directory is not None and self._key is not None  # noqa: S101 - caller checked
        try:
            loaded = persist.load(self._directory, self._key, self.spec)
        except IndexFileError as exc:
            return Check("files", False, exc.code)
        if loaded.delta_problem is not None:
            return Check("files", False, loaded.delta_problem.code)
        on_disk = loaded.snapshot
        same = (
            on_disk.main.generation == snapshot.main.generation
            and on_disk.version == snapshot.version
        )
        return Check("files", same, "saved" if same else "files are older than the index in memory")

    # ------------------------------------------------------------------ reporting
    def status(self) -> IndexStatus:
        snapshot = self._current
        return IndexStatus(
            gallery=self.spec.name,
            factory=snapshot.main.factory.text,
            dim=self.spec.dim,
            metric=self.spec.metric.value,
            count=snapshot.count,
            main_rows=len(snapshot.main),
            delta_rows=int(snapshot.delta_ids.size),
            tombstones=int(snapshot.tombstones.size),
            watchlist_entries=len(snapshot.watchlist),
            store_high_water=snapshot.high_water,
            version=snapshot.version,
            source=self.origin,
            recommended_factory=_target_factory(snapshot),
            rebuilding=self._job is not None and not self._job.done,
            path=str(self._directory or ""),
        )


# ---------------------------------------------------------------------- helpers
def _target_factory(snapshot: Snapshot) -> str:
    text = snapshot.gallery.factory or factory.choose(snapshot.count, snapshot.gallery.dim)
    return factory.fit(text, snapshot.count)


def _wants_retier(snapshot: Snapshot) -> bool:
    """The size calls for another factory, and is not hovering at a tier boundary."""
    count = snapshot.count
    if snapshot.gallery.factory is not None:
        return _target_factory(snapshot) != snapshot.main.factory.text
    dim = snapshot.gallery.dim
    target = factory.choose(count, dim)
    steady = factory.choose(int(count * 0.8), dim) == factory.choose(int(count * 1.25), dim)
    return target != snapshot.main.factory.text and steady


def _compacted(
    base: Snapshot, target: str, progress: ProgressCallback
) -> tuple[MainIndex, WatchlistTable, int]:
    target = factory.fit(target, base.count)
    if target == base.main.factory.text and base.main.ids.size:
        return compact(base, progress), base.watchlist, base.high_water
    ids = base.live_ids()
    vectors = base.vectors(ids)
    return _main_from(base.gallery, target, ids, vectors, progress), base.watchlist, base.high_water


def _main_from(
    gallery: Any, text: str, ids: IdArray, vectors: FloatArray, progress: ProgressCallback
) -> MainIndex:
    text = factory.fit(text, ids.size)
    if ids.size == 0:
        return MainIndex.empty(gallery)
    return MainIndex.build(text, gallery, ids, vectors, progress)


def _snapshot_from_source(source: GallerySource, progress: ProgressCallback) -> Snapshot:
    spec = source.spec
    count, high = source.stats()
    id_pages: list[IdArray] = []
    vector_pages: list[FloatArray] = []
    done = 0
    progress("read", 0, count)
    for ids, vectors in source.pages():
        id_pages.append(ids)
        vector_pages.append(vectors)
        done += int(ids.size)
        progress("read", done, count)
    ids = np.concatenate(id_pages) if id_pages else np.empty(0, np.int64)
    vectors = np.concatenate(vector_pages) if vector_pages else np.empty((0, spec.dim), np.float32)
    del id_pages, vector_pages
    if not np.isfinite(vectors).all():
        raise IndexDataError(f"gallery {spec.name}: a stored template holds NaN or infinite values")
    if spec.normalize and vectors.size:
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = (vectors / np.where(norms == 0, 1.0, norms)).astype(np.float32)
    text = spec.factory or factory.choose(ids.size, spec.dim)
    main = _main_from(spec, text, ids, vectors, progress)
    watchlist = WatchlistTable({m.entry_id: m for m in source.watchlist()})
    return Snapshot(
        spec, main, watchlist=watchlist, high_water=max(high, int(ids.max()) if ids.size else 0)
    )

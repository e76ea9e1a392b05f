"""BiometricIndex over a real store: persistence, recovery, repair, updates, concurrency."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from biometrics.index import (
    FACE_GALLERY,
    BiometricIndex,
    GallerySpec,
    IndexFileError,
    Metric,
    Modality,
    SearchFilter,
    StoreGallerySource,
    factory,
    membership_for,
    params,
    persist,
)
from models.biometric import FingerPosition, FingerprintTemplate, SampleSource
from models.store import Store
from models.watchlist import WatchlistCategory
from tests.factories import NOW
from tests.unit.index.helpers import (
    clustered,
    exact_top,
    face_template,
    fill_store,
    spec,
    watchlist_entry,
)

N = 600


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "kiosk.db", secrets.token_bytes(32))
    yield s
    s.close()


@pytest.fixture(scope="module")
def vectors() -> tuple[np.ndarray, np.ndarray]:
    return clustered(N + 400, 20, seed=2)


@pytest.fixture
def rows(store: Store, vectors: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    return fill_store(store, vectors[0][:N])


@pytest.fixture
def key() -> bytes:
    return secrets.token_bytes(32)


def _open(
    store: Store, folder: Path, key: bytes, gallery: GallerySpec = FACE_GALLERY
) -> BiometricIndex:
    return BiometricIndex.open(StoreGallerySource(store, gallery), folder, key)


def _exact_rows(store: Store, queries: np.ndarray, k: int) -> np.ndarray:
    pairs = list(store.face_templates.iter_algorithm(FACE_GALLERY.template_kind))
    ids = np.array([r for r, _ in pairs], dtype=np.int64)
    base = np.stack([t.as_array() for _, t in pairs])
    return exact_top(queries, base, ids, k)


def _search_rows(index: BiometricIndex, queries: np.ndarray, k: int) -> np.ndarray:
    return np.array([[c.row_id for c in hits] for hits in index.search_many(queries, k)])


# ---------------------------------------------------------------------- persistence
@pytest.mark.usefixtures("rows")
def test_first_open_builds_from_the_store_with_progress(
    store: Store, tmp_path: Path, key: bytes, vectors: tuple[np.ndarray, np.ndarray]
) -> None:
    events: list[tuple[str, int, int]] = []
    index = BiometricIndex.open(
        StoreGallerySource(store, FACE_GALLERY),
        tmp_path / "index",
        key,
        progress=lambda *e: events.append(e),
    )
    assert index.origin == "rebuilt:missing"
    assert index.count == N
    phases = [p for p, _, _ in events]
    assert phases[0] == "read" and phases[-1] == "save" and "add" in phases
    reads = [d for p, d, _ in events if p == "read"]
    assert reads == sorted(reads) and reads[-1] == N
    assert sorted(p.name for p in (tmp_path / "index").iterdir()) == [
        "face.delta.gidx",
        "face.main.gidx",
    ]
    queries = vectors[1]
    np.testing.assert_array_equal(_search_rows(index, queries, 5), _exact_rows(store, queries, 5))


@pytest.mark.usefixtures("rows")
def test_round_trip_keeps_batches_and_watchlist(
    store: Store, tmp_path: Path, key: bytes, vectors: tuple[np.ndarray, np.ndarray]
) -> None:
    index = _open(store, tmp_path / "index", key)
    gallery, queries = vectors
    new_rows = fill_store(store, gallery[N : N + 50], prefix="new")
    removed = [int(store.face_templates.row_id(f"ft-{n}")) for n in range(10)]
    for n in range(10):
        store.face_templates.delete(f"ft-{n}")
    entry = watchlist_entry("wl-1", ["new-0", "new-1", "ft-20"])
    store.watchlist.put(entry)
    builder = index.batch()
    for row, vector in zip(new_rows.tolist(), gallery[N : N + 50], strict=True):
        builder.upsert(row, vector)
    for row in removed:
        builder.remove(row)
    builder.watchlist(membership_for(store, entry, Modality.FACE))
    version = index.apply(builder.build())
    assert version == 1 and index.count == N + 40

    reopened = _open(store, tmp_path / "index", key)
    assert reopened.origin == "loaded"
    assert reopened.status().version == 1 and reopened.status().delta_rows == 50
    np.testing.assert_array_equal(
        _search_rows(reopened, queries, 10), _exact_rows(store, queries, 10)
    )
    hits = reopened.search(gallery[N], 5, SearchFilter.watchlist(NOW, {WatchlistCategory.WANTED}))
    assert {h.row_id for h in hits} == {
        int(new_rows[0]),
        int(new_rows[1]),
        int(store.face_templates.row_id("ft-20")),
    }
    assert hits[0].row_id == new_rows[0] and hits[0].score < 1e-3
    assert reopened.verify().ok


@pytest.mark.usefixtures("rows")
@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "garbage"])
def test_damaged_main_file_is_rebuilt(
    store: Store, tmp_path: Path, key: bytes, damage: str, vectors: tuple[np.ndarray, np.ndarray]
) -> None:
    folder = tmp_path / "index"
    _open(store, folder, key)
    main = persist.Paths.of(folder, FACE_GALLERY).main
    raw = bytearray(main.read_bytes())
    if damage == "flip":
        raw[len(raw) // 2] ^= 0x40
    elif damage == "truncate":
        raw = raw[: len(raw) - 100]
    elif damage == "empty":
        raw = bytearray()
    else:
        raw = bytearray(secrets.token_bytes(len(raw)))
    main.write_bytes(bytes(raw))
    with pytest.raises(IndexFileError):
        BiometricIndex.load(StoreGallerySource(store, FACE_GALLERY), folder, key)
    index = _open(store, folder, key)
    assert index.origin == "rebuilt:integrity"
    np.testing.assert_array_equal(
        _search_rows(index, vectors[1], 5), _exact_rows(store, vectors[1], 5)
    )
    assert _open(store, folder, key).origin == "loaded"  # the rebuild was saved


@pytest.mark.usefixtures("rows")
def test_wrong_key_rebuilds(store: Store, tmp_path: Path, key: bytes) -> None:
    _open(store, tmp_path / "index", key)
    other = secrets.token_bytes(32)
    index = _open(store, tmp_path / "index", other)
    assert index.origin == "rebuilt:integrity" and index.count == N
    assert _open(store, tmp_path / "index", other).origin == "loaded"


@pytest.mark.usefixtures("rows")
def test_gallery_spec_mismatch_rebuilds(store: Store, tmp_path: Path, key: bytes) -> None:
    _open(store, tmp_path / "index", key)
    as_ip = GallerySpec(
        "face", Modality.FACE, FACE_GALLERY.template_kind, 128, Metric.INNER_PRODUCT
    )
    assert _open(store, tmp_path / "index", key, as_ip).origin == "rebuilt:mismatch"
    forced = spec("HNSW8,Flat")
    index = _open(store, tmp_path / "index", key, forced)
    assert index.origin == "rebuilt:mismatch"
    assert index.status().factory == "HNSW8,Flat"
    assert _open(store, tmp_path / "index", key, forced).origin == "loaded"


@pytest.mark.usefixtures("rows")
def test_stale_delta_is_discarded_and_repaired(
    store: Store, tmp_path: Path, key: bytes, vectors: tuple[np.ndarray, np.ndarray]
) -> None:
    folder = tmp_path / "index"
    index = _open(store, folder, key)
    paths = persist.Paths.of(folder, FACE_GALLERY)
    old_delta = paths.delta.read_bytes()
    new_rows = fill_store(store, vectors[0][N : N + 30], prefix="new")
    builder = index.batch()
    for row, vector in zip(new_rows.tolist(), vectors[0][N : N + 30], strict=True):
        builder.upsert(row, vector)
    index.apply(builder.build())
    index.compact(background=False)  # writes a new main, then a new delta
    paths.delta.write_bytes(old_delta)  # as if the crash came between the two renames
    reopened = _open(store, folder, key)
    assert reopened.origin == "repaired:mismatch"
    assert reopened.count == N + 30
    assert reopened.verify().ok


@pytest.mark.usefixtures("rows")
def test_store_changed_while_closed_is_repaired(
    store: Store, tmp_path: Path, key: bytes, vectors: tuple[np.ndarray, np.ndarray]
) -> None:
    folder = tmp_path / "index"
    _open(store, folder, key)
    fill_store(store, vectors[0][N : N + 25], prefix="late")
    for n in range(5):
        store.face_templates.delete(f"ft-{n}")
    store.watchlist.put(watchlist_entry("wl-late", ["late-3"], WatchlistCategory.TRAVEL_BAN))
    index = _open(store, folder, key)
    assert index.origin == "repaired:store"
    assert (
        index.count == N + 20 and index.status().delta_rows == 25 and index.status().tombstones == 5
    )
    assert index.verify().ok
    np.testing.assert_array_equal(
        _search_rows(index, vectors[1], 8), _exact_rows(store, vectors[1], 8)
    )
    hits = index.search(
        vectors[0][N + 3], 3, SearchFilter.watchlist(NOW, {WatchlistCategory.TRAVEL_BAN})
    )
    assert [h.row_id for h in hits] == [store.face_templates.row_id("late-3")]


@pytest.mark.usefixtures("rows")
def test_large_store_change_rebuilds(
    store: Store,
    tmp_path: Path,
    key: bytes,
    vectors: tuple[np.ndarray, np.ndarray],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(params, "DELTA_MAX_ROWS", 40)
    folder = tmp_path / "index"
    _open(store, folder, key)
    fill_store(store, vectors[0][N : N + 300], prefix="bulk")
    index = _open(store, folder, key)
    assert index.origin == "rebuilt:store"
    assert index.count == N + 300 and index.status().delta_rows == 0


@pytest.mark.usefixtures("rows")
def test_failed_save_keeps_previous_files_usable(
    store: Store, tmp_path: Path, key: bytes, vectors: tuple[np.ndarray, np.ndarray]
) -> None:
    folder = tmp_path / "index"
    index = _open(store, folder, key)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    new_rows = fill_store(store, vectors[0][N : N + 5], prefix="x")

    def power_cut(stage: str) -> None:
        if stage == "written":
            raise OSError("power cut")

    index.fault = power_cut
    builder = index.batch()
    for row, vector in zip(new_rows.tolist(), vectors[0][N : N + 5], strict=True):
        builder.upsert(row, vector)
    with pytest.raises(OSError, match="power cut"):
        index.apply(builder.build())
    assert {
        p.name: p.read_bytes() for p in folder.iterdir()
    } == before  # no temporary left, files intact
    assert index.count == N + 5  # the batch is in memory
    reopened = _open(store, folder, key)
    assert reopened.origin == "repaired:store" and reopened.count == N + 5


@pytest.mark.usefixtures("rows")
def test_verify_finds_a_vector_changed_in_place(
    store: Store, tmp_path: Path, key: bytes, vectors: tuple[np.ndarray, np.ndarray]
) -> None:
    index = _open(store, tmp_path / "index", key)
    store.face_templates.put(face_template("ft-7", vectors[0][N + 1]))
    report = index.verify()
    assert not report.ok
    assert [c.name for c in report.checks if not c.ok] == ["vectors"]
    assert report.mismatched_rows == (store.face_templates.row_id("ft-7"),)
    assert index.verify(deep=False).ok  # the cheap checks cannot see it
    index.rebuild()
    assert index.verify().ok


# ---------------------------------------------------------------------- updates
@pytest.mark.usefixtures("rows")
def test_graph_index_compacts_when_tombstones_pile_up(
    store: Store, tmp_path: Path, key: bytes, vectors: tuple[np.ndarray, np.ndarray]
) -> None:
    gallery = spec("HNSW8,SQfp16")
    index = _open(store, tmp_path / "index", key, gallery)
    assert index.status().factory == "HNSW8,SQfp16"
    ids = store.face_templates.algorithm_row_ids(FACE_GALLERY.template_kind)
    few = ids[: int(N * params.TOMBSTONE_MAX_FRACTION) - 5]
    index.apply(index.batch().remove(few[0]).build())
    for row in few[1:]:
        index.apply(index.batch().remove(row).build(), persist=False)
    assert index.status().tombstones == len(few)
    assert not any(c.row_id in few for c in index.search(vectors[0][0], 5))
    for row in ids[len(few) : len(few) + 10]:
        index.apply(index.batch().remove(row).build(), persist=False)
    assert index.wait_idle(60)
    status = index.status()
    # Compacted once the share passed the limit; removals that arrived during the
    # background compaction were replayed onto the new main as (a few) tombstones.
    assert status.tombstones < len(few)
    assert (
        status.count == N - len(few) - 10 and status.main_rows == status.count + status.tombstones
    )
    assert not any(c.row_id in ids[: len(few) + 10] for c in index.search(vectors[0][0], 20))
    index.compact(background=False)
    assert index.status().tombstones == 0
    reloaded = BiometricIndex.load(StoreGallerySource(store, gallery), tmp_path / "index", key)
    assert reloaded.status().tombstones == 0 and reloaded.count == N - len(few) - 10


def test_growing_gallery_moves_to_the_large_factory(
    store: Store,
    tmp_path: Path,
    key: bytes,
    vectors: tuple[np.ndarray, np.ndarray],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(params, "EXACT_MAX_SIZE", 300)
    monkeypatch.setattr(params, "DELTA_MAX_ROWS", 1000)
    fill_store(store, vectors[0][:200])
    index = _open(store, tmp_path / "index", key)
    assert index.status().factory == "IDMap2,Flat"
    more = fill_store(store, vectors[0][200:700], prefix="grow")
    builder = index.batch()
    for row, vector in zip(more.tolist(), vectors[0][200:700], strict=True):
        builder.upsert(row, vector)
    index.apply(builder.build())
    assert index.wait_idle(120)
    status = index.status()
    assert status.factory == factory.choose(700, 128) and status.factory.startswith("IVF")
    assert status.count == 700 and status.delta_rows == 0
    assert _open(store, tmp_path / "index", key).origin == "loaded"


@pytest.mark.usefixtures("rows")
def test_searches_during_updates_see_whole_batches(
    store: Store, tmp_path: Path, key: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each batch swaps a group of 8 rows next to the probe for a new group.  Every
    search must return exactly one whole group: never rows of two batches, never
    part of one.  Small delta limits force compactions (swap + replay) meanwhile."""
    monkeypatch.setattr(params, "DELTA_MAX_ROWS", 24)
    index = _open(store, tmp_path / "index", key)
    first_main = index.snapshot.main.generation
    probe = np.full(128, 3.0, np.float32)
    group_size, batches = 8, 40
    errors: list[str] = []
    done = threading.Event()
    seen: set[int] = set()

    def reader() -> None:
        while not done.is_set():
            hits = index.search(probe, group_size)
            groups = {h.row_id // 1000 for h in hits}
            if len(groups) != 1 or len(hits) != group_size or min(groups) < 1000:
                errors.append(f"mixed or partial result {[h.row_id for h in hits]}")
            seen.update(groups)

    rng = np.random.default_rng(0)
    previous = [1_000_000 + j for j in range(group_size)]
    first = index.batch()
    for row in previous:
        first.upsert(row, probe + rng.normal(0, 0.01, 128))
    index.apply(first.build())
    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for b in range(1, batches + 1):
            builder = index.batch()
            for row in previous:
                builder.remove(row)
            previous = [1_000_000 + b * 1000 + j for j in range(group_size)]
            for row in previous:
                builder.upsert(row, probe + rng.normal(0, 0.01, 128))
            for j in range(5):  # far-away rows that make the delta grow past its limit
                builder.upsert(5_000_000 + b * 10 + j, -probe + rng.normal(0, 0.01, 128))
            index.apply(builder.build(), persist=b % 10 == 0)
            time.sleep(0.002)
    finally:
        done.set()
        for t in threads:
            t.join()
    assert index.wait_idle(60)
    assert not errors, errors[:3]
    assert len(seen) > 5  # the readers really ran across many batches
    assert index.count == N + group_size + 5 * batches
    assert index.snapshot.main.generation != first_main  # compactions were swapped in meanwhile


@pytest.mark.usefixtures("rows")
def test_background_rebuild_keeps_serving_and_keeps_batches(
    store: Store, tmp_path: Path, key: bytes, vectors: tuple[np.ndarray, np.ndarray]
) -> None:
    index = _open(store, tmp_path / "index", key)
    started, release = threading.Event(), threading.Event()

    def slow_progress(phase: str, done: int, total: int) -> None:
        if phase == "read" and done == 0:
            started.set()
            release.wait(30)

    job = index.rebuild(background=True, progress=slow_progress)
    assert started.wait(30)
    assert index.status().rebuilding
    # While the rebuild reads the store: searches are served and a batch lands.
    assert len(index.search(vectors[1][0], 5)) == 5
    late = fill_store(store, vectors[0][N : N + 3], prefix="during")
    builder = index.batch()
    for row, vector in zip(late.tolist(), vectors[0][N : N + 3], strict=True):
        builder.upsert(row, vector)
    index.apply(builder.build())
    assert index.count == N + 3
    release.set()
    assert job.wait(60)
    assert index.count == N + 3 and not index.status().rebuilding
    assert index.verify().ok
    assert _open(store, tmp_path / "index", key).origin == "loaded"


def test_fingerprint_descriptor_gallery(tmp_path: Path, store: Store, key: bytes) -> None:
    gallery = GallerySpec(
        "fingerprint",
        Modality.FINGERPRINT,
        "test-desc-v1",
        64,
        Metric.INNER_PRODUCT,
        normalize=True,
    )
    rng = np.random.default_rng(4)
    descriptors = rng.standard_normal((80, 64)).astype(np.float32)
    for n, vector in enumerate(descriptors):
        store.fingerprint_templates.add(
            FingerprintTemplate(
                f"fp-{n}",
                "t",
                FingerPosition.RIGHT_INDEX,
                "test-desc-v1",
                vector.astype("<f4").tobytes(),
                0,
                NOW,
                SampleSource.ENROLMENT,
            )
        )
    # A template of another format is not part of this gallery.
    store.fingerprint_templates.add(
        FingerprintTemplate(
            "iso-1",
            "t",
            FingerPosition.RIGHT_INDEX,
            "iso19794-2:2005",
            b"FMR",
            12,
            NOW,
            SampleSource.IMPORT,
        )
    )
    index = BiometricIndex.open(StoreGallerySource(store, gallery), tmp_path / "index", key)
    assert index.count == 80
    hits = index.search(descriptors[17] * 2.5, 3)
    assert hits[0].row_id == store.fingerprint_templates.row_id("fp-17")
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert index.verify().ok


@pytest.mark.usefixtures("rows")
def test_sync_changes_batch(
    store: Store, tmp_path: Path, key: bytes, vectors: tuple[np.ndarray, np.ndarray]
) -> None:
    """What the sync client does after committing a pulled page to the store."""
    source = StoreGallerySource(store, FACE_GALLERY)
    index = BiometricIndex.open(source, tmp_path / "index", key)
    gallery = vectors[0]
    # The page: two new templates, one replaced vector, one deletion, a watchlist entry.
    store.face_templates.add(face_template("new-a", gallery[N]))
    store.face_templates.add(face_template("new-b", gallery[N + 1]))
    store.face_templates.put(face_template("ft-5", gallery[N + 2]))
    gone = store.face_templates.row_id("ft-6")
    store.face_templates.delete("ft-6")
    entry = watchlist_entry("wl-9", ["new-a"], WatchlistCategory.MISSING_PERSON)
    store.watchlist.put(entry)
    batch = source.changes(
        templates=["new-a", "new-b", "ft-5", "never-arrived"],
        removed_rows=[gone],
        watchlist=[entry],
    )
    index.apply(batch)
    assert index.verify().ok
    hit = index.search(gallery[N + 2], 1)[0]
    assert hit.row_id == store.face_templates.row_id("ft-5") and hit.score < 1e-3
    wanted = index.search(
        gallery[N], 3, SearchFilter.watchlist(NOW, {WatchlistCategory.MISSING_PERSON})
    )
    assert [h.row_id for h in wanted] == [store.face_templates.row_id("new-a")]
    # Removing the entry again.
    store.watchlist.delete("wl-9")
    index.apply(source.changes(removed_entries=["wl-9"]))
    assert index.search(gallery[N], 3, SearchFilter.watchlist(NOW)) == []
    assert index.verify().ok


@pytest.mark.usefixtures("rows")
def test_one_job_at_a_time(store: Store, tmp_path: Path, key: bytes) -> None:
    index = _open(store, tmp_path / "index", key)
    started, release = threading.Event(), threading.Event()

    def held(phase: str, done: int, total: int) -> None:
        if phase == "read" and done == 0:
            started.set()
            release.wait(30)

    first = index.rebuild(background=True, progress=held)
    assert started.wait(30)
    assert index.compact(background=True) is first  # a background request joins the running job
    result: list[object] = []
    waiter = threading.Thread(target=lambda: result.append(index.compact(background=False)))
    waiter.start()
    time.sleep(0.2)
    assert not result  # a foreground request waits for the running job...
    release.set()
    waiter.join(60)
    assert first.wait(1)
    assert result and result[0] is not first and result[0].done  # ...then runs its own
    assert index.verify().ok

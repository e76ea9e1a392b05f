"""``gerbang bench index``: build, persist, load and query galleries of several sizes.

For each size and vector kind: build the main index the gallery would choose
(or ``factory``), save it through the real encrypted persistence, drop it,
load it back (``load_s``, ``memory_mb`` = resident memory the loaded index
added), then time single-threaded queries one at a time through the same search
path the kiosk uses (``p50_ms``, ``p99_ms``) and compare with exact search
(brute force on the float32 vectors): ``recall_at_1`` is the share of queries
whose best row is the exact best row; ``recall_at_10`` the mean overlap of the
10 returned rows with the exact 10 (the strict "10-recall@10", not "is the
nearest neighbour somewhere in the top 10").
"""

from __future__ import annotations

import gc
import secrets
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from biometrics.index import factory, loadprobe, params, persist
from biometrics.index._faiss import faiss
from biometrics.index.benchdata import (
    BenchSet,
    EmbeddingModel,
    RealEmbeddings,
    clustered_gallery,
    uniform_gallery,
)
from biometrics.index.errors import IndexDataError
from biometrics.index.records import (
    FloatArray,
    GallerySpec,
    IdArray,
    Metric,
    Modality,
    SearchFilter,
    no_progress,
)
from biometrics.index.snapshot import MainIndex, Snapshot

Log = Callable[[str], None]
K = 10


@dataclass(frozen=True, slots=True)
class BenchResult:
    size: int
    factory: str
    build_s: float
    load_s: float
    memory_mb: float
    p50_ms: float
    p99_ms: float
    cpu_p50_ms: float  # CPU time of the query thread (wall-clock minus waiting for a core)
    recall_at_1: float
    recall_at_10: float
    exact_p50_ms: float
    vectors: str
    dim: int
    queries: int
    probe: int  # nprobe (IVF) or efSearch (HNSW); 0 for exact
    file_mb: float


@dataclass(frozen=True, slots=True)
class FilterResult:
    size: int
    factory: str
    vectors: str
    share: float  # fraction of the gallery the filter keeps
    rows: int
    path: str  # "exact-subset" or "selector"
    first_ms: float  # the first search with this filter: resolves and caches it
    p50_ms: float
    recall_at_10: float
    overfetch_p50_ms: float  # post-filtering the unfiltered search with over-fetch, for comparison
    overfetch_recall_at_10: float


def synthetic_model(dim: int, seed: int) -> EmbeddingModel:
    """A clustered model for dimensions without real embeddings: power-law spectrum."""
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    spectrum = (np.arange(1, dim + 1, dtype=np.float64) ** -0.8) * 0.1
    between = (basis * np.sqrt(spectrum)).T.astype(np.float32)
    within = (basis * np.sqrt(spectrum * 0.15)).T.astype(np.float32)
    return EmbeddingModel(np.zeros(dim, np.float32), between, within)


def exact_knn(queries: FloatArray, gallery: FloatArray, k: int) -> IdArray:
    _, ids = faiss.knn(queries, gallery, k, faiss.METRIC_L2)
    return np.asarray(ids, dtype=np.int64)


def recall(found: IdArray, truth: IdArray) -> tuple[float, float]:
    at1 = float(np.mean(found[:, 0] == truth[:, 0]))
    overlap = [
        np.intersect1d(f[f >= 0], t).size / t.size for f, t in zip(found, truth, strict=True)
    ]
    return at1, float(np.mean(overlap))


def _time_queries(
    snapshot: Snapshot,
    queries: FloatArray,
    filt: SearchFilter | None,
    cpu: list[float] | None = None,
) -> tuple[IdArray, list[float]]:
    """Wall-clock milliseconds per query (and, into ``cpu``, this process's CPU time:
    on a shared machine the difference is time spent waiting for a core)."""
    found = np.empty((queries.shape[0], K), np.int64)
    times = []
    for n in range(queries.shape[0]):
        start, start_cpu = time.perf_counter(), time.process_time()
        _, ids = snapshot.search(queries[n : n + 1], K, filt)
        times.append((time.perf_counter() - start) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - start_cpu) * 1000)
        found[n] = ids[0]
    return found, times


def _exact_p50(gallery: FloatArray, queries: FloatArray, n: int) -> float:
    times = []
    for q in queries[:n]:
        start = time.perf_counter()
        faiss.knn(q[None, :], gallery, K, faiss.METRIC_L2)
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times))


def bench_one(
    data: BenchSet,
    factory_text: str,
    *,
    probes: Sequence[int | None],
    workdir: Path,
    exact_queries: int,
    log: Log,
) -> tuple[list[BenchResult], Snapshot]:
    """Build, save and load once; then time the queries at each probe setting."""
    size, dim = data.gallery.shape
    gallery_spec = GallerySpec("bench", Modality.FACE, "bench", dim, Metric.L2)
    ids = np.arange(1, size + 1, dtype=np.int64)
    threads = factory.max_threads()
    log(f"{data.kind} {size}: exact search for the ground truth")
    truth = exact_knn(data.queries, data.gallery, K) + 1
    factory.set_threads(1)
    exact_p50 = _exact_p50(data.gallery, data.queries, exact_queries)
    factory.set_threads(threads)
    log(f"{data.kind} {size}: building {factory_text}")
    start = time.perf_counter()
    main = MainIndex.build(factory_text, gallery_spec, ids, data.gallery, no_progress)
    build_s = time.perf_counter() - start
    key = secrets.token_bytes(32)
    paths = persist.Paths.of(workdir, gallery_spec)
    snapshot = Snapshot(gallery_spec, main, high_water=size)
    persist.save_main(paths.main, key, gallery_spec, main)
    persist.save_delta(paths.delta, key, snapshot)
    file_mb = (paths.main.stat().st_size + paths.delta.stat().st_size) / 2**20
    del main, snapshot
    gc.collect()
    log(f"{data.kind} {size}: loading in a fresh process")
    probe_result = loadprobe.measure(workdir, key, gallery_spec)
    load_s, memory_mb = probe_result["load_s"], probe_result["memory_mb"]
    loaded = persist.load(workdir, key, gallery_spec).snapshot
    spec = loaded.main.factory
    default_probe = factory.get_probe(loaded.main.index, spec)
    results = []
    for probe in probes:
        factory.set_probe(loaded.main.index, spec, default_probe if probe is None else probe)
        factory.set_threads(1)
        try:
            log(f"{data.kind} {size}: {data.queries.shape[0]} single-threaded queries")
            cpu: list[float] = []
            found, times = _time_queries(loaded, data.queries, None, cpu)
        finally:
            factory.set_threads(threads)
        at1, at10 = recall(found, truth)
        results.append(
            _result(
                data,
                factory_text,
                build_s,
                load_s,
                memory_mb,
                times,
                cpu,
                at1,
                at10,
                exact_p50,
                factory.get_probe(loaded.main.index, spec),
                file_mb,
            )
        )
    factory.set_probe(loaded.main.index, spec, default_probe)
    return results, loaded


def _result(
    data: BenchSet,
    factory_text: str,
    build_s: float,
    load_s: float,
    memory_mb: float,
    times: list[float],
    cpu: list[float],
    at1: float,
    at10: float,
    exact_p50: float,
    probe: int,
    file_mb: float,
) -> BenchResult:
    size, dim = data.gallery.shape
    return BenchResult(
        size=size,
        factory=factory_text,
        build_s=round(build_s, 2),
        load_s=round(load_s, 3),
        memory_mb=round(memory_mb, 1),
        p50_ms=round(float(np.percentile(times, 50)), 3),
        p99_ms=round(float(np.percentile(times, 99)), 3),
        cpu_p50_ms=round(float(np.percentile(cpu, 50)), 3),
        recall_at_1=round(at1, 4),
        recall_at_10=round(at10, 4),
        exact_p50_ms=round(exact_p50, 3),
        vectors=data.kind,
        dim=dim,
        queries=int(data.queries.shape[0]),
        probe=probe,
        file_mb=round(file_mb, 1),
    )


def bench_filters(
    data: BenchSet, loaded: Snapshot, shares: Sequence[float], *, seed: int, n_queries: int
) -> list[FilterResult]:
    """Filtered search (a random subset of the gallery) against exact search on the subset."""
    rng = np.random.default_rng(seed)
    size = data.gallery.shape[0]
    queries = data.queries[:n_queries]
    out = []
    threads = factory.max_threads()
    for share in shares:
        rows = np.sort(rng.choice(size, max(1, round(size * share)), replace=False)) + 1
        subset = data.gallery[rows - 1]
        truth = rows[exact_knn(queries, subset, min(K, rows.size))]
        filt = SearchFilter(row_ids=frozenset(rows.tolist()))
        factory.set_threads(1)
        try:
            start = time.perf_counter()
            loaded.search(queries[:1], K, filt)
            first_ms = (time.perf_counter() - start) * 1000
            found, times = _time_queries(loaded, queries, filt)
            over_found, over_times = _overfetch(loaded, queries, rows, share)
        finally:
            factory.set_threads(threads)
        out.append(
            FilterResult(
                size=size,
                factory=loaded.main.factory.text,
                vectors=data.kind,
                share=share,
                rows=int(rows.size),
                path="exact-subset" if rows.size <= params.FILTER_EXACT_MAX_ROWS else "selector",
                first_ms=round(first_ms, 3),
                p50_ms=round(float(np.median(times)), 3),
                recall_at_10=round(recall(found, truth)[1], 4),
                overfetch_p50_ms=round(float(np.median(over_times)), 3),
                overfetch_recall_at_10=round(recall(over_found, truth)[1], 4),
            )
        )
    return out


def _overfetch(
    loaded: Snapshot, queries: FloatArray, rows: IdArray, share: float
) -> tuple[IdArray, list[float]]:
    """The alternative to a selector: search k / share rows unfiltered, keep the allowed ones."""
    fetch = min(loaded.count, max(K, int(np.ceil(K / share * 1.5))))
    found = np.full((queries.shape[0], K), -1, np.int64)
    times = []
    for n in range(queries.shape[0]):
        start = time.perf_counter()
        _, ids = loaded.search(queries[n : n + 1], fetch)
        kept = ids[0][np.isin(ids[0], rows)][:K]
        times.append((time.perf_counter() - start) * 1000)
        found[n, : kept.size] = kept
    return found, times


def run(
    *,
    dim: int,
    sizes: Sequence[int],
    kinds: Sequence[str],
    real: RealEmbeddings | None,
    factory_text: str | None,
    probes: Sequence[int | None],
    n_queries: int,
    exact_queries: int,
    filter_shares: Sequence[float],
    seed: int,
    log: Log,
) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    filtered: list[dict[str, Any]] = []
    for kind in kinds:
        if kind == "clustered":
            if real is not None and real.vectors.shape[1] == dim:
                model = EmbeddingModel.fit(real)
                label = "clustered-face"
            else:
                model, label = synthetic_model(dim, seed), "clustered-synthetic"
        elif kind != "uniform":
            raise IndexDataError(f"unknown vector kind {kind!r} (clustered, uniform)")
        for size in sizes:
            if kind == "clustered":
                data = clustered_gallery(model, size, n_queries, seed=seed + size)
                data = BenchSet(data.gallery, data.queries, label)
            else:
                data = uniform_gallery(dim, size, n_queries, seed=seed + size)
            text = factory.fit(factory_text or factory.choose(size, dim), size)
            with tempfile.TemporaryDirectory(prefix="gerbang-bench-") as tmp:
                rows, loaded = bench_one(
                    data,
                    text,
                    probes=probes,
                    workdir=Path(tmp),
                    exact_queries=exact_queries,
                    log=log,
                )
                for result in rows:
                    results.append(asdict(result))
                    log(str(asdict(result)))
                if filter_shares:
                    for item in bench_filters(
                        data, loaded, filter_shares, seed=seed, n_queries=min(n_queries, 200)
                    ):
                        filtered.append(asdict(item))
                        log(str(asdict(item)))
                del loaded
            del data
            gc.collect()
    out: dict[str, Any] = {"results": results}
    if filtered:
        out["filtered"] = filtered
    return out

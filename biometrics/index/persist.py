"""Saving and loading a gallery's snapshot: a main file and a delta file.

``<name>.main.gidx`` holds the FAISS index and its row ids; it is rewritten only
when a rebuild or compaction produces a new main index (hundreds of MB at 1M
rows, so not on every sync batch: flash storage wears).  ``<name>.delta.gidx``
holds what changed since (delta rows, tombstones, watchlist memberships) and the
store high-water mark; it is small and rewritten after every batch.  The delta
names the generation of the main index it applies to: a delta whose main was
replaced (a crash between the two renames) is discarded and the difference is
repaired from the store.

Both files are :mod:`biometrics.index.sealedfile` files (AES-256-GCM, atomic
replace).  Metadata: format, gallery identity, factory string, dimension,
metric, row count, generation, store high-water mark; each section carries a
SHA-256 in the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from biometrics.index import factory, sealedfile
from biometrics.index._faiss import faiss
from biometrics.index.errors import (
    IndexDataError,
    IndexFileError,
    IndexMismatchError,
)
from biometrics.index.idsets import contains
from biometrics.index.records import GallerySpec
from biometrics.index.sealedfile import FaultHook
from biometrics.index.snapshot import MainIndex, Snapshot
from biometrics.index.watchlist import WatchlistTable

LAYOUT = "gerbang-index/1"


@dataclass(frozen=True, slots=True)
class Paths:
    main: Path
    delta: Path

    @classmethod
    def of(cls, directory: Path, gallery: GallerySpec) -> Paths:
        return cls(
            directory / f"{gallery.name}.main.gidx", directory / f"{gallery.name}.delta.gidx"
        )


def _identity(gallery: GallerySpec) -> dict[str, Any]:
    return {
        "layout": LAYOUT,
        "gallery": gallery.name,
        "modality": gallery.modality.value,
        "template_kind": gallery.template_kind,
        "dim": gallery.dim,
        "metric": gallery.metric.value,
        "normalize": gallery.normalize,
    }


def _raw(array: Any, dtype: str) -> bytes | memoryview:
    """A flat byte view of an array in a fixed byte order (no copy when already so)."""
    flat = np.ascontiguousarray(array, dtype=dtype).reshape(-1)
    return flat.data.cast("B") if flat.size else b""


def _now() -> str:
    return datetime.now(UTC).isoformat()


def save_main(
    path: Path, key: bytes, gallery: GallerySpec, main: MainIndex, *, fault: FaultHook | None = None
) -> int:
    metadata = {
        **_identity(gallery),
        "kind": "main",
        "factory": main.factory.text,
        "count": len(main),
        "generation": main.generation,
        "saved_at": _now(),
        "faiss_version": faiss.__version__,
    }
    sections = {
        "index": factory.serialize(main.index),
        "ids": _raw(main.ids, "<i8"),
    }
    return sealedfile.write(path, key, metadata, sections, fault=fault)


def save_delta(
    path: Path, key: bytes, snapshot: Snapshot, *, fault: FaultHook | None = None
) -> int:
    metadata = {
        **_identity(snapshot.gallery),
        "kind": "delta",
        "factory": snapshot.main.factory.text,
        "main_generation": snapshot.main.generation,
        "main_count": len(snapshot.main),
        "count": snapshot.count,
        "version": snapshot.version,
        "store_high_water": snapshot.high_water,
        "saved_at": _now(),
    }
    sections = {
        "tombstones": _raw(snapshot.tombstones, "<i8"),
        "delta_ids": _raw(snapshot.delta_ids, "<i8"),
        "delta_vectors": _raw(snapshot.delta_vectors, "<f4"),
        "watchlist": snapshot.watchlist.to_json(),
    }
    return sealedfile.write(path, key, metadata, sections, fault=fault)


def _check_identity(path: Path, metadata: dict[str, Any], gallery: GallerySpec, kind: str) -> None:
    if metadata.get("kind") != kind:
        raise IndexMismatchError(f"{path}: not a {kind} file", path=path, field="kind")
    for name, expected in _identity(gallery).items():
        if metadata.get(name) != expected:
            raise IndexMismatchError(
                f"{path}: {name} is {metadata.get(name)!r}, this gallery has {expected!r}",
                path=path,
                field=name,
            )


def _ids(view: memoryview) -> Any:
    return np.frombuffer(view, dtype="<i8").astype(np.int64)


def load_main(path: Path, key: bytes, gallery: GallerySpec) -> MainIndex:
    """Read and verify a main file: identity, factory string, dimension, metric, count."""
    sealed = sealedfile.read(path, key)
    meta = sealed.metadata
    _check_identity(path, meta, gallery, "main")
    recorded = str(meta.get("factory", ""))
    try:
        spec = factory.parse(recorded)
    except IndexDataError as exc:
        raise IndexMismatchError(
            f"{path}: factory {recorded!r} unsupported", path=path, field="factory"
        ) from exc
    if (
        gallery.factory is not None
        and factory.fit(gallery.factory, int(meta.get("count", 0))) != recorded
    ):
        raise IndexMismatchError(
            f"{path}: built as {recorded}, the gallery is configured for {gallery.factory}",
            path=path,
            field="factory",
        )
    index = factory.deserialize(sealed.sections["index"])
    ids = _ids(sealed.sections["ids"])
    problems = []
    if factory.describe(index) != recorded:
        problems.append(
            ("factory", f"index is {factory.describe(index)}, metadata says {recorded}")
        )
    if int(index.d) != gallery.dim:
        problems.append(("dim", f"index has dimension {index.d}, expected {gallery.dim}"))
    if int(index.metric_type) != factory.faiss_metric(gallery.metric):
        problems.append(("metric", "index metric differs from the gallery's"))
    if not int(index.ntotal) == ids.size == int(meta.get("count", -1)):
        problems.append(
            ("count", f"index holds {index.ntotal}, ids {ids.size}, metadata {meta.get('count')}")
        )
    if ids.size > 1 and bool(np.any(ids[1:] <= ids[:-1])):
        problems.append(("ids", "row ids are not strictly increasing"))
    if problems:
        field, text = problems[0]
        raise IndexMismatchError(f"{path}: {text}", path=path, field=field)
    return MainIndex(index, spec, ids, str(meta["generation"]))


def load_delta(path: Path, key: bytes, gallery: GallerySpec, main: MainIndex) -> Snapshot:
    """Read a delta file and put it on ``main``; raises when it belongs to another main."""
    sealed = sealedfile.read(path, key)
    meta = sealed.metadata
    _check_identity(path, meta, gallery, "delta")
    if meta.get("main_generation") != main.generation:
        raise IndexMismatchError(
            f"{path}: written for another main index", path=path, field="generation"
        )
    tombstones = _ids(sealed.sections["tombstones"])
    delta_ids = _ids(sealed.sections["delta_ids"])
    vectors = np.frombuffer(sealed.sections["delta_vectors"], dtype="<f4").astype(np.float32)
    if vectors.size != delta_ids.size * gallery.dim:
        raise IndexMismatchError(
            f"{path}: delta vectors do not match their ids", path=path, field="delta"
        )
    if not contains(main.ids, tombstones).all():
        raise IndexMismatchError(
            f"{path}: tombstones outside the main index", path=path, field="tombstones"
        )
    snapshot = Snapshot(
        gallery,
        main,
        tombstones=tombstones,
        delta_ids=delta_ids,
        delta_vectors=vectors.reshape(delta_ids.size, gallery.dim),
        watchlist=WatchlistTable.from_json(sealed.sections["watchlist"]),
        version=int(meta["version"]),
        high_water=int(meta["store_high_water"]),
    )
    if snapshot.count != int(meta["count"]):
        raise IndexMismatchError(f"{path}: count does not add up", path=path, field="count")
    return snapshot


@dataclass(frozen=True, slots=True)
class Loaded:
    snapshot: Snapshot
    delta_problem: IndexFileError | None  # the delta was missing or unusable: repair from the store


def load(directory: Path, key: bytes, gallery: GallerySpec) -> Loaded:
    """Load main + delta.  A bad main raises; a bad delta falls back to the bare main."""
    paths = Paths.of(directory, gallery)
    main = load_main(paths.main, key, gallery)
    try:
        return Loaded(load_delta(paths.delta, key, gallery, main), None)
    except IndexFileError as exc:
        return Loaded(Snapshot(gallery, main), exc)


def remove_stale(directory: Path, gallery: GallerySpec) -> int:
    paths = Paths.of(directory, gallery)
    return sealedfile.remove_stale_temporaries(paths.main) + sealedfile.remove_stale_temporaries(
        paths.delta
    )

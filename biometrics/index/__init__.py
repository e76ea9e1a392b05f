"""The biometric index: FAISS galleries whose ids are the store's template row ids.

Typical use (kiosk start-up, sync client, matcher)::

    key = KeyStore(settings.key_dir).load_or_create("index")
    source = StoreGallerySource(store, FACE_GALLERY)
    index = BiometricIndex.open(source, settings.data_dir / "index", key, progress=cb)
    hits = index.search(probe_embedding, k=10)                      # best first
    hits = index.search(probe, 5, SearchFilter.watchlist(now, {WatchlistCategory.WANTED}))
    batch = index.batch().upsert(row_id, vector).remove(old_row_id).build()
    index.apply(batch)                                              # atomic for readers

See ``docs/index.md`` for the index choice by size, the file format and recovery.
"""

from __future__ import annotations

from biometrics.index.errors import (
    IndexDataError,
    IndexFileError,
    IndexIntegrityError,
    IndexMismatchError,
    IndexMissingError,
)
from biometrics.index.gallery import BiometricIndex, RebuildJob, ReconcileReport, VerifyReport
from biometrics.index.records import (
    FACE_GALLERY,
    BatchBuilder,
    Candidate,
    GallerySpec,
    IndexBatch,
    IndexStatus,
    Metric,
    Modality,
    ProgressCallback,
    SearchFilter,
    WatchlistMembership,
)
from biometrics.index.source import GallerySource, StoreGallerySource, membership_for

__all__ = [
    "FACE_GALLERY",
    "BatchBuilder",
    "BiometricIndex",
    "Candidate",
    "GallerySource",
    "GallerySpec",
    "IndexBatch",
    "IndexDataError",
    "IndexFileError",
    "IndexIntegrityError",
    "IndexMismatchError",
    "IndexMissingError",
    "IndexStatus",
    "Metric",
    "Modality",
    "ProgressCallback",
    "RebuildJob",
    "ReconcileReport",
    "SearchFilter",
    "StoreGallerySource",
    "VerifyReport",
    "WatchlistMembership",
    "membership_for",
]

"""Seeded synthetic galleries and store fixtures for the index tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import numpy as np
import numpy.typing as npt

from biometrics.index import FACE_GALLERY, GallerySpec, WatchlistMembership
from biometrics.index.bench import synthetic_model
from biometrics.index.benchdata import clustered_gallery
from models.biometric import FaceTemplate, SampleSource
from models.store import Store
from models.watchlist import WatchlistCategory, WatchlistEntry
from tests.factories import NOW

Floats = npt.NDArray[np.float32]
Ids = npt.NDArray[np.int64]


def clustered(size: int, queries: int, *, dim: int = 128, seed: int = 0) -> tuple[Floats, Floats]:
    """Face-like clustered vectors (identities with samples around them), seeded."""
    data = clustered_gallery(synthetic_model(dim, seed), size, queries, seed=seed + 1)
    return data.gallery, data.queries


def exact_top(queries: Floats, base: Floats, ids: Ids, k: int) -> Ids:
    d = ((queries[:, None, :] - base[None, :, :]) ** 2).sum(-1) if base.shape[0] < 3000 else None
    if d is None:
        qq = (queries**2).sum(1)[:, None]
        bb = (base**2).sum(1)[None, :]
        d = qq + bb - 2 * queries @ base.T
    order = np.argsort(d, axis=1, kind="stable")[:, :k]
    return ids[order]


def recall_at(found: Ids, truth: Ids) -> float:
    hits = [np.intersect1d(f[f >= 0], t).size / t.size for f, t in zip(found, truth, strict=True)]
    return float(np.mean(hits))


def face_template(template_id: str, vector: Floats, subject: str = "t") -> FaceTemplate:
    return FaceTemplate.from_array(
        vector,
        template_id=template_id,
        subject_id=subject,
        algorithm=FACE_GALLERY.template_kind,
        created_at=NOW,
        source=SampleSource.ENROLMENT,
    )


def fill_store(store: Store, vectors: Floats, *, prefix: str = "ft") -> Ids:
    """Add one face template per vector; returns their row ids."""
    rows = []
    with store.atomic():
        for n, vector in enumerate(vectors):
            rows.append(store.face_templates.add(face_template(f"{prefix}-{n}", vector)))
    return np.asarray(rows, dtype=np.int64)


def watchlist_entry(
    entry_id: str,
    template_ids: Sequence[str],
    category: WatchlistCategory = WatchlistCategory.WANTED,
    *,
    valid_days: int | None = 30,
    starts_in_days: int = -1,
) -> WatchlistEntry:
    return WatchlistEntry(
        entry_id=entry_id,
        source_agency="POLRI",
        category=category,
        reason="test",
        valid_from=NOW + timedelta(days=starts_in_days),
        valid_until=None if valid_days is None else NOW + timedelta(days=valid_days),
        created_at=NOW,
        updated_at=NOW,
        face_template_ids=tuple(template_ids),
    )


def membership(
    entry_id: str,
    rows: Sequence[int],
    category: WatchlistCategory = WatchlistCategory.WANTED,
    *,
    valid_days: int | None = 30,
) -> WatchlistMembership:
    return WatchlistMembership(
        entry_id=entry_id,
        category=category,
        valid_from=NOW - timedelta(days=1),
        valid_until=None if valid_days is None else NOW + timedelta(days=valid_days),
        row_ids=tuple(int(r) for r in rows),
    )


def spec(factory: str | None = None, *, dim: int = 128, name: str = "face") -> GallerySpec:
    return GallerySpec(
        name=name,
        modality=FACE_GALLERY.modality,
        template_kind=FACE_GALLERY.template_kind,
        dim=dim,
        metric=FACE_GALLERY.metric,
        factory=factory,
    )

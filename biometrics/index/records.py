"""Value types of the biometric index: gallery specs, batches, filters, candidates, status."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from biometrics.index.errors import IndexDataError
from models.watchlist import WatchlistCategory

FloatArray = npt.NDArray[np.float32]
IdArray = npt.NDArray[np.int64]

# progress(phase, done, total): phases are "read", "train", "add", "save".  The CLI
# draws a progress bar; the UI connects a Qt signal's emit.  Called from the
# thread doing the work (a background thread for background rebuilds).
ProgressCallback = Callable[[str, int, int], None]


def no_progress(phase: str, done: int, total: int) -> None:
    """The default progress callback: does nothing."""


class Metric(StrEnum):
    """How vectors compare.  ``L2``: Euclidean distance, lower is better (dlib faces:
    face_recognition's tolerance 0.6 applies to it directly).  ``INNER_PRODUCT``:
    higher is better (cosine similarity when the spec normalises vectors)."""

    L2 = "l2"
    INNER_PRODUCT = "ip"

    def better(self, a: float, b: float) -> bool:
        return a < b if self is Metric.L2 else a > b


class Modality(StrEnum):
    FACE = "face"
    FINGERPRINT = "fingerprint"


@dataclass(frozen=True, slots=True)
class GallerySpec:
    """One gallery: which store templates it holds and how they compare.

    ``template_kind`` selects the templates: for faces the ``FaceTemplate.algorithm``
    (embeddings of another model never share a gallery), for fingerprints the
    ``FingerprintTemplate.format`` of a fixed-length descriptor stored as ``dim``
    little-endian float32 values in ``data``.
    """

    name: str  # file stem, e.g. "face"
    modality: Modality
    template_kind: str
    dim: int
    metric: Metric
    normalize: bool = False  # L2-normalise vectors on the way in (cosine with INNER_PRODUCT)
    factory: str | None = None  # None: chosen by size (biometrics.index.factory)

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise IndexDataError(f"gallery name {self.name!r} must be an identifier")
        if self.dim <= 0:
            raise IndexDataError(f"gallery {self.name}: dimension must be positive")


FACE_GALLERY = GallerySpec(
    name="face",
    modality=Modality.FACE,
    template_kind="dlib-resnet-v1",
    dim=128,
    metric=Metric.L2,
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A search hit: the store row id of the template and its score (see :class:`Metric`)."""

    row_id: int
    score: float


@dataclass(frozen=True, slots=True)
class WatchlistMembership:
    """Which gallery rows a watchlist entry covers, with its category and validity."""

    entry_id: str
    category: WatchlistCategory
    valid_from: datetime
    valid_until: datetime | None  # None: until removed
    row_ids: tuple[int, ...]

    def __post_init__(self) -> None:
        for moment in (self.valid_from, self.valid_until):
            if moment is not None and moment.tzinfo is None:
                raise IndexDataError(f"watchlist entry {self.entry_id}: naive datetime")


@dataclass(frozen=True, slots=True)
class IndexBatch:
    """Changes applied atomically: searches see all of them or none.

    Within one batch removes are applied first, then upserts (a row both removed
    and upserted ends up present); an upsert of a row that exists replaces its
    vector.  Watchlist memberships replace the entry's previous membership.
    """

    upsert_ids: IdArray = field(default_factory=lambda: np.empty(0, np.int64))
    upsert_vectors: FloatArray = field(default_factory=lambda: np.empty((0, 0), np.float32))
    remove_ids: IdArray = field(default_factory=lambda: np.empty(0, np.int64))
    memberships: tuple[WatchlistMembership, ...] = ()
    removed_entries: tuple[str, ...] = ()
    store_high_water: int = 0  # the store's max row id after these changes (0: unknown)

    @property
    def empty(self) -> bool:
        return (
            self.upsert_ids.size == 0
            and self.remove_ids.size == 0
            and not self.memberships
            and not self.removed_entries
        )


class BatchBuilder:
    """Collects changes into one :class:`IndexBatch`."""

    def __init__(self, dim: int) -> None:
        self._dim = dim
        self._upserts: dict[int, FloatArray] = {}
        self._removes: set[int] = set()
        self._memberships: dict[str, WatchlistMembership] = {}
        self._removed_entries: set[str] = set()
        self._high_water = 0

    def upsert(self, row_id: int, vector: npt.ArrayLike) -> BatchBuilder:
        array = np.asarray(vector, dtype=np.float32).ravel()
        if array.shape != (self._dim,):
            raise IndexDataError(
                f"row {row_id}: vector has {array.size} values, expected {self._dim}"
            )
        self._upserts[int(row_id)] = array
        self._high_water = max(self._high_water, int(row_id))
        return self

    def remove(self, row_id: int) -> BatchBuilder:
        self._removes.add(int(row_id))
        self._upserts.pop(int(row_id), None)
        return self

    def watchlist(self, membership: WatchlistMembership) -> BatchBuilder:
        self._memberships[membership.entry_id] = membership
        self._removed_entries.discard(membership.entry_id)
        return self

    def remove_watchlist_entry(self, entry_id: str) -> BatchBuilder:
        self._removed_entries.add(entry_id)
        self._memberships.pop(entry_id, None)
        return self

    def store_high_water(self, row_id: int) -> BatchBuilder:
        self._high_water = max(self._high_water, int(row_id))
        return self

    def build(self) -> IndexBatch:
        ids = np.fromiter(self._upserts, dtype=np.int64, count=len(self._upserts))
        vectors = (
            np.stack(list(self._upserts.values()))
            if self._upserts
            else np.empty((0, self._dim), np.float32)
        )
        return IndexBatch(
            upsert_ids=ids,
            upsert_vectors=vectors,
            remove_ids=np.fromiter(sorted(self._removes), dtype=np.int64),
            memberships=tuple(self._memberships.values()),
            removed_entries=tuple(sorted(self._removed_entries)),
            store_high_water=self._high_water,
        )


@dataclass(frozen=True, slots=True)
class SearchFilter:
    """Restricts a search.  All given conditions must hold.

    ``categories`` and ``at`` keep rows covered by at least one watchlist entry of one
    of those categories (any category when None) that is valid at ``at`` (any time
    when None).  ``row_ids`` keeps only those rows (a gallery subset).
    """

    categories: frozenset[WatchlistCategory] | None = None
    at: datetime | None = None
    row_ids: frozenset[int] | None = None

    def __post_init__(self) -> None:
        if self.at is not None and self.at.tzinfo is None:
            raise IndexDataError("filter time must be timezone-aware")

    @property
    def uses_watchlist(self) -> bool:
        return self.categories is not None or self.at is not None

    @classmethod
    def subset(cls, row_ids: Iterable[int]) -> SearchFilter:
        return cls(row_ids=frozenset(int(r) for r in row_ids))

    @classmethod
    def watchlist(
        cls, at: datetime, categories: Iterable[WatchlistCategory] | None = None
    ) -> SearchFilter:
        return cls(categories=None if categories is None else frozenset(categories), at=at)


@dataclass(frozen=True, slots=True)
class IndexStatus:
    """What ``gerbang index status`` prints for one gallery."""

    gallery: str
    factory: str
    dim: int
    metric: str
    count: int  # live rows searchable now
    main_rows: int  # rows in the main (compacted) index, tombstoned ones included
    delta_rows: int
    tombstones: int
    watchlist_entries: int
    store_high_water: int
    version: int  # batches applied since the index was created
    source: str  # "loaded", "rebuilt", "repaired", "empty"
    recommended_factory: str
    rebuilding: bool
    path: str

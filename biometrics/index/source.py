"""Where a gallery's vectors come from: the kiosk store (the source of truth).

The index can always be rebuilt from the store: the templates of the gallery's
kind (face algorithm or fingerprint descriptor format), keyed by their store
row id, and the watchlist entries that point at them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

import numpy as np

from biometrics.index import params
from biometrics.index.errors import IndexDataError
from biometrics.index.records import (
    BatchBuilder,
    FloatArray,
    GallerySpec,
    IdArray,
    IndexBatch,
    Modality,
    WatchlistMembership,
)
from models.biometric import FaceTemplate, FingerprintTemplate
from models.errors import RecordNotFoundError
from models.store import Store
from models.watchlist import WatchlistEntry

# Turns a fingerprint template's data into its fixed-length descriptor.
DescriptorDecoder = Callable[[FingerprintTemplate], FloatArray]


class GallerySource(Protocol):
    """What the index needs from the store; tests may pass their own."""

    @property
    def spec(self) -> GallerySpec: ...

    def stats(self) -> tuple[int, int]:
        """(count, highest row id) of the gallery's templates in the store."""
        ...

    def row_ids(self) -> IdArray: ...

    def vectors(self, row_ids: IdArray) -> FloatArray: ...

    def pages(self) -> Iterator[tuple[IdArray, FloatArray]]:
        """Every (row ids, vectors) of the gallery, a page at a time."""
        ...

    def watchlist(self) -> list[WatchlistMembership]: ...


def float32_descriptor(dim: int) -> DescriptorDecoder:
    """The default fingerprint decoder: ``data`` holds ``dim`` little-endian float32."""

    def decode(template: FingerprintTemplate) -> FloatArray:
        vector = np.frombuffer(template.data, dtype="<f4")
        if vector.size != dim:
            raise IndexDataError(
                f"fingerprint template {template.template_id}: {vector.size} values, expected {dim}"
            )
        return vector.astype(np.float32)

    return decode


class StoreGallerySource:
    """A gallery over ``store.face_templates`` or ``store.fingerprint_templates``."""

    def __init__(
        self, store: Store, spec: GallerySpec, *, decoder: DescriptorDecoder | None = None
    ) -> None:
        self._store = store
        self._spec = spec
        self._decoder = decoder or float32_descriptor(spec.dim)

    @property
    def spec(self) -> GallerySpec:
        return self._spec

    def stats(self) -> tuple[int, int]:
        if self._spec.modality is Modality.FACE:
            return self._store.face_templates.algorithm_stats(self._spec.template_kind)
        return self._store.fingerprint_templates.format_stats(self._spec.template_kind)

    def row_ids(self) -> IdArray:
        if self._spec.modality is Modality.FACE:
            ids = self._store.face_templates.algorithm_row_ids(self._spec.template_kind)
        else:
            ids = self._store.fingerprint_templates.format_row_ids(self._spec.template_kind)
        return np.asarray(ids, dtype=np.int64)

    def _vector(self, template: FaceTemplate | FingerprintTemplate) -> FloatArray:
        if isinstance(template, FaceTemplate):
            if template.dim != self._spec.dim:
                raise IndexDataError(
                    f"face template {template.template_id}: {template.dim} values, "
                    f"gallery {self._spec.name} expects {self._spec.dim}"
                )
            return template.as_array()
        return self._decoder(template)

    def vectors(self, row_ids: IdArray) -> FloatArray:
        out = np.empty((row_ids.size, self._spec.dim), np.float32)
        repo = (
            self._store.face_templates
            if self._spec.modality is Modality.FACE
            else self._store.fingerprint_templates
        )
        for n, row_id in enumerate(row_ids.tolist()):
            out[n] = self._vector(repo.get_by_row_id(row_id))
        return out

    def _rows(self) -> Iterator[tuple[int, FaceTemplate | FingerprintTemplate]]:
        if self._spec.modality is Modality.FACE:
            yield from self._store.face_templates.iter_algorithm(self._spec.template_kind)
        else:
            yield from self._store.fingerprint_templates.iter_format(self._spec.template_kind)

    def pages(self) -> Iterator[tuple[IdArray, FloatArray]]:
        ids: list[int] = []
        vectors: list[FloatArray] = []
        for row_id, template in self._rows():
            ids.append(row_id)
            vectors.append(self._vector(template))
            if len(ids) == params.REBUILD_PAGE_ROWS:
                yield np.asarray(ids, np.int64), np.stack(vectors)
                ids, vectors = [], []
        if ids:
            yield np.asarray(ids, np.int64), np.stack(vectors)

    def watchlist(self) -> list[WatchlistMembership]:
        return [
            membership_for(self._store, entry, self._spec.modality)
            for entry in self._store.watchlist
        ]

    def membership(self, entry: WatchlistEntry) -> WatchlistMembership:
        return membership_for(self._store, entry, self._spec.modality)

    def changes(
        self,
        *,
        templates: Iterable[str] = (),
        removed_rows: Iterable[int] = (),
        watchlist: Iterable[WatchlistEntry] = (),
        removed_entries: Iterable[str] = (),
    ) -> IndexBatch:
        """The batch for changes already committed to the store (what the sync client calls).

        ``templates``: ids of templates added or replaced (any kind: those not of
        this gallery's kind are removed from it if present).  ``removed_rows``:
        row ids of deleted templates (read them before deleting).  ``watchlist``:
        entries added or changed; ``removed_entries``: ids of deleted entries.
        """
        builder = BatchBuilder(self._spec.dim)
        repo = (
            self._store.face_templates
            if self._spec.modality is Modality.FACE
            else self._store.fingerprint_templates
        )
        for template_id in templates:
            try:
                row_id = repo.row_id(template_id)
                template = repo.get_by_row_id(row_id)
            except RecordNotFoundError:
                continue  # deleted again since: its removal comes with removed_rows
            if _kind(template) == self._spec.template_kind:
                builder.upsert(row_id, self._vector(template))
            else:
                builder.remove(row_id)
        for row_id in removed_rows:
            builder.remove(row_id)
        for entry in watchlist:
            builder.watchlist(self.membership(entry))
        for entry_id in removed_entries:
            builder.remove_watchlist_entry(entry_id)
        builder.store_high_water(self.stats()[1])
        return builder.build()


def _kind(template: FaceTemplate | FingerprintTemplate) -> str:
    return template.algorithm if isinstance(template, FaceTemplate) else template.format


def membership_for(store: Store, entry: WatchlistEntry, modality: Modality) -> WatchlistMembership:
    """The gallery rows of a watchlist entry (templates not in the store yet are left out)."""
    if modality is Modality.FACE:
        template_ids, repo_row_id = entry.face_template_ids, store.face_templates.row_id
    else:
        template_ids, repo_row_id = (
            entry.fingerprint_template_ids,
            store.fingerprint_templates.row_id,
        )
    rows: list[int] = []
    for template_id in template_ids:
        try:
            rows.append(repo_row_id(template_id))
        except RecordNotFoundError:
            continue
    return WatchlistMembership(
        entry_id=entry.entry_id,
        category=entry.category,
        valid_from=entry.valid_from,
        valid_until=entry.valid_until,
        row_ids=tuple(sorted(rows)),
    )

"""Applying verified feed pages to the kiosk store, then updating the index.

One page is one store transaction: its records, its tombstones and the new
checkpoint commit together or not at all, so a kiosk killed half-way re-fetches
the same page and applies it again (every operation is an idempotent upsert or
delete). After the commit the index hook gets the template changes, with the
template row ids that are the FAISS ids. ``index.dirty`` in the sync state is
set in the same transaction and cleared when the hook returns: when it is found
set at start-up, the index missed changes and must be rebuilt from the store.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from models import codec
from models.biometric import FaceTemplate, FingerprintTemplate
from models.bundles import EnrollmentBundle, TrustAnchor, WatchlistBundle
from models.errors import MalformedDataError
from models.store import Store
from sync.errors import ProtocolError
from sync.policy import PolicyDocument
from sync.protocol import FeedItem, FeedKind, FeedPage

log = logging.getLogger(__name__)

WATCHLIST_GALLERY = "watchlist"
TRAVELLER_GALLERY = "travellers"
INDEX_DIRTY = "index.dirty"
FEED_CURRENT_AT = "feed.current_at"  # last time the kiosk had applied the whole feed


@dataclass(frozen=True, slots=True)
class IndexDelta:
    """Template changes of one applied page for one gallery.

    ``*_upserts`` are (row id, template): add, or replace the vector under that id.
    ``*_removed`` are row ids to remove.
    """

    gallery: str
    face_upserts: tuple[tuple[int, FaceTemplate], ...] = ()
    face_removed: tuple[int, ...] = ()
    fingerprint_upserts: tuple[tuple[int, FingerprintTemplate], ...] = ()
    fingerprint_removed: tuple[int, ...] = ()

    @property
    def empty(self) -> bool:
        return not (
            self.face_upserts
            or self.face_removed
            or self.fingerprint_upserts
            or self.fingerprint_removed
        )


IndexHook = Callable[[IndexDelta], None]


@dataclass
class _Changes:
    face_upserts: list[tuple[int, FaceTemplate]] = field(default_factory=list)
    face_removed: list[int] = field(default_factory=list)
    fingerprint_upserts: list[tuple[int, FingerprintTemplate]] = field(default_factory=list)
    fingerprint_removed: list[int] = field(default_factory=list)

    def delta(self, gallery: str) -> IndexDelta:
        return IndexDelta(
            gallery,
            tuple(self.face_upserts),
            tuple(self.face_removed),
            tuple(self.fingerprint_upserts),
            tuple(self.fingerprint_removed),
        )


@dataclass(frozen=True, slots=True)
class ApplyResult:
    upserts: int
    deletes: int
    checkpoint: int
    by_kind: dict[str, int]


class FeedApplier:
    def __init__(
        self,
        store: Store,
        *,
        index_hook: IndexHook | None = None,
        clock: Callable[[], datetime],
        before_checkpoint: Callable[[FeedPage], None] | None = None,
    ) -> None:
        self.store = store
        self.index_hook = index_hook
        self._clock = clock
        # Test instrumentation: runs after a page's records are written, before its
        # checkpoint (fault tests kill the process here). None in production.
        self._before_checkpoint = before_checkpoint

    def apply(self, page: FeedPage) -> ApplyResult:
        galleries = {WATCHLIST_GALLERY: _Changes(), TRAVELLER_GALLERY: _Changes()}
        by_kind: dict[str, int] = {}
        upserts = deletes = 0
        with self.store.atomic():
            current = self.store.sync_state.checkpoint()
            if current != page.since:
                raise ProtocolError(f"page starts at {page.since}, checkpoint is {current}")
            for item in page.items:
                try:
                    self._apply_item(item, galleries)
                except MalformedDataError as exc:
                    raise ProtocolError(f"feed item {item.kind}/{item.seq}: {exc}") from exc
                by_kind[item.kind] = by_kind.get(item.kind, 0) + 1
                deletes += item.deleted
                upserts += not item.deleted
            if self._before_checkpoint is not None:
                self._before_checkpoint(page)
            self.store.sync_state.set_checkpoint(page.next_since)
            if not page.more:
                self.store.sync_state.set_time(FEED_CURRENT_AT, self._clock())
            deltas = [c.delta(g) for g, c in galleries.items()]
            dirty = self.index_hook is not None and any(not d.empty for d in deltas)
            if dirty:
                self.store.sync_state.set(INDEX_DIRTY, "1")
        if dirty and self.index_hook is not None:
            for delta in deltas:
                if not delta.empty:
                    self.index_hook(delta)
            self.store.sync_state.delete(INDEX_DIRTY)
        return ApplyResult(upserts, deletes, page.next_since, by_kind)

    # ------------------------------------------------------------ per kind
    def _apply_item(self, item: FeedItem, galleries: dict[str, _Changes]) -> None:
        if item.kind == FeedKind.WATCHLIST:
            self._watchlist(item, galleries[WATCHLIST_GALLERY])
        elif item.kind == FeedKind.TRAVELLER:
            self._traveller(item, galleries[TRAVELLER_GALLERY])
        elif item.deleted:
            self.store.feed_documents.delete(item.kind, item.record_id)
        else:
            if item.kind == FeedKind.TRUST_ANCHOR:
                raw = codec.dumps(codec.from_json_value(TrustAnchor, item.payload))
            elif item.kind == FeedKind.POLICY:
                raw = codec.dumps(codec.from_json_value(PolicyDocument, item.payload))
            else:  # a kind this version does not know: kept as sent, for a later version
                raw = json.dumps(item.payload, sort_keys=True, separators=(",", ":")).encode()
            self.store.feed_documents.put(item.kind, item.record_id, item.seq, raw)

    def _remove_templates(
        self, face_ids: tuple[str, ...], fingerprint_ids: tuple[str, ...], changes: _Changes
    ) -> None:
        for template_id in face_ids:
            if self.store.face_templates.exists(template_id):
                changes.face_removed.append(self.store.face_templates.row_id(template_id))
                self.store.face_templates.delete(template_id)
        for template_id in fingerprint_ids:
            if self.store.fingerprint_templates.exists(template_id):
                changes.fingerprint_removed.append(
                    self.store.fingerprint_templates.row_id(template_id)
                )
                self.store.fingerprint_templates.delete(template_id)

    def _put_templates(
        self,
        faces: tuple[FaceTemplate, ...],
        fingerprints: tuple[FingerprintTemplate, ...],
        changes: _Changes,
    ) -> None:
        for face in faces:
            changes.face_upserts.append((self.store.face_templates.put(face), face))
        for finger in fingerprints:
            changes.fingerprint_upserts.append(
                (self.store.fingerprint_templates.put(finger), finger)
            )

    def _watchlist(self, item: FeedItem, changes: _Changes) -> None:
        repo = self.store.watchlist
        old = repo.get(item.record_id) if repo.exists(item.record_id) else None
        if item.deleted:
            if old is not None:
                self._remove_templates(old.face_template_ids, old.fingerprint_template_ids, changes)
                repo.delete(item.record_id)
            return
        bundle = codec.from_json_value(WatchlistBundle, item.payload)
        if bundle.entry.entry_id != item.record_id:
            raise MalformedDataError("entry id differs from the feed item's id")
        if old is not None:
            self._remove_templates(
                tuple(set(old.face_template_ids) - set(bundle.entry.face_template_ids)),
                tuple(
                    set(old.fingerprint_template_ids) - set(bundle.entry.fingerprint_template_ids)
                ),
                changes,
            )
        repo.put(bundle.entry)
        self._put_templates(bundle.face_templates, bundle.fingerprint_templates, changes)

    def _traveller(self, item: FeedItem, changes: _Changes) -> None:
        repo = self.store.enrollments
        old = repo.get(item.record_id) if repo.exists(item.record_id) else None
        if item.deleted:
            if old is not None:
                self._remove_templates(old.face_template_ids, old.fingerprint_template_ids, changes)
                repo.delete(item.record_id)
                if not repo.for_traveller(old.traveller_id) and self.store.travellers.exists(
                    old.traveller_id
                ):
                    self.store.travellers.delete(old.traveller_id)
            return
        bundle = codec.from_json_value(EnrollmentBundle, item.payload)
        if bundle.enrollment.enrollment_id != item.record_id:
            raise MalformedDataError("enrollment id differs from the feed item's id")
        if old is not None:
            self._remove_templates(
                tuple(set(old.face_template_ids) - set(bundle.enrollment.face_template_ids)),
                tuple(
                    set(old.fingerprint_template_ids)
                    - set(bundle.enrollment.fingerprint_template_ids)
                ),
                changes,
            )
        self.store.travellers.put(bundle.traveller)
        repo.put(bundle.enrollment)
        self._put_templates(bundle.face_templates, bundle.fingerprint_templates, changes)

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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models import codec
from models.biometric import FaceTemplate, FingerprintTemplate
from models.bundles import EnrollmentBundle, TrustAnchor, WatchlistBundle
from models.enrollment import Enrollment
from models.errors import MalformedDataError
from models.identity import Traveller
from models.store import Store
from models.watchlist import WatchlistEntry
from sync.errors import ProtocolError
from sync.policy import PolicyDocument
from sync.protocol import FeedItem, FeedKind, FeedPage

log = logging.getLogger(__name__)

WATCHLIST_GALLERY = "watchlist"
TRAVELLER_GALLERY = "travellers"
INDEX_DIRTY = "index.dirty"
FEED_CURRENT_AT = "feed.current_at"  # last time the kiosk had applied the whole feed


@dataclass(frozen=True, slots=True)
class TemplateRef:
    """Which template, of which gallery record, a FAISS id holds."""

    row_id: int  # the template's row id: its id in the FAISS gallery
    template_id: str
    entry_id: str  # the watchlist entry id (travellers gallery: the enrollment id)


@dataclass(frozen=True, slots=True)
class IndexDelta:
    """Template changes of one applied page for one gallery.

    ``*_upserts`` are (row id, template): add, or replace the vector under that id.
    ``*_removed`` are row ids to remove. The two never share an id, so removals and
    upserts may be applied in either order (SQLite reuses the highest row id once its
    row is deleted: a page removing the newest template and adding one gives the new
    template the removed one's id, which is then only an upsert).
    ``entries_upserted`` / ``entries_removed`` are the gallery records (watchlist
    entries; enrollments in the travellers gallery) the page added or replaced /
    deleted, in page order; ``*_refs`` name the template and record of every upserted
    row and ``removed_*_refs`` of every removed one.
    """

    gallery: str
    face_upserts: tuple[tuple[int, FaceTemplate], ...] = ()
    face_removed: tuple[int, ...] = ()
    fingerprint_upserts: tuple[tuple[int, FingerprintTemplate], ...] = ()
    fingerprint_removed: tuple[int, ...] = ()
    entries_upserted: tuple[str, ...] = ()
    entries_removed: tuple[str, ...] = ()
    face_refs: tuple[TemplateRef, ...] = ()
    removed_face_refs: tuple[TemplateRef, ...] = ()
    fingerprint_refs: tuple[TemplateRef, ...] = ()
    removed_fingerprint_refs: tuple[TemplateRef, ...] = ()

    @property
    def empty(self) -> bool:
        return not (
            self.face_upserts
            or self.face_removed
            or self.fingerprint_upserts
            or self.fingerprint_removed
            or self.entries_upserted
            or self.entries_removed
        )


IndexHook = Callable[[IndexDelta], None]


@dataclass
class _Changes:
    faces: list[tuple[int, FaceTemplate, str]] = field(default_factory=list)
    faces_removed: list[TemplateRef] = field(default_factory=list)
    fingers: list[tuple[int, FingerprintTemplate, str]] = field(default_factory=list)
    fingers_removed: list[TemplateRef] = field(default_factory=list)
    entries_upserted: list[str] = field(default_factory=list)
    entries_removed: list[str] = field(default_factory=list)

    def delta(self, gallery: str) -> IndexDelta:
        face_rows = {row for row, _, _ in self.faces}
        finger_rows = {row for row, _, _ in self.fingers}
        faces_removed = tuple(r for r in self.faces_removed if r.row_id not in face_rows)
        fingers_removed = tuple(r for r in self.fingers_removed if r.row_id not in finger_rows)
        return IndexDelta(
            gallery,
            face_upserts=tuple((row, t) for row, t, _ in self.faces),
            face_removed=tuple(r.row_id for r in faces_removed),
            fingerprint_upserts=tuple((row, t) for row, t, _ in self.fingers),
            fingerprint_removed=tuple(r.row_id for r in fingers_removed),
            entries_upserted=tuple(self.entries_upserted),
            entries_removed=tuple(self.entries_removed),
            face_refs=tuple(TemplateRef(row, t.template_id, e) for row, t, e in self.faces),
            removed_face_refs=faces_removed,
            fingerprint_refs=tuple(
                TemplateRef(row, t.template_id, e) for row, t, e in self.fingers
            ),
            removed_fingerprint_refs=fingers_removed,
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
        self._clean_pending = False  # the hook has taken every applied change

    def flush(self) -> None:
        """Clear ``index.dirty`` if the hook has taken every change applied so far."""
        if self._clean_pending:
            self.store.sync_state.delete(INDEX_DIRTY)
            self._clean_pending = False

    def apply(self, page: FeedPage) -> ApplyResult:
        galleries = {WATCHLIST_GALLERY: _Changes(), TRAVELLER_GALLERY: _Changes()}
        by_kind: dict[str, int] = {}
        for item in page.items:
            by_kind[item.kind] = by_kind.get(item.kind, 0) + 1
        deletes = sum(1 for item in page.items if item.deleted)
        with self.store.atomic():
            current = self.store.sync_state.checkpoint()
            if current != page.since:
                raise ProtocolError(f"page starts at {page.since}, checkpoint is {current}")
            try:
                self._watchlist(
                    [i for i in page.items if i.kind == FeedKind.WATCHLIST],
                    galleries[WATCHLIST_GALLERY],
                )
                self._travellers(
                    [i for i in page.items if i.kind == FeedKind.TRAVELLER],
                    galleries[TRAVELLER_GALLERY],
                )
                for item in page.items:
                    if item.kind not in (FeedKind.WATCHLIST, FeedKind.TRAVELLER):
                        self._document(item)
            except MalformedDataError as exc:
                raise ProtocolError(f"feed page after {page.since}: {exc}") from exc
            if self._before_checkpoint is not None:
                self._before_checkpoint(page)
            self.store.sync_state.set_checkpoint(page.next_since)
            if not page.more:
                self.store.sync_state.set_time(FEED_CURRENT_AT, self._clock())
            deltas = [c.delta(g) for g, c in galleries.items()]
            # Without a hook (e.g. `gerbang sync now`) the flag stays: the kiosk app
            # rebuilds its index from the store when it starts. With one, clearing it
            # rides on the next page's transaction (or flush()): no extra commit.
            dirty = any(not d.empty for d in deltas)
            if dirty:
                self.store.sync_state.set(INDEX_DIRTY, "1")
            elif self._clean_pending:
                self.store.sync_state.delete(INDEX_DIRTY)
            self._clean_pending = False
        if dirty and self.index_hook is not None:
            for delta in deltas:
                if not delta.empty:
                    self.index_hook(delta)
            self._clean_pending = True
        return ApplyResult(len(page.items) - deletes, deletes, page.next_since, by_kind)

    # ------------------------------------------------------------ per kind
    def _document(self, item: FeedItem) -> None:
        if item.deleted:
            self.store.feed_documents.delete(item.kind, item.record_id)
            return
        if item.kind == FeedKind.TRUST_ANCHOR:
            raw = codec.dumps(codec.from_json_value(TrustAnchor, item.payload))
        elif item.kind == FeedKind.POLICY:
            raw = codec.dumps(codec.from_json_value(PolicyDocument, item.payload))
        else:  # a kind this version does not know: kept as sent, for a later version
            raw = _canonical(item.payload)
        self.store.feed_documents.put(item.kind, item.record_id, item.seq, raw)

    def _remove_templates(
        self,
        entry_id: str,
        face_ids: Iterable[str],
        fingerprint_ids: Iterable[str],
        changes: _Changes,
    ) -> None:
        for template_id in face_ids:
            if self.store.face_templates.exists(template_id):
                row = self.store.face_templates.row_id(template_id)
                changes.faces_removed.append(TemplateRef(row, template_id, entry_id))
                self.store.face_templates.delete(template_id)
        for template_id in fingerprint_ids:
            if self.store.fingerprint_templates.exists(template_id):
                row = self.store.fingerprint_templates.row_id(template_id)
                changes.fingers_removed.append(TemplateRef(row, template_id, entry_id))
                self.store.fingerprint_templates.delete(template_id)

    def _put_templates(self, batch: _TemplateBatch, changes: _Changes) -> None:
        rows = self.store.face_templates.put_many(batch.faces, batch.face_raw)
        changes.faces.extend(zip(rows, batch.faces, batch.face_owners, strict=True))
        rows = self.store.fingerprint_templates.put_many(batch.fingers, batch.finger_raw)
        changes.fingers.extend(zip(rows, batch.fingers, batch.finger_owners, strict=True))

    def _watchlist(self, items: list[FeedItem], changes: _Changes) -> None:
        """Removals first (tombstones, templates an entry dropped), then upserts in bulk:
        each record is at most once in a page, so this order gives the final state."""
        if not items:
            return
        repo = self.store.watchlist
        stored = repo.existing([i.record_id for i in items])
        entries: list[WatchlistEntry] = []
        entry_raw: list[bytes] = []
        templates = _TemplateBatch()
        for item in items:
            old = repo.get(item.record_id) if item.record_id in stored else None
            if item.deleted:
                if old is not None:
                    self._remove_templates(
                        item.record_id, old.face_template_ids, old.fingerprint_template_ids, changes
                    )
                    repo.delete(item.record_id)
                    changes.entries_removed.append(item.record_id)
                continue
            bundle = codec.from_json_value(WatchlistBundle, item.payload, f"watchlist {item.seq}")
            entry = bundle.entry
            if entry.entry_id != item.record_id:
                raise MalformedDataError("entry id differs from the feed item's id")
            if old is not None:
                self._remove_templates(
                    entry.entry_id,
                    set(old.face_template_ids) - set(entry.face_template_ids),
                    set(old.fingerprint_template_ids) - set(entry.fingerprint_template_ids),
                    changes,
                )
            entries.append(entry)
            entry_raw.append(_canonical(item.payload["entry"]))
            changes.entries_upserted.append(entry.entry_id)
            templates.add(
                entry.entry_id, bundle.face_templates, bundle.fingerprint_templates, item.payload
            )
        repo.put_many(entries, entry_raw)
        self._put_templates(templates, changes)

    def _travellers(self, items: list[FeedItem], changes: _Changes) -> None:
        if not items:
            return
        repo = self.store.enrollments
        stored = repo.existing([i.record_id for i in items])
        templates = _TemplateBatch()
        enrollments: list[Enrollment] = []
        travellers: list[Traveller] = []
        for item in items:
            old = repo.get(item.record_id) if item.record_id in stored else None
            if item.deleted:
                if old is not None:
                    self._remove_templates(
                        item.record_id, old.face_template_ids, old.fingerprint_template_ids, changes
                    )
                    repo.delete(item.record_id)
                    changes.entries_removed.append(item.record_id)
                    if not repo.for_traveller(old.traveller_id) and self.store.travellers.exists(
                        old.traveller_id
                    ):
                        self.store.travellers.delete(old.traveller_id)
                continue
            bundle = codec.from_json_value(EnrollmentBundle, item.payload, f"traveller {item.seq}")
            enrollment = bundle.enrollment
            if enrollment.enrollment_id != item.record_id:
                raise MalformedDataError("enrollment id differs from the feed item's id")
            if old is not None:
                self._remove_templates(
                    enrollment.enrollment_id,
                    set(old.face_template_ids) - set(enrollment.face_template_ids),
                    set(old.fingerprint_template_ids) - set(enrollment.fingerprint_template_ids),
                    changes,
                )
            travellers.append(bundle.traveller)
            enrollments.append(enrollment)
            changes.entries_upserted.append(enrollment.enrollment_id)
            templates.add(
                enrollment.enrollment_id,
                bundle.face_templates,
                bundle.fingerprint_templates,
                item.payload,
            )
        self.store.travellers.put_many(travellers)
        repo.put_many(enrollments)
        self._put_templates(templates, changes)


@dataclass
class _TemplateBatch:
    faces: list[FaceTemplate] = field(default_factory=list)
    face_raw: list[bytes] = field(default_factory=list)
    face_owners: list[str] = field(default_factory=list)
    fingers: list[FingerprintTemplate] = field(default_factory=list)
    finger_raw: list[bytes] = field(default_factory=list)
    finger_owners: list[str] = field(default_factory=list)

    def add(
        self,
        owner: str,
        faces: tuple[FaceTemplate, ...],
        fingers: tuple[FingerprintTemplate, ...],
        payload: dict[str, Any],
    ) -> None:
        self.faces.extend(faces)
        self.face_owners.extend(owner for _ in faces)
        self.finger_owners.extend(owner for _ in fingers)
        self.face_raw.extend(_canonical(v) for v in payload.get("face_templates", ()))
        self.fingers.extend(fingers)
        self.finger_raw.extend(_canonical(v) for v in payload.get("fingerprint_templates", ()))


def _canonical(value: Any) -> bytes:
    """The JSON of an already validated value, as ``codec.dumps`` writes it."""
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()

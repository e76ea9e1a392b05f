"""The active watchlist's fingerprints as one 1:N gallery, rebuilt when the watchlist changes.

:class:`WatchlistFingers` keeps a :class:`~biometrics.fingerprint.gallery.FingerGallery`
of the comparable fingerprint templates of the watchlist entries active now
(exhaustive while small, the FAISS candidate index when large). Every search
first reads which entries are active (their ids, template ids and update times:
a cheap query, no template decoded) and rebuilds the gallery when that differs
from what it was built from, so a search never uses a stale watchlist. The feed
hook calls :meth:`WatchlistFingers.refresh` after a page changed the watchlist:
the rebuild then runs on its own thread, before the next traveller needs it.
Searches run on the traveller flow's worker thread, never on the UI thread. A
search that finds the watchlist changed (a feed page, an entry starting or
expiring) does not wait for the rebuild (a large list takes minutes): it starts
one in the background and is served from the previous gallery, without the
entries removed or changed since, plus an exhaustive comparison with the
fingers of the entries added or changed since (:class:`InterimGallery`) — the
same entries the new gallery will hold. Only the first build, with nothing to
serve, is waited for.

Each reference is decoded with its enhanced minutiae set and ridge flow when its
record holds them (fingers enrolled or imported from an image): when all do, the
gallery is ``gerbang_dual``'s (:attr:`FingerGallery.dual`), else the raw sets'.
The interim view searches with ``gerbang_dual`` only when both its parts can.

A rebuild decodes only templates it has not decoded before (kept by template id
and the entry's update time while the watchlist is small enough for the
exhaustive gallery; a large one is decoded afresh so memory stays bounded).
Refresh calls arriving while one runs are folded into one more rebuild. A
template deleted between reading the entries and reading it (a sync page) is
skipped and counted; the next search sees the changed key and rebuilds. A
failed rebuild is not retried for the same watchlist within ``RETRY_AFTER_S``
(searches keep the interim view; before any gallery exists they fail at once,
and the traveller goes to an officer, instead of each paying for another
failing build).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from biometrics.fingerprint import record
from biometrics.fingerprint.dual import FingerSets
from biometrics.fingerprint.gallery import FingerGallery, Hit
from biometrics.fingerprint.params import INDEX
from biometrics.fingerprint.template import MinutiaeTemplate
from models.errors import RecordNotFoundError
from models.store import Store
from models.watchlist import WatchlistEntry

log = logging.getLogger(__name__)

Key = tuple[tuple[str, tuple[str, ...], str], ...]
# interim additions: always exhaustive
EXHAUSTIVE = replace(INDEX, exhaustive_below=2**31, dual_exhaustive_below=2**31)
RETRY_AFTER_S = 60.0  # a failed rebuild of the same watchlist is not retried before this


class Searchable(Protocol):
    @property
    def dual(self) -> bool: ...

    def uses_dual(self, probe: FingerSets | MinutiaeTemplate) -> bool: ...

    def search(
        self,
        probe: FingerSets | MinutiaeTemplate,
        top: int | None = None,
        *,
        dual_allowed: bool = True,
        decide_at: float | None = None,
    ) -> list[Hit]: ...

    def __len__(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Built:
    key: Key
    gallery: Searchable
    entries: tuple[str, ...]  # the watchlist entry of each gallery reference
    skipped: int  # templates not comparable (not in our format)


class InterimGallery:
    """The previous gallery minus ``dropped`` entries, plus an exhaustive gallery of the
    fingers of entries added or changed since; references number the previous ones
    first, then the added ones."""

    def __init__(self, previous: Built, dropped: set[str], added: FingerGallery) -> None:
        self.previous = previous
        self.dropped = dropped
        self.added = added

    def __len__(self) -> int:
        return len(self.previous.gallery) + len(self.added)

    @property
    def dual(self) -> bool:
        """Both parts ``gerbang_dual``'s (an empty addition takes the previous' matcher)."""
        return self.previous.gallery.dual and (self.added.dual or not len(self.added))

    def uses_dual(self, probe: FingerSets | MinutiaeTemplate) -> bool:
        return self.dual and self.previous.gallery.uses_dual(probe)

    def search(
        self,
        probe: FingerSets | MinutiaeTemplate,
        top: int | None = None,
        *,
        dual_allowed: bool = True,
        decide_at: float | None = None,
    ) -> list[Hit]:
        entries = self.previous.entries
        allowed = dual_allowed and self.dual  # one matcher for both parts
        hits = [
            h
            for h in self.previous.gallery.search(probe, dual_allowed=allowed, decide_at=decide_at)
            if entries[h.reference] not in self.dropped
        ]
        offset = len(entries)
        added = self.added.search(probe, dual_allowed=allowed, decide_at=decide_at)
        hits += [Hit(offset + h.reference, h.score) for h in added]
        hits.sort(key=lambda h: -h.score)
        return hits[:top]


class WatchlistFingers:
    def __init__(
        self,
        store: Store,
        clock: Callable[[], datetime],
        build: Callable[[list[FingerSets]], FingerGallery] = FingerGallery,
    ) -> None:
        self.store = store
        self.clock = clock
        self._build = build
        self._lock = threading.Lock()  # one build at a time; only the first is waited for
        self._built: Built | None = None
        self._decoded: dict[tuple[str, str], FingerSets | None] = {}  # small lists
        self._failed: tuple[Key, float, Exception] | None = None
        self._refresh_lock = threading.Lock()
        self._refresher: threading.Thread | None = None
        self._again = False
        self._interim_for: tuple[Built, Built] | None = None  # (previous, interim view)
        self.builds = 0
        self.interim_searches = 0

    def _active(self, at: datetime) -> tuple[list[WatchlistEntry], Key]:
        """The entries active at ``at`` and the key a gallery of them is built from."""
        entries = self.store.watchlist.active(at)
        key = tuple(
            (e.entry_id, e.fingerprint_template_ids, e.updated_at.isoformat()) for e in entries
        )
        return entries, key

    def current(self, at: datetime | None = None) -> Built:
        """The gallery of the entries active at ``at`` (now). Once a gallery exists, a
        changed watchlist is rebuilt in the background and this search gets the
        interim view (see the module docstring); only the first build is waited for."""
        moment = self.clock() if at is None else at
        previous = self._built
        if previous is not None:
            entries, key = self._active(moment)
            if key == previous.key:
                return previous
            self.refresh()
            cached = self._interim_for
            if cached is not None and cached[0] is previous and cached[1].key == key:
                interim = cached[1]  # the same pending change: decoded once
            else:
                interim = self._interim(previous, entries, key)
                self._interim_for = (previous, interim)
            self.interim_searches += 1
            return interim
        with self._lock:
            return self._current(moment)

    def _interim(self, previous: Built, active: list[WatchlistEntry], key: Key) -> Built:
        before = {entry: (ids, stamp) for entry, ids, stamp in previous.key}
        now = {entry: (ids, stamp) for entry, ids, stamp in key}
        dropped = {e for e, state in before.items() if now.get(e) != state}
        changed = [e for e in active if before.get(e.entry_id) != now.get(e.entry_id)]
        templates, entries, skipped = self._references(changed, {})
        interim = InterimGallery(previous, dropped, FingerGallery(templates, EXHAUSTIVE))
        return Built(key, interim, previous.entries + tuple(entries), previous.skipped + skipped)

    def _references(
        self, active: list[WatchlistEntry], decoded: dict[tuple[str, str], FingerSets | None]
    ) -> tuple[list[FingerSets], list[str], int]:
        """The comparable fingerprints of ``active`` (templates, their entry, how many
        skipped), decoding those not in ``decoded`` and adding them to it. Decoded
        templates are kept by (template id, entry's update time): an entry changed by
        the feed (same template ids, new data) is decoded again."""
        templates: list[FingerSets] = []
        entries: list[str] = []
        skipped = 0
        for entry in active:
            stamp = entry.updated_at.isoformat()
            for template_id in entry.fingerprint_template_ids:
                if (template_id, stamp) not in decoded:
                    try:
                        stored = self.store.fingerprint_templates.get(template_id)
                    except RecordNotFoundError:  # deleted by a sync page meanwhile
                        skipped += 1
                        continue
                    decoded[template_id, stamp] = record.finger_sets(stored)
                usable = decoded[template_id, stamp]
                if usable is None:
                    skipped += 1
                    continue
                templates.append(usable)
                entries.append(entry.entry_id)
        return templates, entries, skipped

    def _current(self, moment: datetime) -> Built:
        active, key = self._active(moment)
        if self._built is None or self._built.key != key:
            failed = self._failed
            if (
                failed is not None
                and failed[0] == key
                and time.monotonic() - failed[1] < RETRY_AFTER_S
            ):
                raise failed[2]
            try:
                self._built = self._make(active, key)
            except Exception as exc:
                self._failed = (key, time.monotonic(), exc)
                raise
            self._failed = None
        return self._built

    def refresh(self) -> threading.Thread:
        """Rebuild on a background thread (the feed hook's call after a watchlist change);
        while one runs, further calls fold into one more rebuild after it."""
        with self._refresh_lock:
            if self._refresher is not None and self._refresher.is_alive():
                self._again = True
                return self._refresher
            self._again = False
            thread = threading.Thread(target=self._refresh, name="watchlist-fingers", daemon=True)
            self._refresher = thread
            thread.start()
            return thread

    def _refresh(self) -> None:
        while True:
            try:
                with self._lock:
                    self._current(self.clock())
            except Exception:  # the next search rebuilds (and raises) on the worker thread
                log.exception("watchlist fingerprint gallery rebuild failed")
            with self._refresh_lock:
                if not self._again:
                    return
                self._again = False

    def _make(self, active: list[WatchlistEntry], key: Key) -> Built:
        ids = [(t, updated) for _, template_ids, updated in key for t in template_ids]
        keep = len(ids) < INDEX.exhaustive_below  # cache decoded templates of small lists only
        decoded = {t: self._decoded[t] for t in ids if keep and t in self._decoded}
        templates, entries, skipped = self._references(active, decoded)
        if not keep:
            decoded = {}
        self._decoded = decoded
        gallery = self._build(templates)
        self.builds += 1
        log.info(
            "watchlist fingerprint gallery built",
            extra={"references": len(templates), "method": gallery.method},
        )
        return Built(key, gallery, tuple(entries), skipped)

"""The active watchlist's fingerprints as one 1:N gallery, rebuilt when the watchlist changes.

:class:`WatchlistFingers` keeps a :class:`~biometrics.fingerprint.gallery.FingerGallery`
of the comparable fingerprint templates of the watchlist entries active now
(exhaustive while small, the FAISS candidate index when large). Every search
first reads which entries are active (their ids, template ids and update times:
a cheap query, no template decoded) and rebuilds the gallery when that differs
from what it was built from, so a search never uses a stale watchlist. The feed
hook calls :meth:`WatchlistFingers.refresh` after a page changed the watchlist:
the rebuild then runs on its own thread, before the next traveller needs it. A
search waits for a rebuild in progress; searches run on the traveller flow's
worker thread, never on the UI thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from biometrics.fingerprint import record
from biometrics.fingerprint.gallery import FingerGallery
from biometrics.fingerprint.template import MinutiaeTemplate
from models.store import Store

log = logging.getLogger(__name__)

Key = tuple[tuple[str, tuple[str, ...], str], ...]


@dataclass(frozen=True, slots=True)
class Built:
    key: Key
    gallery: FingerGallery
    entries: tuple[str, ...]  # the watchlist entry of each gallery reference
    skipped: int  # templates not comparable (not in our format)


class WatchlistFingers:
    def __init__(
        self,
        store: Store,
        clock: Callable[[], datetime],
        build: Callable[[list[MinutiaeTemplate]], FingerGallery] = FingerGallery,
    ) -> None:
        self.store = store
        self.clock = clock
        self._build = build
        self._lock = threading.Lock()  # one build at a time; searches wait for it
        self._built: Built | None = None
        self.builds = 0

    def _key(self, at: datetime) -> Key:
        return tuple(
            (e.entry_id, e.fingerprint_template_ids, e.updated_at.isoformat())
            for e in self.store.watchlist.active(at)
        )

    def current(self, at: datetime | None = None) -> Built:
        """The gallery of the entries active at ``at`` (now), built if it is out of date."""
        moment = self.clock() if at is None else at
        with self._lock:
            key = self._key(moment)
            if self._built is None or self._built.key != key:
                self._built = self._make(moment, key)
            return self._built

    def refresh(self) -> threading.Thread:
        """Rebuild on a background thread (the feed hook's call after a watchlist change)."""
        thread = threading.Thread(target=self._refresh, name="watchlist-fingers", daemon=True)
        thread.start()
        return thread

    def _refresh(self) -> None:
        try:
            self.current()
        except Exception:  # the next search rebuilds (and raises) on the worker thread
            log.exception("watchlist fingerprint gallery rebuild failed")

    def _make(self, at: datetime, key: Key) -> Built:
        templates: list[MinutiaeTemplate] = []
        entries: list[str] = []
        skipped = 0
        for entry in self.store.watchlist.active(at):
            for template_id in entry.fingerprint_template_ids:
                usable = record.comparable(self.store.fingerprint_templates.get(template_id))
                if usable is None:
                    skipped += 1
                    continue
                templates.append(usable)
                entries.append(entry.entry_id)
        gallery = self._build(templates)
        self.builds += 1
        log.info(
            "watchlist fingerprint gallery built",
            extra={"references": len(templates), "method": gallery.method},
        )
        return Built(key, gallery, tuple(entries), skipped)

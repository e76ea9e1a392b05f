"""Watchlist entries received from partner agencies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class WatchlistCategory(StrEnum):
    WANTED = "wanted"  # arrest warrant (police)
    NARCOTICS = "narcotics"  # narcotics agency
    TRAVEL_BAN = "travel_ban"  # exit/entry prohibition (immigration)
    LOST_STOLEN_DOCUMENT = "lost_stolen_document"
    MISSING_PERSON = "missing_person"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class WatchlistEntry:
    entry_id: str
    source_agency: str
    category: WatchlistCategory
    reason: str
    valid_from: datetime
    valid_until: datetime | None  # None: until removed
    created_at: datetime
    updated_at: datetime
    full_name: str | None = None
    nationality: str | None = None
    document_numbers: tuple[str, ...] = ()
    face_template_ids: tuple[str, ...] = ()
    fingerprint_template_ids: tuple[str, ...] = ()

    def is_active(self, at: datetime) -> bool:
        if at < self.valid_from:
            return False
        return self.valid_until is None or at <= self.valid_until

"""Watchlist memberships of gallery rows, as arrays for vectorised filtering.

The index keeps, per watchlist entry, its category, validity interval and the
gallery rows it covers.  A filter by categories and time is then a few numpy
comparisons over (usually) thousands of rows, not a store query per search.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np

from biometrics.index.errors import IndexMismatchError
from biometrics.index.idsets import sorted_union
from biometrics.index.records import IdArray, WatchlistMembership
from models.watchlist import WatchlistCategory

_CATEGORY_BIT = {category: 1 << n for n, category in enumerate(WatchlistCategory)}
_FOREVER = np.iinfo(np.int64).max
_NO_ROWS = np.empty(0, np.int64)


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def category_mask(categories: Iterable[WatchlistCategory] | None) -> int:
    if categories is None:
        return sum(_CATEGORY_BIT.values())
    return sum(_CATEGORY_BIT[c] for c in set(categories))


class WatchlistTable:
    """Immutable: :meth:`apply` returns a new table."""

    __slots__ = ("_from", "_mask", "_rows", "_until", "entries")

    def __init__(self, entries: Mapping[str, WatchlistMembership] | None = None) -> None:
        self.entries: dict[str, WatchlistMembership] = dict(entries or {})
        sizes = [len(m.row_ids) for m in self.entries.values()]
        total = sum(sizes)
        self._rows = np.empty(total, np.int64)
        self._mask = np.empty(total, np.int64)
        self._from = np.empty(total, np.int64)
        self._until = np.empty(total, np.int64)
        at = 0
        for membership, size in zip(self.entries.values(), sizes, strict=True):
            stop = at + size
            self._rows[at:stop] = membership.row_ids
            self._mask[at:stop] = _CATEGORY_BIT[membership.category]
            self._from[at:stop] = _seconds(membership.valid_from)
            until = membership.valid_until
            self._until[at:stop] = _FOREVER if until is None else _seconds(until)
            at = stop

    def __len__(self) -> int:
        return len(self.entries)

    def apply(
        self, memberships: Iterable[WatchlistMembership], removed: Iterable[str]
    ) -> WatchlistTable:
        entries = dict(self.entries)
        for entry_id in removed:
            entries.pop(entry_id, None)
        for membership in memberships:
            entries[membership.entry_id] = membership
        return WatchlistTable(entries)

    def rows(self, categories: Iterable[WatchlistCategory] | None, at: datetime | None) -> IdArray:
        """Sorted unique rows with an entry of one of ``categories`` valid at ``at``."""
        keep = (self._mask & category_mask(categories)) != 0
        if at is not None:
            moment = _seconds(at)
            keep &= (self._from <= moment) & (moment <= self._until)
        return sorted_union(self._rows[keep], _NO_ROWS)

    # ------------------------------------------------------------------ persistence
    def to_json(self) -> bytes:
        data = [
            {
                "entry_id": m.entry_id,
                "category": m.category.value,
                "valid_from": m.valid_from.isoformat(),
                "valid_until": m.valid_until.isoformat() if m.valid_until else None,
                "row_ids": list(m.row_ids),
            }
            for m in self.entries.values()
        ]
        return json.dumps(data, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, raw: bytes | memoryview) -> WatchlistTable:
        try:
            items: list[dict[str, Any]] = json.loads(bytes(raw))
            entries = {
                item["entry_id"]: WatchlistMembership(
                    entry_id=item["entry_id"],
                    category=WatchlistCategory(item["category"]),
                    valid_from=_parse_time(item["valid_from"]),
                    valid_until=(_parse_time(item["valid_until"]) if item["valid_until"] else None),
                    row_ids=tuple(int(r) for r in item["row_ids"]),
                )
                for item in items
            }
        except (ValueError, KeyError, TypeError) as exc:
            raise IndexMismatchError(
                f"watchlist section unreadable: {exc}", field="watchlist"
            ) from exc
        return cls(entries)


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

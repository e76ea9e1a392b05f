"""One text form for times in index columns: UTC, microseconds, so that text order is time order.

Callers may pass times in any offset (the kiosk's clock says +07:00 in Way
Kanan); comparing ISO strings with different offsets would be wrong.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the store takes timezone-aware times only")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")

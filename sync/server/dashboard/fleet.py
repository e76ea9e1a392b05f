"""The fleet page's data: every kiosk with what it last reported, against its limits.

What a kiosk reports (``POST /status``, kept in ``kiosk_status``): feed checkpoint,
outbox depth, offline mode with reasons, days since its last successful sync,
software ``version``; device states arrive as ``device_status`` pushes
(``device_health``). Last contact is the time of the last status report. The
limits are those of the offline policy published in the feed (the kiosk's
office's, else the global one, else the defaults of :class:`sync.policy.OfflinePolicy`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from models import codec
from models.errors import MalformedDataError
from sync.policy import OfflinePolicy, PolicyDocument
from sync.protocol import GLOBAL_SCOPE, FeedKind
from sync.server import registry
from sync.server import schema as s

# Share of the outbox limit from which a kiosk is flagged (the kiosk degrades at 100 %).
OUTBOX_WARN_SHARE = 0.8


@dataclass(frozen=True, slots=True)
class Limits:
    max_days_offline: float
    max_outbox_items: int
    source: str


@dataclass(slots=True)
class KioskRow:
    kiosk_id: str
    office_id: str
    status: str
    last_contact: datetime | None
    days_since_contact: float | None
    version: str
    mode: str
    outbox_depth: int | None
    days_offline: float | None  # as the kiosk reported it
    limits: Limits
    devices: list[dict[str, str]] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)  # catalogue keys

    def as_json(self) -> dict[str, Any]:
        return {
            "kiosk_id": self.kiosk_id,
            "office_id": self.office_id,
            "status": self.status,
            "last_contact": self.last_contact.isoformat() if self.last_contact else None,
            "days_since_contact": self.days_since_contact,
            "version": self.version,
            "mode": self.mode,
            "outbox_depth": self.outbox_depth,
            "days_offline": self.days_offline,
            "max_days_offline": self.limits.max_days_offline,
            "max_outbox_items": self.limits.max_outbox_items,
            "devices": self.devices,
            "alerts": self.alerts,
        }


def _policies(conn: Connection) -> dict[str, Limits]:
    """Published offline policies by scope ("*" for the global one)."""
    f = s.feed_records
    out: dict[str, Limits] = {}
    for scope, payload in conn.execute(
        select(f.c.scope, f.c.payload).where(
            f.c.kind == FeedKind.POLICY.value, f.c.deleted.is_(False)
        )
    ):
        try:
            doc = codec.loads(PolicyDocument, str(payload))
        except (MalformedDataError, ValueError):
            continue  # validated when published; an unreadable one gives the defaults
        out[str(scope)] = Limits(doc.max_days_offline, doc.max_outbox_items, f"policy:{scope}")
    return out


def fleet(conn: Connection, *, now: datetime) -> list[KioskRow]:
    policies = _policies(conn)
    default = OfflinePolicy()
    fallback = policies.get(
        GLOBAL_SCOPE, Limits(default.max_days_offline, default.max_outbox_items, "default")
    )
    status = {str(r.kiosk_id): r for r in conn.execute(select(s.kiosk_status))}
    devices: dict[str, list[dict[str, str]]] = {}
    d = s.device_health
    for r in conn.execute(
        select(d.c.kiosk_id, d.c.device_id, d.c.kind, d.c.state, d.c.observed_at).order_by(
            d.c.kiosk_id, d.c.kind
        )
    ):
        devices.setdefault(str(r.kiosk_id), []).append(
            {"device_id": str(r.device_id), "kind": str(r.kind), "state": str(r.state)}
        )
    rows = []
    for k in registry.list_kiosks(conn):
        st = status.get(k.kiosk_id)
        report: dict[str, Any] = json.loads(st.payload) if st is not None else {}
        offline = report.get("offline") or {}
        contact = st.reported_at if st is not None else None
        row = KioskRow(
            kiosk_id=k.kiosk_id,
            office_id=k.office_id,
            status=k.status,
            last_contact=contact,
            days_since_contact=round((now - contact).total_seconds() / 86400, 2)
            if contact
            else None,
            version=str(report.get("version") or ""),
            mode=str(st.mode) if st is not None else "",
            outbox_depth=int(st.outbox_depth) if st is not None else None,
            days_offline=offline.get("days_offline"),
            limits=policies.get(k.office_id, fallback),
            devices=devices.get(k.kiosk_id, []),
        )
        row.alerts = alerts(row)
        rows.append(row)
    rows.sort(key=lambda r: (not r.alerts, r.office_id, r.kiosk_id))
    return rows


def alerts(row: KioskRow) -> list[str]:
    """Why a kiosk needs attention (catalogue keys), most serious first."""
    if row.status != registry.ACTIVE:
        return []
    found = []
    limit = row.limits.max_days_offline
    if row.last_contact is None:
        found.append("alert.never_reported")
    elif row.days_since_contact is not None and row.days_since_contact > limit:
        found.append("alert.past_offline_limit")
    elif row.days_since_contact is not None and row.days_since_contact > 1:
        found.append("alert.no_contact_1d")
    if row.days_offline is not None and row.days_offline > limit:
        found.append("alert.kiosk_offline_limit")
    if row.mode and row.mode != "normal":
        found.append("alert.officer_only")
    if (
        row.outbox_depth is not None
        and row.outbox_depth >= OUTBOX_WARN_SHARE * row.limits.max_outbox_items
    ):
        found.append("alert.outbox_full")
    if any(d["state"] in ("error", "absent") for d in row.devices):
        found.append("alert.device")
    return found

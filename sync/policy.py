"""The offline policy: when a kiosk that cannot reach the centre must degrade.

A remote post may run for weeks without a link. The policy says how long that
is acceptable before the kiosk stops letting travellers through on its own
(officer-only mode), when the watchlist is old enough to warn about, and how
full the outbox may get. Its values come from the central server's ``policy``
feed (an office's own document wins over the global one), else from the
kiosk's settings (``[sync]``).

:meth:`OfflinePolicy.evaluate` is pure: the kiosk calls it with what the store
knows, the CLI prints it, and the kiosk reports it to the centre (dashboard).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from models import codec
from models.errors import MalformedDataError
from models.settings import SyncSettings
from sync import params


class KioskMode(StrEnum):
    NORMAL = "normal"  # travellers are served by the kiosk
    OFFICER_ONLY = "officer_only"  # every transaction goes to an officer


class OfflineReason(StrEnum):
    NOT_REGISTERED = "not_registered"
    NEVER_SYNCED = "never_synced"  # no watchlist ever received: nothing to screen against
    OFFLINE_TOO_LONG = "offline_too_long"
    OUTBOX_FULL = "outbox_full"
    REVOKED = "revoked"
    WATCHLIST_STALE = "watchlist_stale"  # a warning, not a reason to degrade
    # The clock reads well before the last sync or feed: the offline limit cannot be
    # measured (a flat RTC battery, or the clock set back to dodge the limit).
    CLOCK_BEHIND = "clock_behind"


@dataclass(frozen=True, slots=True)
class Threshold:
    name: str  # e.g. "face_1to1", "watchlist_face"
    value: float


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    """The central ``policy`` feed document (global or per office)."""

    version: int
    max_days_offline: int
    watchlist_stale_hours: float
    max_outbox_items: int
    thresholds: tuple[Threshold, ...] = ()


@dataclass(frozen=True, slots=True)
class OfflineStatus:
    mode: KioskMode
    reasons: tuple[OfflineReason, ...]  # why the mode is not NORMAL
    warnings: tuple[OfflineReason, ...]
    days_offline: float | None  # since the last successful sync; None: never
    watchlist_age_hours: float | None
    outbox_depth: int

    def as_json(self) -> dict[str, object]:
        return {
            "mode": self.mode.value,
            "reasons": [r.value for r in self.reasons],
            "warnings": [w.value for w in self.warnings],
            "days_offline": None if self.days_offline is None else round(self.days_offline, 3),
            "watchlist_age_hours": None
            if self.watchlist_age_hours is None
            else round(self.watchlist_age_hours, 2),
            "outbox_depth": self.outbox_depth,
        }


@dataclass(frozen=True, slots=True)
class OfflinePolicy:
    max_days_offline: int = 14
    watchlist_stale_hours: float = 72.0
    max_outbox_items: int = 50_000
    thresholds: tuple[Threshold, ...] = field(default=())
    source: str = "settings"  # "settings", "global" or "office:<id>"

    @classmethod
    def from_settings(cls, settings: SyncSettings) -> OfflinePolicy:
        return cls(
            max_days_offline=settings.max_days_offline,
            watchlist_stale_hours=settings.watchlist_stale_hours,
            max_outbox_items=settings.max_outbox_items,
        )

    @classmethod
    def from_document(cls, raw: bytes, *, source: str) -> OfflinePolicy:
        doc = codec.loads(PolicyDocument, raw)
        if doc.max_days_offline < 1 or doc.max_outbox_items < 1 or doc.watchlist_stale_hours <= 0:
            raise MalformedDataError("policy document: limits must be positive")
        return cls(
            max_days_offline=doc.max_days_offline,
            watchlist_stale_hours=doc.watchlist_stale_hours,
            max_outbox_items=doc.max_outbox_items,
            thresholds=doc.thresholds,
            source=source,
        )

    def threshold(self, name: str) -> float | None:
        return next((t.value for t in self.thresholds if t.name == name), None)

    def evaluate(
        self,
        *,
        now: datetime,
        registered: bool,
        revoked: bool = False,
        last_sync_at: datetime | None,
        watchlist_at: datetime | None,
        outbox_depth: int,
    ) -> OfflineStatus:
        reasons: list[OfflineReason] = []
        warnings: list[OfflineReason] = []
        days = None if last_sync_at is None else (now - last_sync_at).total_seconds() / 86400
        age_h = None if watchlist_at is None else (now - watchlist_at).total_seconds() / 3600
        if revoked:
            reasons.append(OfflineReason.REVOKED)
        elif not registered:
            reasons.append(OfflineReason.NOT_REGISTERED)
        if watchlist_at is None:
            reasons.append(OfflineReason.NEVER_SYNCED)
        elif age_h is not None and age_h > self.watchlist_stale_hours:
            warnings.append(OfflineReason.WATCHLIST_STALE)
        if days is not None and days > self.max_days_offline:
            reasons.append(OfflineReason.OFFLINE_TOO_LONG)
        tolerance_h = params.CLOCK_BEHIND_TOLERANCE_S / 3600
        if (days is not None and days * 24 < -tolerance_h) or (
            age_h is not None and age_h < -tolerance_h
        ):
            reasons.append(OfflineReason.CLOCK_BEHIND)
        if outbox_depth > self.max_outbox_items:
            reasons.append(OfflineReason.OUTBOX_FULL)
        return OfflineStatus(
            mode=KioskMode.OFFICER_ONLY if reasons else KioskMode.NORMAL,
            reasons=tuple(reasons),
            warnings=tuple(warnings),
            days_offline=days,
            watchlist_age_hours=age_h,
            outbox_depth=outbox_depth,
        )


def effective_policy(
    settings: SyncSettings, *, global_doc: bytes | None, office_doc: bytes | None, office_id: str
) -> OfflinePolicy:
    """The office's document if any, else the global one, else the settings."""
    if office_doc is not None:
        return OfflinePolicy.from_document(office_doc, source=f"office:{office_id}")
    if global_doc is not None:
        return OfflinePolicy.from_document(global_doc, source="global")
    return OfflinePolicy.from_settings(settings)

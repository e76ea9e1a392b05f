"""Retention: purge traveller transaction data after its period.

What goes, by default: verification events after 30 days, closed referrals after
90 days, biometric *images* (face and fingerprint samples) as soon as their
templates exist (``images_days = 0``). What stays: records under a legal hold,
records whose sync outbox item has not reached the central server yet (a purge
must never lose data the centre has not got), enrollments and watchlist entries
(their own lifecycle), and the audit log (never purged). Every run that deletes
something appends one audit record with the counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from models.audit import AuditLog
from models.events import ReferralStatus
from models.store import Repository, Store


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    events_days: int = 30
    referrals_days: int = 90
    images_days: int = 0


@dataclass(frozen=True, slots=True)
class KindReport:
    eligible: int = 0  # older than the period
    held: int = 0  # kept: legal hold
    unsynced: int = 0  # kept: not yet at the central server
    purged: int = 0


@dataclass(frozen=True, slots=True)
class RetentionReport:
    at: datetime
    dry_run: bool
    kinds: dict[str, KindReport] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "at": self.at.isoformat(),
            "dry_run": self.dry_run,
            "kinds": {
                k: {
                    "eligible": r.eligible,
                    "held": r.held,
                    "unsynced": r.unsynced,
                    "purged": r.purged,
                }
                for k, r in self.kinds.items()
            },
        }


def run_retention(
    store: Store,
    audit: AuditLog,
    policy: RetentionPolicy,
    *,
    now: datetime,
    dry_run: bool,
    actor: str = "system",
) -> RetentionReport:
    open_only = ("status != ?", (ReferralStatus.OPEN.value,))
    plans: tuple[tuple[str, Repository[Any], str, int, tuple[str, tuple[str, ...]]], ...] = (
        ("verification_event", store.events, "started_at", policy.events_days, ("1", ())),
        ("referral", store.referrals, "created_at", policy.referrals_days, open_only),
        ("face_sample", store.face_samples, "captured_at", policy.images_days, ("1", ())),
        (
            "fingerprint_sample",
            store.fingerprint_samples,
            "captured_at",
            policy.images_days,
            ("1", ()),
        ),
    )
    report = RetentionReport(now, dry_run)
    with store.atomic():
        for kind, repo, column, days, (where, params) in plans:
            ids = repo.ids_before(column, now - timedelta(days=days), where, params)
            held = store.holds.held_ids(kind)
            unsynced = store.outbox.unsent_keys(kind)
            doomed = [i for i in ids if i not in held and i not in unsynced]
            if not dry_run:
                repo.delete_ids(doomed)
            report.kinds[kind] = KindReport(
                eligible=len(ids),
                held=sum(1 for i in ids if i in held),
                unsynced=sum(1 for i in ids if i in unsynced and i not in held),
                purged=0 if dry_run else len(doomed),
            )
        if not dry_run and any(r.purged for r in report.kinds.values()):
            audit.append(
                actor, "retention.purge", "store", {k: r.purged for k, r in report.kinds.items()}
            )
    return report

"""Retention: purge traveller transaction data after its period.

What goes, by default: verification events after 30 days together with the
captures kept as their evidence, closed referrals after 90 days, enrollment
*images* (face and fingerprint samples) as soon as their subject has a template
(``images_days = 0``). What stays: records under a legal hold; records with a
sync item that has not reached the central server yet (a purge must never lose
data the centre has not got); events still referred to by an open referral;
images whose templates were not extracted yet; enrollments and watchlist
entries (their own lifecycle); the audit log (never purged). Every run that
deletes something appends one audit record with the counts.
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
    kept: int = 0  # kept for another reason: not yet at the central server, evidence of an
    # open referral, or (images) no template extracted yet
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
                    "kept": r.kept,
                    "purged": r.purged,
                }
                for k, r in self.kinds.items()
            },
        }


def _report(ids: list[str], held: set[str], doomed: list[str], dry_run: bool) -> KindReport:
    held_count = sum(1 for i in ids if i in held)
    return KindReport(
        eligible=len(ids),
        held=held_count,
        kept=len(ids) - held_count - len(doomed),
        purged=0 if dry_run else len(doomed),
    )


def run_retention(
    store: Store,
    audit: AuditLog,
    policy: RetentionPolicy,
    *,
    now: datetime,
    dry_run: bool,
    actor: str = "system",
) -> RetentionReport:
    report = RetentionReport(now, dry_run)
    with store.atomic():
        open_referrals = store.referrals.open_referrals()
        evidence_of_open = {r.event_id for r in open_referrals}

        # 1. Events, with the captures kept as their evidence (subject = event id).
        ids = store.events.ids_before("started_at", now - timedelta(days=policy.events_days))
        held = store.holds.held_ids("verification_event")
        unsynced = store.outbox.unsent_record_ids("verification_event")
        doomed = [
            i for i in ids if i not in held and i not in unsynced and i not in evidence_of_open
        ]
        report.kinds["verification_event"] = _report(ids, held, doomed, dry_run)
        evidence = [
            s.sample_id for event_id in doomed for s in store.face_samples.for_subject(event_id)
        ]
        if not dry_run:
            store.events.delete_ids(doomed)
            store.face_samples.delete_ids(evidence)
        report.kinds["evidence_capture"] = KindReport(
            len(evidence), 0, 0, 0 if dry_run else len(evidence)
        )

        # 2. Closed referrals; a decision not yet at the centre stays.
        ids = store.referrals.ids_before(
            "created_at",
            now - timedelta(days=policy.referrals_days),
            "status != ?",
            (ReferralStatus.OPEN.value,),
        )
        held = store.holds.held_ids("referral")
        unsynced = store.outbox.unsent_record_ids("referral")
        doomed = [i for i in ids if i not in held and i not in unsynced]
        report.kinds["referral"] = _report(ids, held, doomed, dry_run)
        if not dry_run:
            store.referrals.delete_ids(doomed)

        # 3. Enrollment images, once their subject has a template.
        cutoff = now - timedelta(days=policy.images_days)
        images: tuple[tuple[str, Repository[Any], Any], ...] = (
            ("face_sample", store.face_samples, store.face_templates),
            ("fingerprint_sample", store.fingerprint_samples, store.fingerprint_templates),
        )
        for kind, samples, templates in images:
            ids = samples.ids_before("captured_at", cutoff)
            held = store.holds.held_ids(kind)
            templated = {
                i
                for i in ids
                if (s := samples.get(i)).subject_id and templates.for_subject(s.subject_id)
            }
            doomed = [i for i in ids if i in templated and i not in held]
            report.kinds[kind] = _report(ids, held, doomed, dry_run)
            if not dry_run:
                samples.delete_ids(doomed)

        if not dry_run and any(r.purged for r in report.kinds.values()):
            audit.append(
                actor, "retention.purge", "store", {k: r.purged for k, r in report.kinds.items()}
            )
    return report

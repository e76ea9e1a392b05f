"""Referral review (Qt-free): the queue of travellers the kiosks referred, with the evidence.

An officer sees each open referral with its verification event (check
results, scores, step timings) and the captures kept as evidence (the live
face and the chip photo, stored as face samples whose subject is the event),
then clears, refuses or escalates it with a note. The decision is audited and
queued for the central server.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from models import codec
from models.audit import AuditLog
from models.biometric import FaceSample
from models.errors import SecurityError
from models.events import Referral, ReferralStatus, VerificationEvent
from models.roles import Permission, Principal
from models.store import Store

MAX_NOTE = 2000


@dataclass(frozen=True, slots=True)
class Evidence:
    referral: Referral
    event: VerificationEvent | None  # None when retention already purged it
    captures: tuple[FaceSample, ...]  # live capture(s) and the chip photo


class ReferralReview:
    def __init__(
        self,
        store: Store,
        audit: AuditLog,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._audit = audit
        self._clock = clock

    def queue(self, by: Principal) -> list[Referral]:
        by.require(Permission.REVIEW_REFERRALS)
        return self._store.referrals.open_referrals()

    def evidence(self, referral_id: str, by: Principal) -> Evidence:
        by.require(Permission.REVIEW_REFERRALS)
        referral = self._store.referrals.get(referral_id)
        event = (
            self._store.events.get(referral.event_id)
            if self._store.events.exists(referral.event_id)
            else None
        )
        captures = tuple(self._store.face_samples.for_subject(referral.event_id))
        self._audit.append(by.user_id, "referral.view", referral_id)
        return Evidence(referral, event, captures)

    def decide(
        self, referral_id: str, status: ReferralStatus, note: str, by: Principal
    ) -> Referral:
        by.require(Permission.REVIEW_REFERRALS)
        if status is ReferralStatus.OPEN:
            raise SecurityError("a decision must clear, refuse or escalate the referral")
        note = note.strip()
        if not note or len(note) > MAX_NOTE:
            raise SecurityError(f"a decision needs a note of 1-{MAX_NOTE} characters")
        with self._store.atomic():  # read, check and write in one transaction: one decision wins
            referral = self._store.referrals.get(referral_id)
            if referral.status is not ReferralStatus.OPEN:
                raise SecurityError(
                    f"referral {referral_id} was decided already ({referral.status.value})"
                )
            decided = dataclasses.replace(
                referral, status=status, officer_id=by.user_id, note=note, resolved_at=self._clock()
            )
            self._store.referrals.put(decided)
            self._store.outbox.enqueue(
                "referral", f"{referral_id}:{status.value}", codec.dumps(decided)
            )
            self._audit.append(by.user_id, "referral.decide", referral_id, {"status": status.value})
        return decided

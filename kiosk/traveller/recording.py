"""Storing a finished traveller transaction: the one place that turns it into records.

In one store transaction: the verification event (sealed), a referral when the
outcome is not a pass, the captures kept as referral evidence, the outbox items
for the central server, and a signed audit record. A later version of the same
transaction (an officer's override, the traveller's survey answer) replaces the
event and goes up again under its own idempotency key.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence

from biometrics.fingerprint.dual import DUAL_MATCHER
from kiosk.traveller.decision import category_of
from kiosk.traveller.flow import Transaction
from models import codec
from models.audit import AuditLog
from models.biometric import FaceSample
from models.events import Outcome, Referral, ReferralStatus, Score, VerificationEvent
from models.policy import BorderPolicy
from models.store import Store


def scores_of(transaction: Transaction) -> tuple[Score, ...]:
    facts = transaction.facts
    found: list[Score] = []
    if facts.face is not None and facts.face.score is not None:
        found.append(Score("face_1to1", facts.face.score, facts.face.threshold))
    if facts.watchlist_face is not None and facts.watchlist_face.best_score is not None:
        found.append(
            Score(
                "watchlist_face_top1",
                facts.watchlist_face.best_score,
                facts.watchlist_face.threshold,
            )
        )
    fp = facts.fingerprint
    if fp is not None and fp.score is not None:
        # gerbang_dual's scores have their own distribution and thresholds: own name
        name = "fingerprint_1to1_dual" if fp.matcher == DUAL_MATCHER else "fingerprint_1to1"
        found.append(Score(name, fp.score, fp.threshold))
    wl = facts.watchlist_fingerprint
    if wl is not None and wl.best_score is not None:
        dual = wl.matcher == DUAL_MATCHER  # a scale of its own, as for 1:1
        name = "watchlist_fingerprint_top1_dual" if dual else "watchlist_fingerprint_top1"
        found.append(Score(name, wl.best_score, wl.threshold))
    return tuple(found)


def to_event(
    transaction: Transaction, policy: BorderPolicy, *, kiosk_id: str, office_id: str
) -> VerificationEvent:
    doc = transaction.facts.document
    document = doc.document if doc is not None else None
    return VerificationEvent(
        event_id=transaction.transaction_id,
        kiosk_id=kiosk_id,
        office_id=office_id,
        started_at=transaction.started_at,
        finished_at=transaction.finished_at,
        traveller_category=category_of(document, policy) if document else None,
        issuing_state=document.issuing_state if document else None,
        document_number=document.document_number if document else None,
        traveller_id=doc.traveller_id if doc else None,
        checks=transaction.checks,
        scores=scores_of(transaction),
        decision=transaction.decision,
        timings=transaction.timings,
    )


class TransactionRecorder:
    def __init__(
        self, store: Store, audit: AuditLog, policy: BorderPolicy, *, kiosk_id: str, office_id: str
    ) -> None:
        self._store = store
        self._audit = audit
        self._policy = policy
        self.kiosk_id = kiosk_id
        self.office_id = office_id

    def record(
        self, transaction: Transaction, evidence: Sequence[FaceSample] = ()
    ) -> VerificationEvent:
        """Store a finished transaction (or a later version of it, e.g. after an officer's override)."""
        event = to_event(
            transaction, self._policy, kiosk_id=self.kiosk_id, office_id=self.office_id
        )
        actor = transaction.officer_id or "kiosk"
        with self._store.atomic():
            first = not self._store.events.exists(event.event_id)
            self._store.events.put(event)
            key = event.event_id if first else f"{event.event_id}:{uuid.uuid4().hex[:12]}"
            self._store.outbox.enqueue("verification_event", key, codec.dumps(event))
            self._sync_referral(event, transaction)
            for sample in evidence:
                self._store.face_samples.put(dataclasses.replace(sample, subject_id=event.event_id))
            self._audit.append(
                actor,
                "decision" if first else "decision.override",
                event.event_id,
                {
                    "outcome": event.decision.outcome.value,
                    "reasons": [r.value for r in event.decision.reasons],
                },
            )
        return event

    def _sync_referral(self, event: VerificationEvent, transaction: Transaction) -> None:
        existing = [
            r for r in self._store.referrals.open_referrals() if r.event_id == event.event_id
        ]
        if event.decision.outcome is Outcome.PASS:
            for referral in existing:  # an officer cleared the traveller at the kiosk
                cleared = dataclasses.replace(
                    referral,
                    status=ReferralStatus.CLEARED,
                    officer_id=transaction.officer_id,
                    note="override at the kiosk",
                    resolved_at=event.finished_at,
                )
                self._store.referrals.put(cleared)
                self._store.outbox.enqueue(
                    "referral", f"{referral.referral_id}:cleared", codec.dumps(cleared)
                )
            return
        if existing:
            return
        referral = Referral(
            referral_id=str(uuid.uuid4()),
            event_id=event.event_id,
            kiosk_id=self.kiosk_id,
            created_at=event.finished_at,
            reasons=event.decision.reasons,
        )
        self._store.referrals.add(referral)
        self._store.outbox.enqueue("referral", referral.referral_id, codec.dumps(referral))

    def record_survey(self, transaction_id: str, score: int) -> None:
        if not 1 <= score <= 5:
            raise ValueError("survey scores are 1-5")
        with self._store.atomic():
            event = dataclasses.replace(self._store.events.get(transaction_id), satisfaction=score)
            self._store.events.put(event)
            self._store.outbox.enqueue(
                "verification_event", f"{transaction_id}:survey", codec.dumps(event)
            )

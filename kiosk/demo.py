"""The headless demo transaction (Qt-free).

It runs one traveller transaction end to end with what this version has and
records it exactly as a real kiosk would: the verification event, a referral
when the outcome is not a pass, and an outbox item for sync, all in one store
transaction. Checks whose features are not built yet are reported as
``unavailable``; an unavailable check never passes a traveller, so the outcome
is a referral to an officer. Later versions replace each unavailable check with
the real one.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from models import codec
from models.audit import AuditLog
from models.events import (
    CheckOutcome,
    CheckResult,
    Decision,
    Outcome,
    ReasonCode,
    Referral,
    StepTiming,
    VerificationEvent,
)
from models.store import Store

# The checks of a traveller transaction, in order, and what provides them.
TRANSACTION_CHECKS: tuple[tuple[str, str], ...] = (
    ("mrz", "document reader (issue #4)"),
    ("passive_authentication", "ePassport chip checks (issue #4)"),
    ("face_1to1", "face verification (issue #5)"),
    ("watchlist_face", "watchlist search (issues #5, #7)"),
)


@dataclass(frozen=True, slots=True)
class DemoResult:
    event: VerificationEvent
    referral: Referral | None
    outbox_depth: int
    unavailable: tuple[str, ...]


def decide(checks: tuple[CheckResult, ...]) -> Decision:
    """Pass only when every check passed; anything else goes to an officer."""
    failed = [c for c in checks if c.outcome is not CheckOutcome.PASSED]
    if not failed:
        return Decision(Outcome.PASS, (ReasonCode.ALL_CHECKS_PASSED,))
    reasons = {
        ReasonCode.CHECK_UNAVAILABLE for c in failed if c.outcome is CheckOutcome.UNAVAILABLE
    }
    reasons |= {ReasonCode.DEVICE_ERROR for c in failed if c.outcome is CheckOutcome.ERROR}
    return Decision(Outcome.REFER, tuple(sorted(reasons)) or (ReasonCode.CHECK_UNAVAILABLE,))


def run_transaction(
    store: Store, audit: AuditLog, *, kiosk_id: str, office_id: str, now: datetime | None = None
) -> DemoResult:
    started = now or datetime.now(UTC)
    t0 = time.perf_counter()
    checks = tuple(
        CheckResult(name, CheckOutcome.UNAVAILABLE, detail="not_built")
        for name, _ in TRANSACTION_CHECKS
    )
    decision = decide(checks)
    decided_ms = (time.perf_counter() - t0) * 1000
    event = VerificationEvent(
        event_id=str(uuid.uuid4()),
        kiosk_id=kiosk_id,
        office_id=office_id,
        started_at=started,
        finished_at=datetime.now(UTC) if now is None else now,
        traveller_category=None,
        issuing_state=None,
        document_number=None,
        traveller_id=None,
        checks=checks,
        scores=(),
        decision=decision,
        timings=(StepTiming("decision", decided_ms),),
    )
    referral = None
    if decision.outcome is not Outcome.PASS:
        referral = Referral(
            referral_id=str(uuid.uuid4()),
            event_id=event.event_id,
            kiosk_id=kiosk_id,
            created_at=event.finished_at,
            reasons=decision.reasons,
        )
    with store.atomic():
        store.events.add(event)
        store.outbox.enqueue("verification_event", event.event_id, codec.dumps(event), now=started)
        if referral is not None:
            store.referrals.add(referral)
            store.outbox.enqueue(
                "referral", referral.referral_id, codec.dumps(referral), now=started
            )
        audit.append(
            "kiosk",
            "decision",
            event.event_id,
            {"outcome": decision.outcome.value, "reasons": [r.value for r in decision.reasons]},
        )
    stored = store.events.get(event.event_id)
    return DemoResult(
        event=stored,
        referral=referral,
        outbox_depth=store.outbox.depth(),
        unavailable=tuple(c.name for c in checks if c.outcome is CheckOutcome.UNAVAILABLE),
    )

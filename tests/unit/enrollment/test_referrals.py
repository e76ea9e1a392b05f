from __future__ import annotations

import dataclasses

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from enrollment.referrals import ReferralReview
from models.audit import AuditLog
from models.errors import SecurityError
from models.events import ReferralStatus
from models.roles import ForbiddenError, Principal, Role
from models.store import Store
from tests import factories

OFFICER = Principal("officer-7", frozenset({Role.OFFICER}))
TECH = Principal("tech-1", frozenset({Role.TECHNICIAN}))


@pytest.fixture
def review(store: Store) -> ReferralReview:
    store.events.add(factories.event("ev-1"))
    store.referrals.add(
        dataclasses.replace(
            factories.referral("rf-1"),
            status=ReferralStatus.OPEN,
            officer_id=None,
            note=None,
            resolved_at=None,
        )
    )
    store.face_samples.add(dataclasses.replace(factories.face_sample("live-1"), subject_id="ev-1"))
    store.face_samples.add(dataclasses.replace(factories.face_sample("other"), subject_id="ev-9"))
    return ReferralReview(
        store, AuditLog(store, Ed25519PrivateKey.generate()), clock=lambda: factories.NOW
    )


def test_officer_sees_the_queue_and_the_evidence(review: ReferralReview) -> None:
    assert [r.referral_id for r in review.queue(OFFICER)] == ["rf-1"]
    evidence = review.evidence("rf-1", OFFICER)
    assert evidence.event is not None and evidence.event.event_id == "ev-1"
    assert [c.sample_id for c in evidence.captures] == ["live-1"]


def test_decision_is_stored_audited_and_queued(store: Store, review: ReferralReview) -> None:
    decided = review.decide("rf-1", ReferralStatus.CLEARED, "verified by hand: glasses", OFFICER)
    assert decided.officer_id == "officer-7" and decided.resolved_at == factories.NOW
    assert store.referrals.get("rf-1").status is ReferralStatus.CLEARED
    assert review.queue(OFFICER) == []
    assert [i.idempotency_key for i in store.outbox.pending()] == ["rf-1:cleared"]
    assert [r.action for r in store.audit][-1] == "referral.decide"
    with pytest.raises(SecurityError, match="decided already"):
        review.decide("rf-1", ReferralStatus.REFUSED, "again", OFFICER)


def test_technicians_cannot_see_referrals(review: ReferralReview) -> None:
    with pytest.raises(ForbiddenError):
        review.queue(TECH)
    with pytest.raises(ForbiddenError):
        review.evidence("rf-1", TECH)


def test_a_decision_needs_a_note_and_an_outcome(review: ReferralReview) -> None:
    with pytest.raises(SecurityError, match="note"):
        review.decide("rf-1", ReferralStatus.CLEARED, "  ", OFFICER)
    with pytest.raises(SecurityError, match="clear, refuse or escalate"):
        review.decide("rf-1", ReferralStatus.OPEN, "x", OFFICER)


def test_two_officers_deciding_at_once_yield_one_decision(
    store: Store, review: ReferralReview
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    other = Principal("officer-8", frozenset({Role.OFFICER}))

    def decide(args: tuple[Principal, ReferralStatus]) -> str:
        try:
            review.decide("rf-1", args[1], "note", args[0])
        except SecurityError:
            return "refused"
        return "decided"

    jobs = [(OFFICER, ReferralStatus.CLEARED), (other, ReferralStatus.REFUSED)] * 4
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(decide, jobs))
    assert results.count("decided") == 1
    assert len(store.outbox.pending()) == 1

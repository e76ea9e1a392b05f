from __future__ import annotations

import dataclasses

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.traveller.flow import FaceDone, OfficerOverride
from kiosk.traveller.recording import TransactionRecorder
from models import codec
from models.audit import AuditLog
from models.events import CheckOutcome, Outcome, ReferralStatus, VerificationEvent
from models.policy import BorderPolicy
from models.roles import Principal, Role
from models.store import Store
from tests import factories

from .test_flow import GOOD_FACE, NO_HIT, completed, make_flow, to_face


def _recorder(store: Store) -> TransactionRecorder:
    return TransactionRecorder(
        store,
        AuditLog(store, Ed25519PrivateKey.generate()),
        BorderPolicy(),
        kiosk_id="K-1",
        office_id="WK",
    )


def test_a_pass_is_stored_with_scores_outbox_and_audit(store: Store) -> None:
    flow = make_flow()
    to_face(flow)
    transaction = completed(flow.handle(FaceDone(GOOD_FACE, NO_HIT))).transaction
    event = _recorder(store).record(transaction)
    assert store.events.get(event.event_id) == event
    assert event.document_number == "X1234567" and event.traveller_category is not None
    assert [s.name for s in event.scores] == ["face_1to1", "watchlist_face_top1"]
    assert store.referrals.count() == 0
    (item,) = store.outbox.pending()
    assert codec.loads(VerificationEvent, item.payload) == event
    assert [r.action for r in store.audit] == ["decision"]


def test_the_fingerprint_score_is_named_after_the_matcher_that_decided() -> None:
    from kiosk.traveller.facts import FingerprintFacts
    from kiosk.traveller.recording import scores_of
    from sync.server.rollups import GENUINE_SCORES

    flow = make_flow()
    to_face(flow)
    transaction = completed(flow.handle(FaceDone(GOOD_FACE, NO_HIT))).transaction
    for matcher, name in (
        ("gerbang", "fingerprint_1to1"),
        ("gerbang_dual", "fingerprint_1to1_dual"),
    ):
        facts = FingerprintFacts(True, CheckOutcome.PASSED, 0.04, 0.0304, (50.0,), matcher)
        with_fingers = dataclasses.replace(
            transaction, facts=dataclasses.replace(transaction.facts, fingerprint=facts)
        )
        (score,) = [s for s in scores_of(with_fingers) if s.name.startswith("fingerprint")]
        assert (score.name, score.value, score.threshold) == (name, 0.04, 0.0304)
        assert name in GENUINE_SCORES  # both feed the dashboard's genuine-score drift, apart


def test_the_watchlist_fingerprint_score_is_named_after_its_matcher() -> None:
    from kiosk.traveller.facts import WatchlistFacts
    from kiosk.traveller.recording import scores_of

    flow = make_flow()
    to_face(flow)
    transaction = completed(flow.handle(FaceDone(GOOD_FACE, NO_HIT))).transaction
    for matcher, name in (
        ("gerbang", "watchlist_fingerprint_top1"),
        ("gerbang_dual", "watchlist_fingerprint_top1_dual"),
    ):
        facts = WatchlistFacts(CheckOutcome.PASSED, 0.021, 0.0302, (), matcher)
        searched = dataclasses.replace(
            transaction, facts=dataclasses.replace(transaction.facts, watchlist_fingerprint=facts)
        )
        (score,) = [s for s in scores_of(searched) if s.name.startswith("watchlist_finger")]
        assert (score.name, score.value, score.threshold) == (name, 0.021, 0.0302)


def test_a_referral_keeps_its_evidence_and_an_override_clears_it(store: Store) -> None:
    recorder = _recorder(store)
    flow = make_flow()
    to_face(flow)
    refer = completed(
        flow.handle(FaceDone(dataclasses.replace(GOOD_FACE, match=CheckOutcome.FAILED), NO_HIT))
    )
    live = factories.face_sample("live-1")
    recorder.record(refer.transaction, evidence=[live])
    (referral,) = store.referrals.open_referrals()
    assert [
        s.sample_id for s in store.face_samples.for_subject(refer.transaction.transaction_id)
    ] == ["live-1"]
    officer = Principal("officer-3", frozenset({Role.OFFICER}))
    override = completed(flow.handle(OfficerOverride(officer, Outcome.PASS, "checked")))
    recorder.record(override.transaction)
    assert store.events.get(refer.transaction.transaction_id).decision.outcome is Outcome.PASS
    assert store.referrals.get(referral.referral_id).status is ReferralStatus.CLEARED
    assert [r.action for r in store.audit] == ["decision", "decision.override"]
    assert [r.actor for r in store.audit][-1] == "officer-3"
    kinds = sorted(i.kind for i in store.outbox.pending())
    assert kinds == ["referral", "referral", "verification_event", "verification_event"]


def test_the_survey_answer_goes_up_as_a_new_version(store: Store) -> None:
    recorder = _recorder(store)
    flow = make_flow()
    to_face(flow)
    transaction = completed(flow.handle(FaceDone(GOOD_FACE, NO_HIT))).transaction
    recorder.record(transaction)
    recorder.record_survey(transaction.transaction_id, 4)
    assert store.events.get(transaction.transaction_id).satisfaction == 4
    assert [i.idempotency_key for i in store.outbox.pending()][-1].endswith(":survey")

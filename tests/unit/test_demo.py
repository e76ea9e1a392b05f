from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.demo import decide, run_transaction
from models.audit import AuditLog
from models.events import CheckOutcome, CheckResult, Outcome, ReasonCode
from models.store import Store


def test_unavailable_checks_never_pass_a_traveller() -> None:
    decision = decide(
        (
            CheckResult("mrz", CheckOutcome.PASSED),
            CheckResult("face_1to1", CheckOutcome.UNAVAILABLE),
        )
    )
    assert decision.outcome is Outcome.REFER
    assert decision.reasons == (ReasonCode.CHECK_UNAVAILABLE,)


def test_all_passed_checks_pass() -> None:
    decision = decide((CheckResult("mrz", CheckOutcome.PASSED),))
    assert decision.outcome is Outcome.PASS


def test_device_errors_are_reasons() -> None:
    decision = decide((CheckResult("mrz", CheckOutcome.ERROR),))
    assert decision.reasons == (ReasonCode.DEVICE_ERROR,)


def test_transaction_is_stored_with_referral_outbox_and_audit(store: Store) -> None:
    audit = AuditLog(store, Ed25519PrivateKey.generate())
    result = run_transaction(store, audit, kiosk_id="K", office_id="O")
    assert store.events.get(result.event.event_id) == result.event
    assert result.referral is not None
    assert store.referrals.get(result.referral.referral_id).event_id == result.event.event_id
    kinds = [item.kind for item in store.outbox.pending()]
    assert kinds == ["verification_event", "referral"]
    (record,) = list(store.audit)
    assert (record.action, record.subject) == ("decision", result.event.event_id)
    assert audit.verify().valid

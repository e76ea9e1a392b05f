"""Every transition of the traveller flow, without Qt."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from kiosk.traveller.decision import assess
from kiosk.traveller.facts import (
    DocumentFacts,
    FaceFacts,
    FingerprintFacts,
    TransactionFacts,
    WatchlistFacts,
)
from kiosk.traveller.flow import (
    AlertStaff,
    Begin,
    CallOfficer,
    CaptureFace,
    CaptureFingerprints,
    CardRemoved,
    Completed,
    DeviceFailed,
    DocumentDone,
    DocumentProgress,
    Effect,
    FaceDone,
    FaceGuidance,
    FingerprintDone,
    FingerprintRetry,
    OfficerOverride,
    OpenGate,
    ReadDocument,
    RecordFailed,
    RecordSurvey,
    Screen,
    ShowScreen,
    State,
    SurveyAnswered,
    TimedOut,
    TravellerFlow,
)
from models.biometric import FingerPosition
from models.events import CheckOutcome, Outcome, ReasonCode
from models.identity import MrzType, Sex, TravelDocument
from models.policy import BorderPolicy, CategoryPolicy, FingerprintRule
from models.roles import Principal, Role
from models.settings import Language

TODAY = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
OFFICER = Principal("officer-3", frozenset({Role.OFFICER}))
P = CheckOutcome.PASSED
F = CheckOutcome.FAILED


def doc(
    state: str = "IDN", expiry: date = date(2030, 1, 1), birth: date = date(1990, 5, 1)
) -> TravelDocument:
    return TravelDocument(
        MrzType.TD3, "P", state, "X1234567", "DOE", "JANE", state, birth, Sex.FEMALE, expiry
    )


def document_facts(**changes: object) -> DocumentFacts:
    base = DocumentFacts(
        document=doc(),
        mrz_valid=True,
        chip_present=True,
        chip_read=P,
        passive_authentication=P,
        chip_authentication=P,
        dg1_matches_mrz=P,
        has_chip_photo=True,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


GOOD_FACE = FaceFacts(captured=True, liveness=P, match=P, score=0.82, threshold=0.6)
NO_HIT = WatchlistFacts(searched=P, best_score=0.2, threshold=0.7)


def make_flow(policy: BorderPolicy | None = None) -> TravellerFlow:
    ticks = iter(float(i) for i in range(10_000))
    ids = iter(f"tx-{i}" for i in range(1, 100))
    return TravellerFlow(
        policy or BorderPolicy(),
        clock=lambda: TODAY,
        monotonic=lambda: next(ticks),
        new_id=lambda: next(ids),
    )


def kinds(effects: list[Effect]) -> list[type]:
    return [type(e) for e in effects]


def screens(effects: list[Effect]) -> list[Screen]:
    return [e.screen for e in effects if isinstance(e, ShowScreen)]


def completed(effects: list[Effect]) -> Completed:
    (done,) = [e for e in effects if isinstance(e, Completed)]
    return done


def to_face(flow: TravellerFlow, facts: DocumentFacts | None = None) -> None:
    flow.handle(Begin(Language.ENGLISH))
    effects = flow.handle(DocumentDone(facts or document_facts()))
    assert CaptureFace in kinds(effects) and flow.state is State.FACE


def test_a_citizen_passes_and_the_gate_opens_once() -> None:
    flow = make_flow()
    effects = flow.handle(Begin(Language.ENGLISH))
    assert ReadDocument in kinds(effects) and screens(effects) == [Screen.DOCUMENT]
    assert screens(flow.handle(DocumentProgress(4000, 20000))) == [Screen.DOCUMENT]
    flow.handle(DocumentDone(document_facts()))
    effects = flow.handle(FaceDone(GOOD_FACE, NO_HIT))
    done = completed(effects)
    assert done.transaction.decision.outcome is Outcome.PASS
    assert kinds(effects).count(OpenGate) == 1 and Screen.WELCOME in screens(effects)
    assert [t.step for t in done.transaction.timings] == ["document", "face"]
    assert done.transaction.language is Language.ENGLISH
    assert flow.handle(FaceDone(GOOD_FACE, NO_HIT)) == []  # a late duplicate result changes nothing
    assert screens(flow.handle(TimedOut())) == [Screen.SURVEY]
    effects = flow.handle(SurveyAnswered(5))
    assert RecordSurvey("tx-1", 5) in effects and flow.state is State.IDLE


def test_face_mismatch_is_referred_and_staff_alerted() -> None:
    flow = make_flow()
    to_face(flow)
    effects = flow.handle(FaceDone(dataclasses.replace(GOOD_FACE, match=F, score=0.31), NO_HIT))
    decision = completed(effects).transaction.decision
    assert decision.outcome is Outcome.REFER and decision.reasons == (ReasonCode.FACE_MISMATCH,)
    assert OpenGate not in kinds(effects)
    assert AlertStaff(ReasonCode.FACE_MISMATCH) in effects and Screen.SEE_OFFICER in screens(
        effects
    )


def test_watchlist_hit_is_the_first_reason_even_with_other_failures() -> None:
    flow = make_flow()
    to_face(flow)
    hit = WatchlistFacts(searched=F, best_score=0.93, threshold=0.7, hit_entry_ids=("wl-7",))
    effects = flow.handle(FaceDone(dataclasses.replace(GOOD_FACE, liveness=F), hit))
    reasons = completed(effects).transaction.decision.reasons
    assert reasons[0] is ReasonCode.WATCHLIST_HIT and ReasonCode.LIVENESS_FAILED in reasons


def test_liveness_failure_refers() -> None:
    flow = make_flow()
    to_face(flow)
    effects = flow.handle(FaceDone(dataclasses.replace(GOOD_FACE, liveness=F), NO_HIT))
    assert completed(effects).transaction.decision.reasons == (ReasonCode.LIVENESS_FAILED,)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"document": doc(expiry=date(2026, 11, 24))}, ReasonCode.DOCUMENT_EXPIRED),
        ({"passive_authentication": F}, ReasonCode.PASSIVE_AUTH_FAILED),
        ({"chip_authentication": F}, ReasonCode.CHIP_AUTH_FAILED),
        ({"dg1_matches_mrz": F}, ReasonCode.DG1_MRZ_MISMATCH),
        ({"mrz_valid": False}, ReasonCode.MRZ_INVALID),
        ({"chip_present": False, "chip_read": CheckOutcome.NOT_RUN}, ReasonCode.NO_CHIP),
        ({"document": doc(birth=date(2020, 1, 1))}, ReasonCode.UNDER_MIN_AGE),
        ({"document": None, "mrz_valid": False, "detail": "document.mrz"}, ReasonCode.MRZ_INVALID),
        ({"chip_read": CheckOutcome.ERROR}, ReasonCode.DEVICE_ERROR),
    ],
)
def test_document_problems_refer_before_the_face_step(
    changes: dict[str, object], reason: ReasonCode
) -> None:
    flow = make_flow()
    flow.handle(Begin(Language.INDONESIAN))
    effects = flow.handle(DocumentDone(document_facts(**changes)))
    assert CaptureFace not in kinds(effects)
    decision = completed(effects).transaction.decision
    assert decision.outcome is Outcome.REFER and decision.reasons[0] is reason


def test_expired_yesterday_passes_with_a_grace_period_policy() -> None:
    flow = make_flow(BorderPolicy(max_document_expired_days=1))
    to_face(flow, document_facts(document=doc(expiry=date(2026, 11, 24))))
    decision = completed(flow.handle(FaceDone(GOOD_FACE, NO_HIT))).transaction.decision
    assert decision.outcome is Outcome.PASS


def test_card_pulled_out_mid_read() -> None:
    flow = make_flow()
    flow.handle(Begin(Language.INDONESIAN))
    flow.handle(DocumentProgress(1000, 20000))
    effects = flow.handle(CardRemoved())
    assert completed(effects).transaction.decision.reasons[0] is ReasonCode.CARD_REMOVED


@pytest.mark.parametrize("step", ["document", "face", "fingerprint"])
def test_timeouts_and_device_errors_at_every_step(step: str) -> None:
    for event, reason in (
        (TimedOut(), ReasonCode.TIMEOUT),
        (DeviceFailed("device.timeout"), ReasonCode.DEVICE_ERROR),
    ):
        flow = make_flow()
        flow.handle(Begin(Language.ENGLISH))
        if step in ("face", "fingerprint"):
            foreigner = document_facts(document=doc(state="MYS"))
            flow.handle(DocumentDone(foreigner))
        if step == "fingerprint":
            effects = flow.handle(FaceDone(GOOD_FACE, NO_HIT))
            assert CaptureFingerprints in kinds(effects)
        assert flow.state.value == step
        effects = flow.handle(event)
        transaction = completed(effects).transaction
        assert transaction.decision.reasons[0] is reason and OpenGate not in kinds(effects)


def test_foreigners_give_fingerprints_with_up_to_three_attempts() -> None:
    flow = make_flow()
    flow.handle(Begin(Language.ENGLISH))
    flow.handle(DocumentDone(document_facts(document=doc(state="MYS"))))
    effects = flow.handle(FaceDone(GOOD_FACE, NO_HIT))
    (capture,) = [e for e in effects if isinstance(e, CaptureFingerprints)]
    assert (
        capture.positions == (FingerPosition.RIGHT_INDEX, FingerPosition.LEFT_INDEX)
        and capture.attempt == 1
    )
    attempts = [
        e.attempt
        for e in flow.handle(FingerprintRetry("finger_moved"))
        if isinstance(e, CaptureFingerprints)
    ]
    attempts += [
        e.attempt
        for e in flow.handle(FingerprintRetry("no_finger"))
        if isinstance(e, CaptureFingerprints)
    ]
    assert attempts == [2, 3]
    effects = flow.handle(FingerprintRetry("no_finger"))
    assert completed(effects).transaction.decision.reasons == (ReasonCode.FINGERPRINT_QUALITY_LOW,)


def test_enrolled_citizen_fingerprints_are_compared() -> None:
    flow = make_flow()
    enrolled = document_facts(traveller_id="t-1", enrolled_fingers=(FingerPosition.RIGHT_INDEX,))
    to_face(flow, enrolled)
    effects = flow.handle(FaceDone(GOOD_FACE, NO_HIT))
    (capture,) = [e for e in effects if isinstance(e, CaptureFingerprints)]
    assert capture.positions == (FingerPosition.RIGHT_INDEX,)
    effects = flow.handle(
        FingerprintDone(FingerprintFacts(captured=True, match=F, score=12.0), NO_HIT)
    )
    assert completed(effects).transaction.decision.reasons == (ReasonCode.FINGERPRINT_MISMATCH,)


def test_call_an_officer_works_in_every_step() -> None:
    flow = make_flow()
    assert flow.handle(CallOfficer()) == [AlertStaff(ReasonCode.OFFICER_CALLED)]
    to_face(flow)
    flow.handle(FaceGuidance(("come_closer",)))
    effects = flow.handle(CallOfficer())
    assert completed(effects).transaction.decision.reasons[0] is ReasonCode.OFFICER_CALLED


def test_officer_override_opens_the_gate_for_a_referred_traveller() -> None:
    flow = make_flow()
    to_face(flow)
    flow.handle(FaceDone(dataclasses.replace(GOOD_FACE, match=F), NO_HIT))
    effects = flow.handle(OfficerOverride(OFFICER, Outcome.PASS, "glasses"))
    transaction = completed(effects).transaction
    assert transaction.decision.outcome is Outcome.PASS and transaction.officer_id == "officer-3"
    assert transaction.decision.reasons[0] is ReasonCode.OFFICER_OVERRIDE and OpenGate in kinds(
        effects
    )


def test_override_is_ignored_outside_a_referral() -> None:
    flow = make_flow()
    assert flow.handle(OfficerOverride(OFFICER, Outcome.PASS)) == []
    to_face(flow)
    flow.handle(FaceDone(GOOD_FACE, NO_HIT))  # passed
    assert flow.handle(OfficerOverride(OFFICER, Outcome.PASS)) == []


def test_override_needs_the_permission() -> None:
    flow = make_flow()
    to_face(flow)
    flow.handle(FaceDone(dataclasses.replace(GOOD_FACE, match=F), NO_HIT))
    technician = Principal("tech-1", frozenset({Role.TECHNICIAN}))
    effects = flow.handle(OfficerOverride(technician, Outcome.PASS))
    assert effects == [AlertStaff(ReasonCode.OFFICER_OVERRIDE, "security.forbidden")]
    assert flow.transaction is not None and flow.transaction.decision.outcome is Outcome.REFER


def test_a_pass_that_could_not_be_recorded_becomes_a_referral() -> None:
    flow = make_flow()
    to_face(flow)
    flow.handle(FaceDone(GOOD_FACE, NO_HIT))
    effects = flow.handle(RecordFailed("store"))
    assert Screen.SEE_OFFICER in screens(effects) and OpenGate not in kinds(effects)
    assert (
        flow.transaction is not None
        and flow.transaction.decision.reasons[0] is ReasonCode.DEVICE_ERROR
    )


def test_survey_skip_and_bad_scores() -> None:
    flow = make_flow()
    to_face(flow)
    flow.handle(FaceDone(GOOD_FACE, NO_HIT))
    flow.handle(TimedOut())
    assert flow.handle(SurveyAnswered(9)) == []
    assert flow.state is State.SURVEY
    effects = flow.handle(TimedOut())
    assert not any(isinstance(e, RecordSurvey) for e in effects) and flow.state is State.IDLE


def test_events_in_the_wrong_state_are_ignored() -> None:
    flow = make_flow()
    for event in (
        DocumentDone(document_facts()),
        FaceDone(GOOD_FACE, NO_HIT),
        TimedOut(),
        SurveyAnswered(3),
    ):
        assert flow.handle(event) == []
    assert flow.state is State.IDLE


def test_non_self_service_category_is_referred() -> None:
    policy = BorderPolicy(
        foreigner=CategoryPolicy(self_service=False, fingerprint=FingerprintRule.NEVER)
    )
    flow = make_flow(policy)
    flow.handle(Begin(Language.ENGLISH))
    effects = flow.handle(DocumentDone(document_facts(document=doc(state="SGP"))))
    assert completed(effects).transaction.decision.reasons == (ReasonCode.NOT_SELF_SERVICE,)


def test_engine_never_passes_on_missing_answers() -> None:
    assessment = assess(BorderPolicy(), TransactionFacts(document=document_facts()), TODAY.date())
    assert assessment.decision.outcome is Outcome.REFER
    assert ReasonCode.CHECK_UNAVAILABLE in assessment.decision.reasons
    assert (
        assess(BorderPolicy(), TransactionFacts(), TODAY.date()).decision.outcome is Outcome.REFER
    )


def test_chip_authentication_that_never_ran_refers() -> None:
    """A left-out answer is never a pass; only a chip that offers neither AA nor CA is neutral."""
    unrun = document_facts(chip_authentication=CheckOutcome.NOT_RUN)
    assessment = assess(
        BorderPolicy(), TransactionFacts(unrun, GOOD_FACE, None, NO_HIT), TODAY.date()
    )
    assert assessment.decision.outcome is Outcome.REFER
    assert any(c.name == "chip_authentication" for c in assessment.checks)
    flow = make_flow()
    flow.handle(Begin(Language.ENGLISH))
    effects = flow.handle(DocumentDone(unrun))
    assert completed(effects).transaction.decision.reasons == (ReasonCode.CHECK_UNAVAILABLE,)
    not_offered = document_facts(chip_authentication=CheckOutcome.NOT_OFFERED)
    flow = make_flow()
    to_face(flow, not_offered)
    assert (
        completed(flow.handle(FaceDone(GOOD_FACE, NO_HIT))).transaction.decision.outcome
        is Outcome.PASS
    )

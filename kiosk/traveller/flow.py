"""The traveller flow as a pure state machine (Qt-free, clock injected).

``TravellerFlow.handle(event)`` returns the effects the shell must carry out
(show a screen, start a device step, open the gate, record the transaction,
alert staff). The Qt adapter runs device steps on worker threads and feeds
their results back as events; tests drive the machine directly.

Every waiting state has a timeout; the "call an officer" button works in every
state; the gate opens only after a PASS decision, and only once.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum

from kiosk.traveller.decision import (
    DOCUMENT_CHECKS,
    Assessment,
    assess,
    category_of,
    needs_fingerprints,
)
from kiosk.traveller.facts import (
    DocumentFacts,
    FaceFacts,
    FingerprintFacts,
    TransactionFacts,
    WatchlistFacts,
)
from models.biometric import FingerPosition
from models.events import CheckOutcome, CheckResult, Decision, Outcome, ReasonCode, StepTiming
from models.policy import BorderPolicy
from models.roles import Permission, Principal
from models.settings import Language


class State(StrEnum):
    IDLE = "idle"
    DOCUMENT = "document"
    FACE = "face"
    FINGERPRINT = "fingerprint"
    DECISION = "decision"
    SURVEY = "survey"


class Screen(StrEnum):
    IDLE = "idle"
    DOCUMENT = "document"
    FACE = "face"
    FINGERPRINT = "fingerprint"
    WELCOME = "welcome"  # passed: the gate opens
    SEE_OFFICER = "see_officer"
    SURVEY = "survey"


# ---------------------------------------------------------------------------- events
@dataclass(frozen=True, slots=True)
class Begin:
    language: Language


@dataclass(frozen=True, slots=True)
class DocumentProgress:
    done: int
    total: int


@dataclass(frozen=True, slots=True)
class DocumentDone:
    facts: DocumentFacts


@dataclass(frozen=True, slots=True)
class CardRemoved:
    pass


@dataclass(frozen=True, slots=True)
class FaceGuidance:
    codes: tuple[str, ...]  # quality guidance codes for the prompt


@dataclass(frozen=True, slots=True)
class FaceDone:
    face: FaceFacts
    watchlist: WatchlistFacts


@dataclass(frozen=True, slots=True)
class FingerprintRetry:
    reason: str


@dataclass(frozen=True, slots=True)
class FingerprintDone:
    fingerprint: FingerprintFacts
    watchlist: WatchlistFacts


@dataclass(frozen=True, slots=True)
class DeviceFailed:
    code: str  # error code from the error tree (e.g. "device.timeout")


@dataclass(frozen=True, slots=True)
class TimedOut:
    pass


@dataclass(frozen=True, slots=True)
class CallOfficer:
    pass


@dataclass(frozen=True, slots=True)
class OfficerOverride:
    """An officer, logged in at the kiosk, decides for a referred traveller."""

    officer: Principal
    outcome: Outcome
    note: str = ""


@dataclass(frozen=True, slots=True)
class RecordFailed:
    """Storing the finished transaction failed: a pass must not open the gate."""

    code: str


@dataclass(frozen=True, slots=True)
class SurveyAnswered:
    score: int | None  # 1-5, None when skipped


Event = (
    Begin
    | DocumentProgress
    | DocumentDone
    | CardRemoved
    | FaceGuidance
    | FaceDone
    | FingerprintRetry
    | FingerprintDone
    | DeviceFailed
    | TimedOut
    | CallOfficer
    | OfficerOverride
    | SurveyAnswered
    | RecordFailed
)


# ---------------------------------------------------------------------------- effects
@dataclass(frozen=True, slots=True)
class ShowScreen:
    screen: Screen
    detail: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StartTimer:
    seconds: float


@dataclass(frozen=True, slots=True)
class ReadDocument:
    pass


@dataclass(frozen=True, slots=True)
class CaptureFace:
    pass


@dataclass(frozen=True, slots=True)
class CaptureFingerprints:
    positions: tuple[FingerPosition, ...]
    attempt: int


@dataclass(frozen=True, slots=True)
class CancelDeviceStep:
    pass


@dataclass(frozen=True, slots=True)
class OpenGate:
    pass


@dataclass(frozen=True, slots=True)
class AlertStaff:
    reason: ReasonCode
    code: str = ""


@dataclass(frozen=True, slots=True)
class Completed:
    """The transaction ended: store it (event, referral, audit record, outbox)."""

    transaction: Transaction


@dataclass(frozen=True, slots=True)
class RecordSurvey:
    transaction_id: str
    score: int


Effect = (
    ShowScreen
    | StartTimer
    | ReadDocument
    | CaptureFace
    | CaptureFingerprints
    | CancelDeviceStep
    | OpenGate
    | AlertStaff
    | Completed
    | RecordSurvey
)


# ---------------------------------------------------------------------------- transaction
@dataclass(frozen=True, slots=True)
class Transaction:
    transaction_id: str
    started_at: datetime
    finished_at: datetime
    language: Language
    facts: TransactionFacts
    checks: tuple[CheckResult, ...]
    decision: Decision
    timings: tuple[StepTiming, ...]
    officer_id: str | None = None


@dataclass(frozen=True, slots=True)
class Timeouts:
    document_s: float = 60.0
    face_s: float = 45.0
    fingerprint_s: float = 45.0
    decision_s: float = 10.0  # how long the welcome screen stays
    referral_s: float = 90.0  # how long "please see an officer" waits for an officer at the kiosk
    survey_s: float = 15.0


INDEX_FINGERS = (FingerPosition.RIGHT_INDEX, FingerPosition.LEFT_INDEX)
_NEUTRAL_OK = (CheckOutcome.PASSED, CheckOutcome.NOT_OFFERED)


class TravellerFlow:
    def __init__(
        self,
        policy: BorderPolicy,
        *,
        timeouts: Timeouts | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self.policy = policy
        self.timeouts = timeouts or Timeouts()
        self._clock = clock
        self._monotonic = monotonic
        self._new_id = new_id
        self.state = State.IDLE
        self._reset()

    def _reset(self) -> None:
        self.language = Language.INDONESIAN
        self.facts = TransactionFacts()
        self.transaction: Transaction | None = None
        self._started_at: datetime | None = None
        self._step_started = 0.0
        self._timings: list[StepTiming] = []
        self._fingerprint_attempt = 0

    # ------------------------------------------------------------------ helpers
    def _enter(
        self, state: State, screen: Screen, timeout: float, *effects: Effect
    ) -> list[Effect]:
        self._close_step()
        self.state = state
        self._step_started = self._monotonic()
        return [ShowScreen(screen), StartTimer(timeout), *effects]

    def _close_step(self) -> None:
        if self.state in (State.DOCUMENT, State.FACE, State.FINGERPRINT):
            self._timings.append(
                StepTiming(self.state.value, (self._monotonic() - self._step_started) * 1000)
            )

    def _finish(
        self, assessment: Assessment | None, forced: ReasonCode | None, officer: str | None = None
    ) -> list[Effect]:
        """End the transaction with the engine's decision, or a forced referral."""
        if assessment is None:
            assessment = assess(self.policy, self.facts, self._clock().date())
        decision = assessment.decision
        if forced is not None:
            reasons = (
                forced,
                # checks that could not run because of the forced end need no reason of their own
                *(
                    r
                    for r in decision.reasons
                    if r not in (forced, ReasonCode.ALL_CHECKS_PASSED, ReasonCode.CHECK_UNAVAILABLE)
                ),
            )
            decision = Decision(Outcome.REFER, reasons)
        self._close_step()
        now = self._clock()
        self.transaction = Transaction(
            transaction_id=self._new_id(),
            started_at=self._started_at or now,
            finished_at=now,
            language=self.language,
            facts=self.facts,
            checks=assessment.checks,
            decision=decision,
            timings=tuple(self._timings),
            officer_id=officer,
        )
        self.state = State.DECISION
        effects: list[Effect] = [CancelDeviceStep(), Completed(self.transaction)]
        if decision.outcome is Outcome.PASS:
            return [
                *effects,
                OpenGate(),
                ShowScreen(Screen.WELCOME),
                StartTimer(self.timeouts.decision_s),
            ]
        effects += [AlertStaff(decision.reasons[0]), ShowScreen(Screen.SEE_OFFICER)]
        return [*effects, StartTimer(self.timeouts.referral_s)]

    def _fingerprint_positions(self) -> tuple[FingerPosition, ...]:
        doc = self.facts.document
        enrolled = doc.enrolled_fingers if doc else ()
        wanted = tuple(p for p in INDEX_FINGERS if not enrolled or p in enrolled)
        return wanted or enrolled[:2]

    # ------------------------------------------------------------------ transitions
    def handle(self, event: Event) -> list[Effect]:
        if isinstance(event, CallOfficer):
            if self.state in (State.IDLE, State.DECISION, State.SURVEY):
                return [AlertStaff(ReasonCode.OFFICER_CALLED)]
            return self._finish(None, ReasonCode.OFFICER_CALLED)
        if isinstance(event, OfficerOverride):
            return self._override(event)
        handler = {
            State.IDLE: self._idle,
            State.DOCUMENT: self._document,
            State.FACE: self._face,
            State.FINGERPRINT: self._fingerprint,
            State.DECISION: self._decision,
            State.SURVEY: self._survey,
        }[self.state]
        return handler(event)

    def _idle(self, event: Event) -> list[Effect]:
        if isinstance(event, Begin):
            self._reset()
            self.language = event.language
            self._started_at = self._clock()
            return self._enter(
                State.DOCUMENT, Screen.DOCUMENT, self.timeouts.document_s, ReadDocument()
            )
        return []

    def _document(self, event: Event) -> list[Effect]:
        if isinstance(event, DocumentProgress):
            return [ShowScreen(Screen.DOCUMENT, {"done": event.done, "total": event.total})]
        if isinstance(event, CardRemoved):
            return self._finish(None, ReasonCode.CARD_REMOVED)
        if isinstance(event, TimedOut):
            return self._finish(None, ReasonCode.TIMEOUT)
        if isinstance(event, DeviceFailed):
            return self._finish(None, ReasonCode.DEVICE_ERROR)
        if isinstance(event, DocumentDone):
            self.facts = replace(self.facts, document=event.facts)
            early = assess(self.policy, self.facts, self._clock().date())
            if any(
                c.name in DOCUMENT_CHECKS and c.outcome not in _NEUTRAL_OK for c in early.checks
            ):
                return self._finish(None, None)  # no point asking for a face: refer now
            return self._enter(State.FACE, Screen.FACE, self.timeouts.face_s, CaptureFace())
        return []

    def _face(self, event: Event) -> list[Effect]:
        if isinstance(event, FaceGuidance):
            return [ShowScreen(Screen.FACE, {"guidance": list(event.codes)})]
        if isinstance(event, TimedOut):
            return self._finish(None, ReasonCode.TIMEOUT)
        if isinstance(event, DeviceFailed):
            return self._finish(None, ReasonCode.DEVICE_ERROR)
        if isinstance(event, FaceDone):
            self.facts = replace(self.facts, face=event.face, watchlist_face=event.watchlist)
            doc = self.facts.document
            if doc is not None and doc.document is not None:
                category = category_of(doc.document, self.policy)
                if needs_fingerprints(self.policy, category, bool(doc.enrolled_fingers)):
                    self._fingerprint_attempt = 1
                    return self._enter(
                        State.FINGERPRINT,
                        Screen.FINGERPRINT,
                        self.timeouts.fingerprint_s,
                        CaptureFingerprints(self._fingerprint_positions(), 1),
                    )
            return self._finish(None, None)
        return []

    def _fingerprint(self, event: Event) -> list[Effect]:
        if isinstance(event, TimedOut):
            return self._finish(None, ReasonCode.TIMEOUT)
        if isinstance(event, DeviceFailed):
            return self._finish(None, ReasonCode.DEVICE_ERROR)
        if isinstance(event, FingerprintRetry):
            if self._fingerprint_attempt >= self.policy.fingerprint_retries:
                self.facts = replace(
                    self.facts,
                    fingerprint=FingerprintFacts(captured=False, match=CheckOutcome.NOT_RUN),
                )
                return self._finish(None, None)
            self._fingerprint_attempt += 1
            return [
                ShowScreen(
                    Screen.FINGERPRINT,
                    {"retry": event.reason, "attempt": self._fingerprint_attempt},
                ),
                CaptureFingerprints(self._fingerprint_positions(), self._fingerprint_attempt),
            ]
        if isinstance(event, FingerprintDone):
            self.facts = replace(
                self.facts, fingerprint=event.fingerprint, watchlist_fingerprint=event.watchlist
            )
            return self._finish(None, None)
        return []

    def _decision(self, event: Event) -> list[Effect]:
        if isinstance(event, RecordFailed) and self.transaction is not None:
            reasons = tuple(
                r
                for r in self.transaction.decision.reasons
                if r is not ReasonCode.ALL_CHECKS_PASSED
            )
            decision = Decision(Outcome.REFER, (ReasonCode.DEVICE_ERROR, *reasons))
            self.transaction = replace(self.transaction, decision=decision)
            return [
                AlertStaff(ReasonCode.DEVICE_ERROR, event.code),
                ShowScreen(Screen.SEE_OFFICER),
                StartTimer(self.timeouts.referral_s),
            ]
        if isinstance(event, TimedOut):
            self.state = State.SURVEY
            return [ShowScreen(Screen.SURVEY), StartTimer(self.timeouts.survey_s)]
        return []

    def _survey(self, event: Event) -> list[Effect]:
        if isinstance(event, SurveyAnswered | TimedOut):
            effects: list[Effect] = []
            if isinstance(event, SurveyAnswered) and event.score is not None and self.transaction:
                if not 1 <= event.score <= 5:
                    return []
                effects.append(RecordSurvey(self.transaction.transaction_id, event.score))
            self.state = State.IDLE
            self._reset()
            return [*effects, ShowScreen(Screen.IDLE)]
        return []

    def _override(self, event: OfficerOverride) -> list[Effect]:
        """An officer decides for a referred traveller; needs OVERRIDE_DECISION."""
        if self.state is not State.DECISION or self.transaction is None:
            return []
        if self.transaction.decision.outcome is Outcome.PASS:
            return []
        if not event.officer.can(Permission.OVERRIDE_DECISION):
            return [AlertStaff(ReasonCode.OFFICER_OVERRIDE, "security.forbidden")]
        decision = Decision(
            event.outcome, (ReasonCode.OFFICER_OVERRIDE, *self.transaction.decision.reasons)
        )
        self.transaction = replace(
            self.transaction, decision=decision, officer_id=event.officer.user_id
        )
        effects: list[Effect] = [Completed(self.transaction)]
        if event.outcome is Outcome.PASS:
            effects += [OpenGate(), ShowScreen(Screen.WELCOME)]
        return [*effects, StartTimer(self.timeouts.decision_s)]

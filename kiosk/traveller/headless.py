"""Run traveller transactions without a screen: the flow and the services, nothing else.

The same state machine and the same services as the kiosk window, driven
synchronously: device steps run in this thread; the decision and survey
screens' timers expire at once; the survey is answered with a given score.
Used by ``gerbang demo --headless`` and ``gerbang bench transaction``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from kiosk.traveller.flow import (
    AlertStaff,
    Begin,
    CaptureFace,
    CaptureFingerprints,
    CardRemoved,
    Completed,
    DeviceFailed,
    DocumentDone,
    Event,
    FaceDone,
    FingerprintDone,
    FingerprintRetry,
    OpenGate,
    ReadDocument,
    RecordFailed,
    RecordSurvey,
    StartTimer,
    State,
    SurveyAnswered,
    TimedOut,
    Transaction,
    TravellerFlow,
)
from kiosk.traveller.services import TransactionServices
from models.errors import CardRemovedError, GerbangError
from models.settings import Language


class HeadlessRunner:
    def __init__(self, flow: TravellerFlow, services: TransactionServices) -> None:
        self.flow = flow
        self.services = services
        self.alerts: list[str] = []
        self.gate_openings = 0

    def run(self, language: Language = Language.ENGLISH, survey: int | None = 5) -> Transaction:
        """One complete transaction, from the language choice to the end of the survey."""
        queue: deque[Event] = deque([Begin(language)])
        finished: Transaction | None = None
        while queue:
            effects = self.flow.handle(queue.popleft())
            gate = any(isinstance(e, OpenGate) for e in effects)
            for effect in effects:
                follow = self._carry_out(effect, gate, survey)
                if isinstance(effect, Completed):
                    finished = effect.transaction
                if follow is not None:
                    queue.append(follow)
        if finished is None:
            raise RuntimeError("the transaction ended without a decision")
        return self.flow.transaction or finished

    def _carry_out(self, effect: object, gate: bool, survey: int | None) -> Event | None:
        if isinstance(effect, ReadDocument):
            self.services.begin()
            return self._step(
                lambda: DocumentDone(self.services.read_document(lambda d, t: None, lambda: False))
            )
        if isinstance(effect, CaptureFace):

            def face() -> Event:
                outcome = self.services.capture_face(
                    lambda codes: None, lambda frame: None, lambda: False
                )
                return FaceDone(outcome.face, outcome.watchlist)

            return self._step(face)
        if isinstance(effect, CaptureFingerprints):

            def fingers() -> Event:
                result = self.services.capture_fingerprints(
                    effect.positions, effect.attempt, lambda: False
                )
                if result.fingerprint is None or result.watchlist is None:
                    return FingerprintRetry(result.retry or "low_quality")
                return FingerprintDone(result.fingerprint, result.watchlist)

            return self._step(fingers)
        if isinstance(effect, Completed):
            try:
                self.services.record(effect.transaction)
            except GerbangError as exc:
                return RecordFailed(exc.code)
            if gate:
                self.services.open_gate()
                self.gate_openings += 1
            return None
        if isinstance(effect, AlertStaff):
            self.alerts.append(effect.reason.value)
            self.services.alert_staff(effect.reason.value)
        elif isinstance(effect, RecordSurvey):
            self.services.record_survey(effect.transaction_id, effect.score)
        elif isinstance(effect, StartTimer):
            if self.flow.state is State.DECISION:
                return TimedOut()
            if self.flow.state is State.SURVEY:
                return SurveyAnswered(survey) if survey is not None else TimedOut()
        return None

    @staticmethod
    def _step(step: Callable[[], Event]) -> Event:
        """A device step's event; a card pulled out or a failed device or document ends the step."""
        try:
            return step()
        except CardRemovedError:
            return CardRemoved()
        except GerbangError as exc:
            return DeviceFailed(exc.code)

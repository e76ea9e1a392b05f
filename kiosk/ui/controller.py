"""The thin adapter between the Qt-free traveller flow and the kiosk window.

It feeds user input, timer expiries and worker results to the flow as events,
and carries out the flow's effects: screens, timers, device steps on the worker
thread, the gate, recording, staff alerts. It holds no decision logic.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from kiosk.traveller.facts import DocumentFacts
from kiosk.traveller.flow import (
    AlertStaff,
    Begin,
    CallOfficer,
    CancelDeviceStep,
    CaptureFace,
    CaptureFingerprints,
    CardRemoved,
    Completed,
    DeviceFailed,
    DocumentDone,
    DocumentProgress,
    Effect,
    Event,
    FaceDone,
    FaceGuidance,
    FingerprintDone,
    FingerprintRetry,
    OpenGate,
    ReadDocument,
    RecordFailed,
    RecordSurvey,
    Screen,
    ShowScreen,
    StartTimer,
    SurveyAnswered,
    TimedOut,
    TravellerFlow,
)
from kiosk.traveller.services import Cancelled, FaceOutcome, FingerprintOutcome, TransactionServices
from kiosk.ui.i18n import Translations
from kiosk.ui.window import KioskWindow
from kiosk.ui.workers import JobRunner
from models.errors import CardRemovedError, GerbangError
from models.events import CheckOutcome
from models.settings import Language

log = logging.getLogger(__name__)


CHECKS_HOLD_MS = 1200  # how long the passed document checks stay on the screen


def _passed_checks(facts: DocumentFacts) -> list[str] | None:
    """The document checks to show, or None when one did not pass (nothing is shown)."""
    ok = (CheckOutcome.PASSED, CheckOutcome.NOT_OFFERED)
    outcomes = {
        "chip_read": facts.chip_read,
        "passive_authentication": facts.passive_authentication,
        "chip_authentication": facts.chip_authentication,
        "dg1_matches_mrz": facts.dg1_matches_mrz,
    }
    if not facts.mrz_valid or any(o not in ok for o in outcomes.values()):
        return None
    return ["mrz", *(name for name, o in outcomes.items() if o is CheckOutcome.PASSED)]


class TravellerController(QObject):
    staff_alert = Signal(str)  # reason code, for the officer's panel
    transaction_finished = Signal(object)  # the flow's Transaction
    _progress = Signal(int, int)
    _guidance = Signal(object)
    _frame = Signal(object)

    def __init__(
        self,
        window: KioskWindow,
        flow: TravellerFlow,
        services: TransactionServices,
        translations: Translations,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.flow = flow
        self.services = services
        self.translations = translations
        self.checks_hold_ms = CHECKS_HOLD_MS
        self.runner = JobRunner(self)
        self.runner.done.connect(self._job_done)
        self.runner.failed.connect(self._job_failed)
        self._pending: dict[int, str] = {}  # job id -> what it was
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(lambda: self.dispatch(TimedOut()))
        self._progress.connect(lambda done, total: self.dispatch(DocumentProgress(done, total)))
        self._guidance.connect(lambda codes: self.dispatch(FaceGuidance(tuple(codes))))
        self._frame.connect(self._show_frame)
        window.idle.language_chosen.connect(self._start)
        window.officer_requested.connect(lambda: self.dispatch(CallOfficer()))
        window.survey.answered.connect(lambda score: self.dispatch(SurveyAnswered(score or None)))
        self._apply_language(Language.INDONESIAN)
        window.show_screen(Screen.IDLE)

    # ------------------------------------------------------------------ events in
    def dispatch(self, event: Event) -> None:
        effects = self.flow.handle(event)
        # The gate opens only after the transaction is stored: both run in one job.
        gate = any(isinstance(e, OpenGate) for e in effects)
        for effect in effects:
            if isinstance(effect, Completed):
                self._record(effect, open_gate=gate)
            elif not isinstance(effect, OpenGate):
                self._carry_out(effect)

    @Slot(str)
    def _start(self, code: str) -> None:
        language = Language(code)
        self._apply_language(language)
        self.dispatch(Begin(language))

    def _apply_language(self, language: Language) -> None:
        self.translations.install(language)
        self.window.retranslate()

    def _show_frame(self, frame: npt.NDArray[np.uint8]) -> None:
        if self.window.current is Screen.FACE:
            self.window.face.show_frame(frame)

    # ------------------------------------------------------------------ effects out
    def _carry_out(self, effect: Effect) -> None:
        if isinstance(effect, ShowScreen):
            self._show(effect)
        elif isinstance(effect, StartTimer):
            self._timer.start(int(effect.seconds * 1000))
        elif isinstance(effect, ReadDocument):
            self._run("document", self._read_document)
        elif isinstance(effect, CaptureFace):
            self._run("face", self._capture_face)
        elif isinstance(effect, CaptureFingerprints):
            self.window.fingerprint.show_request(
                [p.name for p in effect.positions],
                effect.attempt,
                self.flow.policy.fingerprint_retries,
            )
            positions, attempt = effect.positions, effect.attempt
            self._run(
                "fingerprint",
                lambda cancelled: self.services.capture_fingerprints(positions, attempt, cancelled),
            )
        elif isinstance(effect, CancelDeviceStep):
            self.runner.cancel()
            self.window.fingerprint.stop()
        elif isinstance(effect, AlertStaff):
            self.staff_alert.emit(effect.reason.value)
            reason = effect.reason.value
            self._run("alert", lambda _: self.services.alert_staff(reason), cancellable=False)
        elif isinstance(effect, RecordSurvey):
            tid, score = effect.transaction_id, effect.score
            self._run(
                "survey", lambda _: self.services.record_survey(tid, score), cancellable=False
            )

    def _record(self, effect: Completed, *, open_gate: bool) -> None:
        transaction = effect.transaction

        def record_then_gate(_: Cancelled) -> None:
            self.services.record(transaction)
            if open_gate:
                self.services.open_gate()

        self._run("record", record_then_gate, cancellable=False)
        self.transaction_finished.emit(transaction)

    def _show(self, effect: ShowScreen) -> None:
        detail = effect.detail
        if effect.screen is Screen.DOCUMENT and "done" in detail:
            self.window.document.show_progress(int(str(detail["done"])), int(str(detail["total"])))
        elif effect.screen is Screen.DOCUMENT:
            self.window.document.show_waiting()
        elif effect.screen is Screen.FACE and "guidance" in detail:
            codes = detail["guidance"]
            self.window.face.show_guidance(
                [str(c) for c in codes] if isinstance(codes, list) else []
            )
        elif effect.screen is Screen.FINGERPRINT and "retry" in detail:
            self.window.fingerprint.show_retry(str(detail["retry"]))
        elif effect.screen is Screen.IDLE:
            self._apply_language(Language.INDONESIAN)
        if effect.screen is not Screen.FINGERPRINT:
            self.window.fingerprint.stop()
        self.window.show_screen(effect.screen)

    # ------------------------------------------------------------------ worker jobs
    def _run(
        self, kind: str, job: Callable[[Cancelled], object], *, cancellable: bool = True
    ) -> None:
        self._pending[self.runner.submit(job, step=cancellable)] = kind

    def _read_document(self, cancelled: Cancelled) -> DocumentFacts:
        self.services.begin()
        return self.services.read_document(lambda d, t: self._progress.emit(d, t), cancelled)

    def _capture_face(self, cancelled: Cancelled) -> FaceOutcome:
        return self.services.capture_face(
            lambda codes: self._guidance.emit(list(codes)),
            lambda frame: self._frame.emit(frame),
            cancelled,
        )

    @Slot(int, object)
    def _job_done(self, job_id: int, result: object) -> None:
        kind = self._pending.pop(job_id, "")
        if kind in ("document", "face", "fingerprint") and job_id != self.runner.current:
            return  # a cancelled or replaced step
        if isinstance(result, DocumentFacts):
            self._document_done(result)
        elif isinstance(result, FaceOutcome):
            self.dispatch(FaceDone(result.face, result.watchlist))
        elif isinstance(result, FingerprintOutcome):
            if result.retry is not None or result.fingerprint is None or result.watchlist is None:
                self.dispatch(FingerprintRetry(result.retry or "low_quality"))
            else:
                self.dispatch(FingerprintDone(result.fingerprint, result.watchlist))

    def _document_done(self, facts: DocumentFacts) -> None:
        """Show the passed checks for a moment when every document check passed, then go on."""
        passed = _passed_checks(facts)
        if passed is None or self.checks_hold_ms <= 0:
            self.dispatch(DocumentDone(facts))
            return
        self.window.document.show_checks(passed)
        job = self.runner.current
        QTimer.singleShot(
            self.checks_hold_ms,
            lambda: self.dispatch(DocumentDone(facts)) if self.runner.current == job else None,
        )

    @Slot(int, object)
    def _job_failed(self, job_id: int, error: object) -> None:
        kind = self._pending.pop(job_id, "")
        code = error.code if isinstance(error, GerbangError) else "internal"
        log.warning("kiosk step failed", extra={"step": kind, "code": code})
        if kind in ("document", "face", "fingerprint") and job_id != self.runner.current:
            return
        if isinstance(error, CardRemovedError):
            self.dispatch(CardRemoved())
        elif kind in ("document", "face", "fingerprint"):
            self.dispatch(DeviceFailed(code))
        elif kind == "record":
            self.dispatch(RecordFailed(code))
        else:
            self.staff_alert.emit(f"{kind}_failed")

    def shutdown(self) -> None:
        self._timer.stop()
        self.runner.stop()

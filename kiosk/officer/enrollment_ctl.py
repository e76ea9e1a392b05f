"""Enrollment controller: maps the screen to :class:`~enrollment.counter.CounterEnrollment`.

Face and finger analysis, de-duplication and storage run on a worker thread
(:class:`~kiosk.ui.workers.JobRunner`); the screen is updated from the results.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QFileDialog

from biometrics.fingerprint.image import file_ppi
from biometrics.fingerprint.params import IMAGE
from enrollment.accounts import Accounts
from enrollment.capture import (
    CapturedFace,
    Missed,
    PassportRead,
    ScannedFinger,
    ScannedSlap,
    segment_slap_image,
)
from enrollment.counter import CounterEnrollment, EnrollmentOutcome, read_image
from enrollment.counter_devices import CounterDevices
from enrollment.documents import from_mrz
from enrollment.receipt import receipt_data, render_html
from kiosk.officer.enrollment import SLAPS, EnrollmentView
from kiosk.ui.workers import JobRunner
from models.biometric import FingerPosition
from models.errors import GerbangError
from models.operations import DeviceKind
from models.roles import Principal

log = logging.getLogger(__name__)
DEFAULT_PPI = IMAGE.default_ppi  # a slap file that states no resolution
Chooser = Callable[[str, bool], str | None]  # (title, save) -> path or None


def file_dialog(title: str, save: bool) -> str | None:
    if save:
        path, _ = QFileDialog.getSaveFileName(None, title, "", "PDF (*.pdf)")
    else:
        path, _ = QFileDialog.getOpenFileName(None, title)
    return path or None


class EnrollmentController(QObject):
    face_checked = Signal(list)  # reasons the face cannot be used (empty: usable)
    finger_checked = Signal(str)  # accepted, retry, kept_best
    slap_checked = Signal(str, dict)  # segmentation status, {position name: result}
    finished = Signal(str)  # enrolled, held_for_supervisor, refused
    error = Signal(str)  # error code
    document_read = Signal(list)  # what to look at on the chip read (empty: a sound chip)
    device_missed = Signal(str)  # nothing captured: the reason (timeout, cancelled, no_chip...)
    device_status = Signal(str)  # from the worker thread: what the device work is doing

    def __init__(
        self,
        view: EnrollmentView,
        make_counter: Callable[[Principal], CounterEnrollment],
        accounts: Accounts,
        principal: Callable[[], Principal | None],
        *,
        choose: Chooser = file_dialog,
        jobs: JobRunner | None = None,
        devices: CounterDevices | None = None,
    ) -> None:
        super().__init__(view)
        self.view = view
        self.make_counter = make_counter
        self.accounts = accounts
        self.principal = principal
        self.choose = choose
        self.jobs = jobs or JobRunner(self)
        self.counter: CounterEnrollment | None = None
        self.devices = devices
        self._pending: dict[int, Callable[[Any], None]] = {}
        self._device_jobs: set[int] = set()
        self.jobs.done.connect(self._done)
        self.jobs.failed.connect(self._failed)
        view.document_submitted.connect(self._document)
        view.face_requested.connect(self._face)
        view.override_submitted.connect(self._override)
        view.finger_requested.connect(self._finger)
        view.missing_submitted.connect(self._missing)
        view.finish_requested.connect(self._finish)
        view.receipt_requested.connect(self._receipt)
        view.restart_requested.connect(self.restart)
        view.passport_requested.connect(self._read_passport)
        view.camera_requested.connect(self._capture_face)
        view.scanner_requested.connect(self._scan_finger)
        view.device_cancel_requested.connect(self._cancel_device)
        self.device_status.connect(self._show_status)
        has = devices.has if devices is not None else lambda _kind: False
        view.set_devices(
            has(DeviceKind.DOCUMENT_SCANNER) and has(DeviceKind.CARD_READER),
            has(DeviceKind.CAMERA),
            has(DeviceKind.FINGERPRINT),
        )

    def stop(self) -> None:
        self.jobs.stop()
        if self.devices is not None:
            self.devices.close()

    # ------------------------------------------------------------------ plumbing
    def _run(self, work: Callable[[], Any], then: Callable[[Any], None]) -> None:
        job_id = self.jobs.submit(lambda _cancelled: work(), step=False)
        self._pending[job_id] = then

    @Slot(int, object)
    def _done(self, job_id: int, result: object) -> None:
        then = self._pending.pop(job_id, None)
        self._device_jobs.discard(job_id)
        if then is not None:
            then(result)

    def _run_device(
        self, work: Callable[[Callable[[], bool]], Any], then: Callable[[Any], None]
    ) -> None:
        """Device work (cancellable with the Stop button), then ``then`` on the GUI thread."""
        self.view.set_device_busy(True)

        def finish(result: Any) -> None:
            self.view.set_device_busy(False)
            then(result)

        job_id = self.jobs.submit(work, step=True)
        self._pending[job_id] = finish
        self._device_jobs.add(job_id)

    @Slot(int, object)
    def _failed(self, job_id: int, exc: object) -> None:
        self._pending.pop(job_id, None)
        if job_id in self._device_jobs:
            self.view.set_device_busy(False)
            self.view.device_status.clear()
        self._device_jobs.discard(job_id)
        self._show_error(exc)

    def _show_error(self, exc: object) -> None:
        code = exc.code if isinstance(exc, GerbangError) else "internal"
        message = exc.message if isinstance(exc, GerbangError) else self.tr("Unexpected error.")
        self.view.result.setText(message)
        self.error.emit(code)

    def _guarded(self, action: Callable[[], None]) -> None:
        try:
            action()
        except GerbangError as exc:
            self._show_error(exc)

    # ------------------------------------------------------------------ steps
    def restart(self) -> None:
        self.jobs.cancel()
        self.counter = None
        self.view.reset()

    @Slot(str)
    def _document(self, text: str) -> None:
        officer = self.principal()
        if officer is None:
            return

        def start() -> None:
            counter = self.make_counter(officer)
            counter.set_document(from_mrz(text.splitlines(), datetime.now(UTC).date()))
            self.counter = counter
            doc = counter.session.document
            if doc is not None:
                self.view.document.setText(
                    f"{doc.surname}, {doc.given_names} · {doc.nationality} · "
                    f"{doc.issuing_state} {doc.document_number}"
                )

        self._guarded(start)

    @Slot()
    def _face(self) -> None:
        counter = self.counter
        if counter is None:
            self.view.result.setText(self.tr("Enter the document first."))
            return
        path = self.choose(self.tr("Face photo"), False)
        if path is None:
            return
        self.view.face_status.setText(self.tr("Checking the photo…"))
        self._run(lambda: counter.offer_face(*read_image(Path(path))), self._face_done)

    def _face_done(self, reasons: object) -> None:
        counter = self.counter
        if counter is None or not isinstance(reasons, list):
            return
        face = counter.session.face
        self.view.show_image(self.view.face, face.image.data if face else None)
        analysis = counter.out.face
        rows = [
            (f"{r.rule}: {'-' if r.value is None else f'{r.value:.2f}'} ({r.limit})", r.passed)
            for r in (analysis.report if analysis else ())
        ]
        self.view.show_list(self.view.report, rows)
        if reasons:
            self.view.face_status.setText(
                self.tr("Retake or override: %1").replace("%1", ", ".join(reasons))
            )
        else:
            self.view.face_status.setText(self.tr("Face accepted."))
        self.face_checked.emit(reasons)

    @Slot(str, str, str)
    def _override(self, reason: str, supervisor_id: str, secret: str) -> None:
        counter = self.counter
        if counter is None:
            return

        def override() -> None:
            supervisor = self.accounts.login(supervisor_id, secret) if supervisor_id else None
            left = counter.override_face(reason, supervisor)
            if left:
                self.view.face_status.setText(self.tr("A supervisor must approve the override."))
            else:
                self.view.face_status.setText(self.tr("Override approved."))
            self.face_checked.emit(left)

        self._guarded(override)

    @Slot(int)
    def _finger(self, position: int) -> None:
        counter = self.counter
        if counter is None:
            return
        path = self.choose(self.tr("Fingerprint image"), False)
        if path is None:
            return
        finger = FingerPosition(position)
        if finger in SLAPS:

            def slap_from_file() -> tuple[ScannedSlap, dict[str, str]]:
                image, pixels = read_image(Path(path))
                ppi = file_ppi(image.data) or DEFAULT_PPI  # a 1000 ppi card scan says so
                slap = segment_slap_image(finger, pixels, round(ppi))
                return slap, counter.offer_slap(slap)

            self._run(slap_from_file, self._slap_done)
            return
        self._run(lambda: counter.offer_finger(finger, *read_image(Path(path))), self._finger_done)

    def _finger_done(self, result: object) -> None:
        self._show_fingers()
        self.finger_checked.emit(str(result))

    def _slap_done(self, result: object) -> None:
        if isinstance(result, Missed):
            self._missed(result)
            return
        if not isinstance(result, tuple) or not isinstance(result[0], ScannedSlap):
            return
        self.view.device_status.clear()
        slap: ScannedSlap = result[0]
        results: dict[str, str] = result[1]
        texts = {
            "touching": self.tr("The fingers touch: spread them and scan the slap again."),
            "wrong-count": self.tr(
                "Some fingertips were not found: scan again, or take those fingers singly."
            ),
            "blank": self.tr("No fingers on the slap: place the hand flat and scan again."),
            "bad-image": self.tr("The slap image cannot be used."),
        }
        self.view.result.setText(texts.get(slap.status, ""))
        self.view.show_slap(
            [
                (f"{f.position.name}: {results.get(f.position.name, '')}", f.image.data)
                for f in slap.fingers
            ]
        )
        self._show_fingers()
        self.slap_checked.emit(slap.status, dict(results))

    @Slot(int, str)
    def _missing(self, position: int, reason: str) -> None:
        counter = self.counter
        if counter is None:
            return
        if FingerPosition(position) in SLAPS:
            self.view.result.setText(
                self.tr("Record a missing finger at its own position, not a slap.")
            )
            return
        self._guarded(lambda: counter.mark_missing(FingerPosition(position), reason))
        self._show_fingers()

    def _show_fingers(self) -> None:
        counter = self.counter
        if counter is None:
            return
        rows = [
            (
                f"{f['position']} #{f['attempt']}: {f['result']} ({f['quality']})",
                f["result"] != "retry",
            )
            for f in counter.out.fingers
        ]
        rows += [
            (self.tr("%1 missing: %2").replace("%1", p.name).replace("%2", r), True)
            for p, r in counter.session.missing.items()
        ]
        self.view.show_list(self.view.fingers, rows)

    @Slot(bool)
    def _finish(self, consent: bool) -> None:
        counter = self.counter
        if counter is None:
            return
        missing = counter.fingers_missing()
        if missing:
            self.view.result.setText(
                self.tr("Capture or mark missing: %1").replace("%1", ", ".join(missing))
            )
            return
        self._run(lambda: counter.finish(consent), self._finished)

    def _finished(self, outcome: object) -> None:
        if not isinstance(outcome, EnrollmentOutcome):
            return
        texts = {
            "enrolled": self.tr("Enrolled."),
            "held_for_supervisor": self.tr(
                "Possible duplicate: held for a supervisor. Compare the faces side by side."
            ),
            "refused": self.tr("Not stored: %1").replace("%1", ", ".join(outcome.reasons)),
        }
        self.view.result.setText(texts[outcome.outcome])
        rows = [
            (f"{c.gallery} · {c.subject_id[:8]} · {c.score:.3f}", False) for c in outcome.candidates
        ]
        self.view.show_list(self.view.candidates, rows)
        if outcome.candidates and self.counter is not None:
            samples = self.counter.store.face_samples.for_subject(outcome.candidates[0].subject_id)
            self.view.show_image(self.view.candidate, samples[0].image.data if samples else None)
        self.finished.emit(outcome.outcome)

    @Slot()
    def _receipt(self) -> None:
        counter = self.counter
        if counter is None or counter.out.stored is None or counter.out.document is None:
            return
        path = self.choose(self.tr("Save the receipt"), True)
        if path is None:
            return
        from kiosk.officer.receipt_pdf import write_pdf

        data = receipt_data(
            counter.out.stored,
            counter.out.document.document.issuing_state,
            [p.name for p in counter.session.fingers],
        )
        write_pdf(render_html(data), Path(path))
        self.view.result.setText(self.tr("Receipt saved."))

    # ------------------------------------------------------------------ devices
    def _status_text(self, code: str) -> str:
        texts = {
            "scanning_page": self.tr("Place the passport's data page on the document scanner…"),
            "waiting_for_card": self.tr("Place the passport on the card reader…"),
            "reading_chip": self.tr("Reading the chip…"),
            "checking_chip": self.tr("Checking the chip…"),
            "loading_models": self.tr("Loading the face models…"),
            "checking_face": self.tr("Checking the photo…"),
            "place_finger": self.tr("Place the finger on the scanner…"),
        }
        return texts.get(code) or self._guidance_text(code)

    def _guidance_text(self, code: str) -> str:
        """The camera's face guidance and the fingerprint scanner's retry reasons."""
        texts = {
            "no_face": self.tr("Camera: no face yet."),
            "one_person_only": self.tr("Camera: only the traveller in the picture."),
            "come_closer": self.tr("Camera: the traveller should come closer."),
            "move_back": self.tr("Camera: the traveller should step back."),
            "move_left": self.tr("Camera: centre the face."),
            "move_right": self.tr("Camera: centre the face."),
            "move_up": self.tr("Camera: centre the face."),
            "move_down": self.tr("Camera: centre the face."),
            "look_straight": self.tr("Camera: look straight at the camera."),
            "straighten_head": self.tr("Camera: hold the head straight."),
            "keep_still": self.tr("Camera: keep still."),
            "hold_still": self.tr("Camera: keep still."),
            "more_light": self.tr("Camera: more light needed."),
            "less_light": self.tr("Camera: too much light."),
            "even_light": self.tr("Camera: light the face evenly."),
            "finger_moved": self.tr("Scanner: the finger moved, place it again."),
            "finger_too_dry": self.tr("Scanner: the finger is too dry."),
            "finger_too_wet": self.tr("Scanner: the finger is too wet."),
            "centre_finger": self.tr("Scanner: centre the finger."),
            "remove_finger": self.tr("Scanner: lift the finger and place it again."),
            "poor_sample": self.tr("Scanner: unusable print, place the finger again."),
        }
        return texts.get(code, self.tr("Device: %1").replace("%1", code))

    @Slot(str)
    def _show_status(self, code: str) -> None:
        self.view.device_status.setText(self._status_text(code))

    def _missed(self, missed: Missed) -> None:
        texts = {
            "cancelled": self.tr("Stopped."),
            "timeout": self.tr("Nothing captured in time: try again."),
            "mrz_not_read": self.tr("The MRZ could not be read: place the data page again."),
            "mrz_check_digits": self.tr(
                "The MRZ check digits do not hold: check the page or type the MRZ."
            ),
            "no_chip": self.tr("No chip on the card reader in time: place the passport again."),
            "no_face": self.tr("No usable face in front of the camera: try again."),
        }
        self.view.device_status.setText(
            texts.get(missed.reason, self.tr("Try again: %1").replace("%1", missed.reason))
        )
        self.device_missed.emit(missed.reason)

    @Slot()
    def _cancel_device(self) -> None:
        self.jobs.cancel()

    @Slot()
    def _read_passport(self) -> None:
        officer = self.principal()
        devices = self.devices
        if officer is None or devices is None:
            return
        self._run_device(
            lambda cancelled: devices.read_passport(cancelled, self.device_status.emit),
            lambda result: self._passport_done(officer, result),
        )

    def _passport_done(self, officer: Principal, result: object) -> None:
        if isinstance(result, Missed):
            self._missed(result)
            return
        if not isinstance(result, PassportRead):
            return

        def start() -> None:
            counter = self.make_counter(officer)
            counter.set_document(result.loaded)
            self.counter = counter
            doc = result.loaded.document
            self.view.document.setText(
                f"{doc.surname}, {doc.given_names} · {doc.nationality} · "
                f"{doc.issuing_state} {doc.document_number} · " + self.tr("chip")
            )
            problems = result.problems
            self.view.device_status.setText(
                self.tr("Chip read: look at %1").replace("%1", ", ".join(problems))
                if problems
                else self.tr("Chip read and verified.")
            )
            self.document_read.emit(problems)

        self._guarded(start)

    @Slot()
    def _capture_face(self) -> None:
        counter, devices = self.counter, self.devices
        if devices is None:
            return
        if counter is None:
            self.view.result.setText(self.tr("Enter the document first."))
            return

        def work(cancelled: Callable[[], bool]) -> object:
            got = devices.capture_face(cancelled, self.device_status.emit)
            if isinstance(got, CapturedFace):
                self.device_status.emit("checking_face")
                return counter.offer_face(got.image, got.rgb)
            return got

        self.view.face_status.setText(self.tr("Look at the camera…"))
        self._run_device(work, self._captured_face)

    def _captured_face(self, result: object) -> None:
        if isinstance(result, Missed):
            self.view.face_status.clear()
            self._missed(result)
            return
        self.view.device_status.clear()
        self._face_done(result)

    @Slot(int)
    def _scan_finger(self, position: int) -> None:
        counter, devices = self.counter, self.devices
        if devices is None:
            return
        if counter is None:
            self.view.result.setText(self.tr("Enter the document first."))
            return
        finger = FingerPosition(position)
        if finger in SLAPS:

            def slap_work(cancelled: Callable[[], bool]) -> object:
                got = devices.scan_slap(finger, cancelled, self.device_status.emit)
                if isinstance(got, ScannedSlap):
                    return got, counter.offer_slap(got)
                return got

            self._run_device(slap_work, self._slap_done)
            return

        def work(cancelled: Callable[[], bool]) -> object:
            got = devices.scan_finger(finger, cancelled, self.device_status.emit)
            if isinstance(got, ScannedFinger):
                return counter.offer_finger(finger, got.image, got.pixels)
            return got

        self._run_device(work, self._scanned_finger)

    def _scanned_finger(self, result: object) -> None:
        if isinstance(result, Missed):
            self._missed(result)
            return
        self.view.device_status.clear()
        self._finger_done(result)

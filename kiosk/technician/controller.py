"""Technician controller: login (technician role), then device health and calibration.

Device IO and evaluations run on the worker thread (:class:`kiosk.ui.workers.JobRunner`)
through the Qt-free :class:`enrollment.technician.workbench.Workbench`; results come
back as signals and are shown by the views.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer, Signal, Slot

from enrollment.accounts import Accounts
from enrollment.technician.fingerthresholds import FingerCalibration
from enrollment.technician.thresholds import ThresholdCalibration
from enrollment.technician.workbench import Workbench
from kiosk.technician.window import TechnicianWindow
from kiosk.ui.workers import JobRunner
from models.errors import GerbangError
from models.roles import ForbiddenError, Permission, Principal

log = logging.getLogger(__name__)
PREVIEW_MS = 200


class TechnicianController(QObject):
    logged_in = Signal(str)
    devices_shown = Signal(int)
    camera_measured = Signal(object)  # the calibration result (dict)
    thresholds_measured = Signal(object)  # ThresholdCalibration or FingerCalibration
    progress = Signal(str, int, int)  # stage, done, total (emitted on the worker thread)
    saved = Signal(str)  # "camera" or "thresholds"
    error = Signal(str)  # error code

    def __init__(
        self,
        window: TechnicianWindow,
        accounts: Accounts,
        workbench: Workbench,
        *,
        idle_logout_s: float = 300.0,
        plot_dir: Path | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.accounts = accounts
        self.workbench = workbench
        self.principal: Principal | None = None
        self.camera_result: dict[str, Any] | None = None
        self.threshold_result: ThresholdCalibration | FingerCalibration | None = None
        self._plot_dir = plot_dir or Path(tempfile.gettempdir())
        self._runner = JobRunner(self)
        self._runner.done.connect(self._done)
        self._runner.failed.connect(self._failed)
        self._handlers: dict[int, Callable[[Any], None]] = {}
        self._preview_pending = False
        self._preview = QTimer(self)
        self._preview.setInterval(PREVIEW_MS)
        self._preview.timeout.connect(self._request_preview)
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(int(idle_logout_s * 1000))
        self._idle.timeout.connect(self.logout)
        window.installEventFilter(self)
        window.login.submitted.connect(self._login)
        window.logout.clicked.connect(self.logout)
        window.devices.refresh_requested.connect(self.refresh_devices)
        window.camera.calibrate_requested.connect(self._calibrate_camera)
        window.camera.save_requested.connect(self._save_camera)
        window.thresholds.run_requested.connect(self._run_thresholds)
        window.thresholds.save_requested.connect(self._save_thresholds)
        self.progress.connect(window.thresholds.show_progress)  # queued: worker -> GUI thread
        window.show_login()

    # ------------------------------------------------------------------ jobs
    def _submit(self, job: Callable[[], Any], then: Callable[[Any], None]) -> None:
        job_id = self._runner.submit(lambda _cancelled: job(), step=False)
        self._handlers[job_id] = then

    @Slot(int, object)
    def _done(self, job_id: int, result: object) -> None:
        handler = self._handlers.pop(job_id, None)
        if handler is not None and self.principal is not None:
            handler(result)

    @Slot(int, object)
    def _failed(self, job_id: int, exc: object) -> None:
        self._handlers.pop(job_id, None)
        self._preview_pending = False
        code = exc.code if isinstance(exc, GerbangError) else "internal"
        self.error.emit(code)
        self.window.camera.show_error(code)
        self.window.thresholds.show_error(code)

    def stop(self) -> None:
        self._preview.stop()
        self._runner.stop()
        self.workbench.close()

    # ----------------------------------------------------------------- login
    @Slot(str, str)
    def _login(self, user_id: str, secret: str) -> None:
        try:
            principal = self.accounts.login(user_id, secret)
            principal.require(Permission.VIEW_DEVICES)  # the technician role
        except GerbangError as exc:
            code = ForbiddenError.code if isinstance(exc, ForbiddenError) else exc.code
            self.window.login.show_error(code)
            self.error.emit(code)
            return
        self.principal = principal
        self.window.login.reset()
        self._idle.start()
        self.window.show_workbench()
        self.window.camera.set_cameras(self.workbench.cameras())
        self.logged_in.emit(principal.user_id)
        self._submit(self._start_devices, self._show_devices)
        self._preview.start()

    def _start_devices(self) -> list[dict[str, Any]]:
        self.workbench.start()
        return self.workbench.device_rows()

    def logout(self) -> None:
        self.principal = None
        self._idle.stop()
        self._preview.stop()
        self.camera_result = None
        self.threshold_result = None
        self.window.show_login()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if self.principal is not None and event.type() in (
            QEvent.Type.KeyPress,
            QEvent.Type.MouseButtonPress,
        ):
            self._idle.start()
        return False

    # --------------------------------------------------------------- devices
    def refresh_devices(self) -> None:
        if self.principal is not None:
            self._submit(self.workbench.device_rows, self._show_devices)

    def _show_devices(self, rows: Any) -> None:
        self.window.devices.show_devices(rows)
        self.devices_shown.emit(len(rows))

    # ---------------------------------------------------------------- camera
    def _request_preview(self) -> None:
        camera = self.window.camera.cameras.currentText()
        visible = self.window.stack.currentWidget() is self.window.camera
        if not camera or not visible or self._preview_pending:
            return
        self._preview_pending = True
        self._submit(lambda: self.workbench.preview(camera), self._show_preview)

    def _show_preview(self, frame: Any) -> None:
        self._preview_pending = False
        if frame is not None:
            self.window.camera.show_frame(frame)

    @Slot(str)
    def _calibrate_camera(self, device_id: str) -> None:
        if self.principal is None or not device_id:
            return
        self.window.camera.show_busy()
        self._submit(lambda: self.workbench.calibrate_camera(device_id), self._show_camera)

    def _show_camera(self, result: Any) -> None:
        self.camera_result = result
        self.window.camera.show_result(result)
        self.camera_measured.emit(result)

    @Slot()
    def _save_camera(self) -> None:
        if self.principal is None or self.camera_result is None:
            return
        try:
            self.workbench.save_camera(
                self.camera_result["device_id"], self.camera_result, self.principal
            )
        except GerbangError as exc:
            self.window.camera.show_error(exc.code)
            self.error.emit(exc.code)
            return
        self.window.camera.show_saved()
        self.saved.emit("camera")

    # ------------------------------------------------------------ thresholds
    @Slot(str, str, float)
    def _run_thresholds(self, modality: str, folder: str, target_fmr: float) -> None:
        if self.principal is None or not folder:
            return
        self.window.thresholds.show_busy()
        self.threshold_result = None
        plot = self._plot_dir / f"gerbang-threshold-det-{modality}.png"
        job: Callable[[], Any]
        if modality == "fingerprint":
            folders = [Path(f.strip()) for f in folder.split(";") if f.strip()]
            job = partial(
                self.workbench.calibrate_finger_thresholds,
                folders,
                target_fmr,
                plot,
                self.progress.emit,
            )
        else:
            job = partial(self.workbench.calibrate_thresholds, Path(folder), target_fmr, plot)
        self._submit(job, self._show_thresholds)

    def _show_thresholds(self, result: Any) -> None:
        self.threshold_result = result
        plot = result.report.get("det_plot")
        self.window.thresholds.show_result(result.report, Path(plot) if plot else None)
        self.thresholds_measured.emit(result)

    @Slot()
    def _save_thresholds(self) -> None:
        if self.principal is None or self.threshold_result is None:
            return
        try:
            if isinstance(self.threshold_result, FingerCalibration):
                self.workbench.save_finger_thresholds(self.threshold_result, self.principal)
            else:
                self.workbench.save_thresholds(self.threshold_result, self.principal)
        except GerbangError as exc:
            self.window.thresholds.show_error(exc.code)
            self.error.emit(exc.code)
            return
        self.window.thresholds.show_saved()
        self.saved.emit("thresholds")

"""The technician's workbench: what the technician screens do, without Qt.

One object per technician session over the kiosk's devices, settings file and
audit log. The screens' controller calls these methods on a worker thread; each
returns JSON-ready data or a result object. Saving needs a principal holding
``Permission.CALIBRATE`` (checked again in :mod:`enrollment.technician.apply`).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from devices.base import Camera, Image, Retry
from devices.manager import STARTING, DeviceManager, snapshot
from models.audit import AuditLog
from models.errors import ConfigError
from models.operations import DeviceKind
from models.roles import Permission, Principal
from models.settings import CameraCalibration, Settings

from . import apply
from .camera import CalibrationParams, FaceMeasure, calibrate_camera
from .fingerthresholds import FingerCalibration, Progress, calibrate_folders, check_saveable
from .thresholds import ThresholdCalibration, calibrate_thresholds, load_folder

ThresholdRunner = Callable[[Path, float, Path | None], ThresholdCalibration]


def thresholds_in_child(folder: Path, target_fmr: float, plot: Path | None) -> ThresholdCalibration:
    """The threshold calibration of a child process (its own face models)."""
    from biometrics.face.models import load_models

    return calibrate_thresholds(
        load_folder(folder), load_models(), target_fmr=target_fmr, plot=plot
    )


@dataclass
class Workbench:
    settings: Settings
    settings_file: Path | None
    base_dir: Path
    audit: AuditLog
    face_measure: FaceMeasure | None = None
    models_loader: Callable[[], Any] | None = None  # biometrics.face.models.load_models
    # Run the threshold evaluation in a child process: dlib holds the GIL for most of an
    # embedding, so in this process it would freeze the screens (kiosk/runtime.py does
    # the same for the traveller's face step). The child loads its own models.
    isolate_evaluation: bool = False
    _manager: DeviceManager | None = field(default=None, init=False, repr=False)
    _stack: ExitStack = field(default_factory=ExitStack, init=False, repr=False)

    # ---------------------------------------------------------------- devices
    def start(self, wait_s: float = 10.0) -> None:
        """Open the devices (under the device manager's supervision)."""
        if self._manager is None:
            manager = DeviceManager.from_settings(self.settings, self.base_dir)
            self._manager = self._stack.enter_context(manager)
            manager.wait_for(lambda s: all(x.detail != STARTING for x in s), wait_s)

    def close(self) -> None:
        self._stack.close()
        self._manager = None

    @property
    def manager(self) -> DeviceManager:
        if self._manager is None:
            raise ConfigError("the workbench is not started")
        return self._manager

    def device_rows(self) -> list[dict[str, Any]]:
        """Each device with its health (no personal data: ids, states, drivers)."""
        m = self.manager
        return [snapshot(s, m.device(s.device_id)) for s in m.status()]

    def cameras(self) -> list[str]:
        return [
            c.id for c in self.settings.devices.device if c.enabled and c.kind is DeviceKind.CAMERA
        ]

    def preview(self, device_id: str, timeout_s: float = 1.0) -> Image | None:
        """One frame for the live preview (None on a retry such as a dark frame)."""
        with self.manager.use(device_id) as device:
            got = cast("Camera", device).read(timeout_s)
        return None if isinstance(got, Retry) else got.image

    def calibrate_camera(
        self, device_id: str, params: CalibrationParams | None = None
    ) -> dict[str, Any]:
        with self.manager.use(device_id) as device:
            return calibrate_camera(
                cast("Camera", device), params=params, face_measure=self.face_measure
            )

    # ------------------------------------------------------------ thresholds
    def calibrate_thresholds(
        self, folder: Path, target_fmr: float, plot: Path | None
    ) -> ThresholdCalibration:
        if self.models_loader is None:
            raise ConfigError("no face models loader: threshold calibration is unavailable")
        if self.isolate_evaluation:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                return pool.submit(thresholds_in_child, folder, target_fmr, plot).result()
        return calibrate_thresholds(
            load_folder(folder), self.models_loader(), target_fmr=target_fmr, plot=plot
        )

    def calibrate_finger_thresholds(
        self,
        folders: list[Path],
        target_fmr: float,
        plot: Path | None,
        progress: Progress | None = None,
    ) -> FingerCalibration:
        """The fingerprint points (one finger, two fused) on local folders of prints.

        Runs in this process (on the screens' worker thread): the extraction calls
        into mindtct one print at a time, short enough for the screens to stay live,
        and ``progress`` reports each print.
        """
        from biometrics.fingerprint.verify import policy_from_settings

        return calibrate_folders(
            folders,
            target_fmr=target_fmr,
            current=policy_from_settings(self.settings.calibration.fingerprint),
            plot=plot,
            progress=progress,
        )

    # ------------------------------------------------------------------ saving
    def _file(self) -> Path:
        if self.settings_file is None:
            raise ConfigError("no settings file in use: calibration is saved into it")
        return self.settings_file

    def save_camera(self, device_id: str, result: dict[str, Any], by: Principal) -> None:
        by.require(Permission.CALIBRATE)
        recommended = CameraCalibration(**result["recommended"])
        self.settings = apply.save_camera(
            self._file(), device_id, recommended, by=by, audit=self.audit
        )

    def save_thresholds(self, calibration: ThresholdCalibration, by: Principal) -> None:
        by.require(Permission.CALIBRATE)
        self.settings = apply.save_face_point(
            self._file(), calibration.point, by=by, audit=self.audit
        )

    def save_finger_thresholds(self, calibration: FingerCalibration, by: Principal) -> None:
        by.require(Permission.CALIBRATE)
        check_saveable(calibration)
        self.settings = apply.save_fingerprint_point(
            self._file(), calibration.point, by=by, audit=self.audit
        )

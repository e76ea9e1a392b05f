"""Render the technician screens in both languages to PNG (``gerbang screenshots``).

The camera screen shows a real measurement of a virtual camera (the drawn test
card through the simulated lens); the threshold screens (face and fingerprint)
show scores drawn from normal distributions, labelled as such: a picture of the
layout, not a result.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

from biometrics import evaluation
from devices.virtual import media
from devices.virtual.camera import VirtualCamera
from enrollment.technician.camera import CalibrationParams, calibrate_camera
from kiosk.technician.window import TechnicianWindow
from kiosk.ui.i18n import Translations
from models.settings import Language

DEVICES = [
    {
        "id": "camera-face",
        "kind": "camera",
        "backend": "opencv",
        "state": "ready",
        "detail": "V4L2",
        "driver": "V4L2",
    },
    {
        "id": "fingerprint",
        "kind": "fingerprint",
        "backend": "libfprint",
        "state": "ready",
        "detail": "",
        "driver": "uru4000",
    },
    {
        "id": "passport-chip",
        "kind": "card_reader",
        "backend": "pcsc",
        "state": "absent",
        "detail": "no_reader",
        "driver": "",
    },
    {
        "id": "gate",
        "kind": "gate",
        "backend": "serial-relay",
        "state": "ready",
        "detail": "",
        "driver": "ttyUSB0",
    },
]


def _camera_result(work: Path) -> tuple[dict[str, object], np.ndarray]:
    (work / "frames").mkdir()
    for k in range(3):
        cv2.imwrite(str(work / "frames" / f"f{k}.png"), media.card_frame(k, 480, 640))
    camera = VirtualCamera("camera-face", source=work / "frames", fps=200, lens_focus=40)
    with camera:
        result = calibrate_camera(camera, params=CalibrationParams(frames=3, frames_per_focus=1))
        frame = camera.read(1.0)
    return result, getattr(frame, "image", media.card_frame(0))


def _threshold_report(plot: Path) -> dict[str, object]:
    rng = np.random.default_rng(7)
    genuine, impostor = rng.normal(0.95, 0.02, 500), rng.normal(0.80, 0.05, 5000)
    evaluation.plot_det({"synthetic scores (screenshot)": (genuine, impostor)}, plot)
    accept = evaluation.threshold_at_fmr(impostor, 0.001)
    reject = evaluation.threshold_at_fmr(impostor, 0.01)

    def at(t: float) -> dict[str, float]:
        fmr, fnmr = evaluation.rates(genuine, impostor, t)
        return {"threshold": t, "fmr": fmr, "fnmr": fnmr}

    return {
        "genuine_pairs": 500,
        "impostor_pairs": 5000,
        "eer": evaluation.eer(genuine, impostor)[0],
        "accept": at(accept),
        "reject": at(reject),
        "resolution_limited": False,
    }


def _finger_report(plot: Path) -> dict[str, object]:
    rng = np.random.default_rng(11)
    one = rng.normal(0.09, 0.04, 1120).clip(0, 1), rng.normal(0.012, 0.005, 11520).clip(0, 1)
    two = rng.normal(0.18, 0.06, 560).clip(0, 2), rng.normal(0.024, 0.007, 2560).clip(0, 2)
    dual_one = rng.normal(0.1, 0.04, 1120).clip(0, 1), rng.normal(0.011, 0.004, 11520).clip(0, 1)
    dual_two = rng.normal(0.2, 0.06, 560).clip(0, 2), rng.normal(0.022, 0.006, 2560).clip(0, 2)
    evaluation.plot_det(
        {
            "synthetic scores (screenshot): one finger": one,
            "synthetic scores (screenshot): two fingers": two,
            "synthetic scores (screenshot): one finger, both sets": dual_one,
            "synthetic scores (screenshot): two fingers, both sets": dual_two,
        },
        plot,
    )

    def at(scores: tuple[np.ndarray, np.ndarray], fmr: float) -> dict[str, float]:
        t = evaluation.threshold_at_fmr(scores[1], fmr)
        rate, fnmr = evaluation.rates(scores[0], scores[1], t)
        return {"threshold": t, "fmr": rate, "fnmr": fnmr}

    return {
        "modality": "fingerprint",
        "images": 320,
        "failures_to_extract": 0,
        "genuine_pairs": one[0].size,
        "impostor_pairs": one[1].size,
        "eer": evaluation.eer(*one)[0],
        "accept": at(one, 0.001),
        "reject": at(one, 0.01),
        "resolution_limited": False,
        "fused": {
            "pairs": {"genuine": two[0].size, "impostor": two[1].size},
            "accept": at(two, 0.001),
            "reject": at(two, 0.01),
            "resolution_limited": False,
        },
        "dual": {
            "accept": at(dual_one, 0.001),
            "reject": at(dual_one, 0.01),
            "fused": {"accept": at(dual_two, 0.001), "reject": at(dual_two, 0.01)},
        },
    }


def render_technician(out_dir: Path, *, size: tuple[int, int] = (1280, 900)) -> list[Path]:
    app = QApplication.instance() or QApplication([])
    out_dir.mkdir(parents=True, exist_ok=True)
    window = TechnicianWindow()
    window.resize(*size)
    window.show()  # laid out as on screen (scroll bars, wrapped labels)
    translations = Translations()
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        result, frame = _camera_result(work)
        report = _threshold_report(work / "det.png")
        finger_report = _finger_report(work / "det-finger.png")
        for language in (Language.INDONESIAN, Language.ENGLISH):
            translations.install(language)
            window.retranslate()
            window.show_workbench()
            window.devices.show_devices(DEVICES)
            window.camera.set_cameras(["camera-face"])
            window.camera.show_frame(frame)
            window.camera.show_result(result)
            window.thresholds.folder.setText("/srv/gerbang/calibration-set")
            window.thresholds.show_result(report, work / "det.png")
            for name, view in (
                ("devices", window.devices),
                ("camera", window.camera),
                ("thresholds", window.thresholds),
            ):
                window.stack.setCurrentWidget(view)
                written.append(
                    _grab(app, window, out_dir / f"technician_{name}_{language.value}.png")
                )
            window.thresholds.modality.setCurrentIndex(1)  # fingerprint
            window.thresholds.folder.setText("/srv/gerbang/prints-sensor-1")
            window.thresholds.show_result(finger_report, work / "det-finger.png")
            written.append(
                _grab(
                    app, window, out_dir / f"technician_thresholds_fingerprint_{language.value}.png"
                )
            )
            window.thresholds.modality.setCurrentIndex(0)
    window.close()
    return written


def _grab(app: QCoreApplication, window: TechnicianWindow, path: Path) -> Path:
    app.processEvents()
    if not window.grab().save(str(path)):
        raise OSError(f"cannot write {path}")
    return path

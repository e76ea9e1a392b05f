"""Technician screens (offscreen Qt): login by role, device list, camera calibration, thresholds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from argon2 import PasswordHasher
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pytestqt.qtbot import QtBot

from devices.virtual import media
from enrollment.accounts import Accounts
from enrollment.technician import savefile
from enrollment.technician.thresholds import ThresholdCalibration
from enrollment.technician.workbench import Workbench
from kiosk.technician.controller import TechnicianController
from kiosk.technician.window import TechnicianWindow
from models.audit import AuditLog
from models.roles import Role
from models.settings import FaceOperatingPoint, load_settings
from models.store import Store

pytestmark = pytest.mark.integration

SETTINGS = """[kiosk]
mode = "development"
[[devices.device]]
id = "cam"
kind = "camera"
backend = "virtual-camera"
options = {{ source = "{frames}", fps = 100, lens_focus = 55 }}
[[devices.device]]
id = "gate"
kind = "gate"
backend = "log"
"""


def fake_thresholds(folder: Path, target_fmr: float, plot: Path | None) -> ThresholdCalibration:
    """A stand-in evaluation (the real one is tested in tests/unit/technician): fixed scores."""
    from biometrics import evaluation

    genuine = np.linspace(0.90, 0.99, 50)
    impostor = np.linspace(0.50, 0.93, 400)
    if plot is not None:
        evaluation.plot_det({"test": (genuine, impostor)}, plot)
    accept = evaluation.threshold_at_fmr(impostor, target_fmr)
    reject = evaluation.threshold_at_fmr(impostor, 0.01)
    report = {
        "genuine_pairs": 50,
        "impostor_pairs": 400,
        "eer": 0.05,
        "accept": {"threshold": accept, "fmr": 0.0, "fnmr": 0.3},
        "reject": {"threshold": reject, "fmr": 0.01, "fnmr": 0.1},
        "resolution_limited": True,
        "det_plot": str(plot) if plot else None,
    }
    point = FaceOperatingPoint(
        accept=accept, reject=reject, accept_fmr=0.0, reject_fmr=0.01, target_fmr=target_fmr
    )
    return ThresholdCalibration(report, point, genuine, impostor)


@pytest.fixture
def technician(
    qtbot: QtBot, store: Store, tmp_path: Path
) -> Iterator[tuple[TechnicianWindow, TechnicianController, Path]]:
    frames = tmp_path / "frames"
    frames.mkdir()
    for k in range(3):
        cv2.imwrite(str(frames / f"f{k}.png"), media.card_frame(k))
    path = tmp_path / "gerbang.toml"
    path.write_text(SETTINGS.format(frames=frames))
    settings, _ = load_settings(path, {})
    audit = AuditLog(store, Ed25519PrivateKey.generate())
    accounts = Accounts(
        store, audit, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
    admin = accounts.create("admin", "Admin", [Role.ADMIN], "admin-secret", by=None, bootstrap=True)
    accounts.create("tina", "Tina", [Role.TECHNICIAN], "135790", by=admin.principal())
    accounts.create("budi", "Budi", [Role.OFFICER], "246810", by=admin.principal())
    workbench = Workbench(settings, path, tmp_path, audit)
    workbench.calibrate_thresholds = fake_thresholds  # type: ignore[method-assign]
    window = TechnicianWindow()
    qtbot.addWidget(window)
    controller = TechnicianController(window, accounts, workbench, plot_dir=tmp_path)
    yield window, controller, path
    controller.stop()


def login(
    qtbot: QtBot, window: TechnicianWindow, controller: TechnicianController, user: str, pin: str
) -> None:
    window.login.user.setText(user)
    window.login.secret.setText(pin)
    window.login.login.click()


def test_an_officer_cannot_open_technician_mode(
    qtbot: QtBot, technician: tuple[TechnicianWindow, TechnicianController, Path]
) -> None:
    window, controller, _ = technician
    with qtbot.waitSignal(controller.error) as blocker:
        login(qtbot, window, controller, "budi", "246810")
    assert blocker.args == ["security.forbidden"]
    assert window.stack.currentWidget() is window.login and not window.nav.isVisibleTo(window)


def test_technician_sees_devices_calibrates_the_camera_and_saves(
    qtbot: QtBot, technician: tuple[TechnicianWindow, TechnicianController, Path], store: Store
) -> None:
    window, controller, path = technician
    with qtbot.waitSignal(controller.devices_shown, timeout=15000) as shown:
        login(qtbot, window, controller, "tina", "135790")
    assert shown.args == [2]
    table = window.devices.table
    assert {table.item(r, 0).text(): table.item(r, 3).text() for r in range(table.rowCount())} == {
        "cam": "ready",
        "gate": "ready",
    }
    window.to_camera.click()
    qtbot.waitUntil(lambda: not window.camera.preview.pixmap().isNull(), timeout=5000)
    with qtbot.waitSignal(controller.camera_measured, timeout=30000) as measured:
        window.camera.calibrate.click()
    result = measured.args[0]
    assert abs(result["focus"]["best_focus"] - 55) <= 5
    assert "Best focus" in window.camera.results.text()
    with qtbot.waitSignal(controller.saved):
        window.camera.save.click()
    assert savefile.current(path).camera["cam"].calibrated_by == "tina"
    assert any(r.action == "calibration.camera" and r.actor == "tina" for r in store.audit)


def test_threshold_calibration_shows_the_det_plot_and_becomes_the_operating_point(
    qtbot: QtBot, technician: tuple[TechnicianWindow, TechnicianController, Path], tmp_path: Path
) -> None:
    window, controller, path = technician
    with qtbot.waitSignal(controller.devices_shown, timeout=15000):
        login(qtbot, window, controller, "tina", "135790")
    window.to_thresholds.click()
    window.thresholds.folder.setText(str(tmp_path))
    with qtbot.waitSignal(controller.thresholds_measured, timeout=30000):
        window.thresholds.run.click()
    assert not window.thresholds.plot.pixmap().isNull()
    assert "Accept at" in window.thresholds.results.text()
    with qtbot.waitSignal(controller.saved):
        window.thresholds.save.click()
    face = load_settings(path, {})[0].calibration.face
    assert face is not None and face.calibrated_by == "tina" and face.target_fmr == 0.001


def test_screenshots_of_the_technician_screens(qtbot: QtBot, tmp_path: Path) -> None:
    from kiosk.technician.screenshots import render_technician

    written = render_technician(tmp_path)
    assert sorted(p.name for p in written) == sorted(
        f"technician_{screen}_{lang}.png"
        for screen in ("devices", "camera", "thresholds", "thresholds_fingerprint")
        for lang in ("id", "en")
    )
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5_000


def test_the_technician_window_command_starts_and_quits(tmp_path: Path) -> None:
    """`gerbang technician window` in its own process (its QApplication quits at the end)."""
    import os
    import subprocess
    import sys

    path = tmp_path / "gerbang.toml"
    path.write_text(
        f"""[kiosk]
mode = "development"
[paths]
data_dir = "{tmp_path / "data"}"
[logging]
to_file = false
"""
    )
    code = "import sys; from kiosk.cli import main; sys.exit(main())"
    args = [
        "--config",
        str(path),
        "technician",
        "window",
        "--no-face-models",
        "--exit-after",
        "0.5",
    ]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_fingerprint_thresholds_run_with_progress_and_become_the_operating_points(
    qtbot: QtBot,
    technician: tuple[TechnicianWindow, TechnicianController, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The page on fingerprint, through the real workbench and calibration; only evalfinger's
    scoring is replaced by fixed scores (the real one is tested on FVC2002 elsewhere)."""
    from biometrics.fingerprint import evalfinger

    rng = np.random.default_rng(5)
    one = rng.uniform(0.02, 0.2, 200), rng.uniform(0.0, 0.03, 2000)
    two = rng.uniform(0.04, 0.4, 100), rng.uniform(0.0, 0.05, 500)
    dual_one = rng.uniform(0.025, 0.2, 200), rng.uniform(0.0, 0.028, 2000)
    dual_two = rng.uniform(0.05, 0.4, 100), rng.uniform(0.0, 0.045, 500)

    def evaluate(dataset: object, **kwargs: object) -> tuple[dict[str, object], object]:
        progress = kwargs["progress"]
        assert callable(progress)
        for k in range(1, 5):
            progress("extract", k, 4)
        report = {
            "images": 4,
            "failures_to_extract": 0,
            "failure_reasons": {},
            "matchers": {evalfinger.OURS: {"eer": 0.05}, evalfinger.DUAL: {"eer": 0.03}},
        }
        return report, {
            evalfinger.OURS: one,
            evalfinger.FUSED_SUM: two,
            evalfinger.DUAL: dual_one,
            evalfinger.DUAL_FUSED_SUM: dual_two,
        }

    monkeypatch.setattr(evalfinger, "evaluate", evaluate)
    prints = tmp_path / "prints"
    for finger in ("a", "b"):
        (prints / finger).mkdir(parents=True)
        for k in range(2):
            cv2.imwrite(str(prints / finger / f"{k}.png"), np.zeros((8, 8), np.uint8))
    window, controller, path = technician
    with qtbot.waitSignal(controller.devices_shown, timeout=15000):
        login(qtbot, window, controller, "tina", "135790")
    window.to_thresholds.click()
    view = window.thresholds
    view.modality.setCurrentIndex(view.modality.findData("fingerprint"))
    assert "finger" in view.folder.placeholderText()
    view.folder.setText(str(prints))
    view.target.setCurrentIndex(view.target.findData(0.001))
    shown: list[str] = []
    controller.progress.connect(lambda *_: shown.append(view.message.text()))
    with qtbot.waitSignal(controller.thresholds_measured, timeout=30000) as measured:
        view.run.click()
    qtbot.waitUntil(lambda: len(shown) == 4, timeout=5000)
    assert "4 of 4" in shown[-1] and "prints: extract" in shown[-1]
    result = measured.args[0]
    text = view.results.text()
    assert "Two fingers: accept at" in text and "Prints: 4" in text
    assert f"{result.point.fused_accept:.6f}" in text  # the figures shown are the point's
    assert (
        f"Both minutiae sets (1:1 at the kiosk): accept at {result.point.dual_accept:.6f}" in text
    )
    assert not view.plot.pixmap().isNull() and view.save.isEnabled()
    with qtbot.waitSignal(controller.saved):
        view.save.click()
    saved = load_settings(path, {})[0].calibration
    assert saved.face is None and saved.fingerprint is not None
    assert saved.fingerprint.calibrated_by == "tina" and saved.fingerprint.target_fmr == 0.001
    assert (saved.fingerprint.accept, saved.fingerprint.fused_accept) == (
        result.point.accept,
        result.point.fused_accept,
    )
    assert saved.fingerprint.has_dual
    assert (saved.fingerprint.dual_accept, saved.fingerprint.dual_fused_accept) == (
        result.point.dual_accept,
        result.point.dual_fused_accept,
    )
    # switching back to the face clears the fingerprint result
    view.modality.setCurrentIndex(view.modality.findData("face"))
    assert view.results.text() == "" and not view.save.isEnabled()

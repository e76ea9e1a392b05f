"""``gerbang calibrate camera|fingerprint|thresholds`` end to end on virtual devices and local data."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import cv2
import pytest

from biometrics.face.verify import policy_from_settings
from devices.virtual import media
from enrollment.technician import savefile
from kiosk.cli import main
from kiosk.cli.exitcodes import ExitCode
from models.settings import load_settings
from tests.unit.technician.conftest import SECRET, open_audit


def config(tmp_path: Path, data_dir: Path) -> Path:
    frames, fingers = tmp_path / "frames", tmp_path / "fingers"
    frames.mkdir()
    fingers.mkdir()
    for k in range(3):
        cv2.imwrite(str(frames / f"f{k}.png"), media.card_frame(k))
    cv2.imwrite(str(fingers / "f0.png"), media.fingerprint(1))
    path = tmp_path / "gerbang.toml"
    path.write_text(
        f"""# the technician's kiosk
[kiosk]
mode = "development"
[paths]
data_dir = "{data_dir}"
[logging]
to_file = false
[[devices.device]]
id = "cam"
kind = "camera"
backend = "virtual-camera"
options = {{ source = "frames", fps = 200, lens_focus = 47 }}
[[devices.device]]
id = "fp"
kind = "fingerprint"
backend = "virtual-fingerprint"
options = {{ source = "fingers", capture_s = 0 }}
"""
    )
    return path


def run(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str,
    secret: str = "",
) -> tuple[int, dict[str, object]]:
    monkeypatch.setattr(getpass, "getpass", lambda _prompt="": secret)
    code = main(list(args))
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_camera_calibration_is_saved_by_a_technician_and_audited(
    tmp_path: Path,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = config(tmp_path, data_dir)
    args = ["--config", str(path), "calibrate", "camera", "--no-face", "--frames", "3", "--json"]
    code, result = run(monkeypatch, capsys, *args, "--save", "--as", "tech", secret=SECRET)
    assert code == 0, result
    focus = result["focus"]
    assert isinstance(focus, dict) and abs(focus["best_focus"] - 47) <= 5
    saved = savefile.current(path)
    assert saved.camera["cam"].focus == focus["best_focus"]
    assert saved.camera["cam"].calibrated_by == "tech"
    assert path.read_text().startswith("# the technician's kiosk")
    store, _ = open_audit(data_dir)
    try:
        actions = [(r.actor, r.action) for r in store.audit]
    finally:
        store.close()
    assert ("tech", "calibration.camera") in actions


def test_an_officer_may_not_save_a_calibration(
    tmp_path: Path,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = config(tmp_path, data_dir)
    args = ["--config", str(path), "calibrate", "camera", "--no-face", "--frames", "2", "--json"]
    code, result = run(monkeypatch, capsys, *args, "--save", "--as", "off", secret=SECRET)
    assert code == int(ExitCode.SECURITY), result
    assert savefile.current(path).camera == {}


def test_fingerprint_check(
    tmp_path: Path,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = config(tmp_path, data_dir)
    code, result = run(
        monkeypatch, capsys, "--config", str(path), "calibrate", "fingerprint", "--json"
    )
    assert code == 0, result
    assert result["outcome"] == "ok" and result["id"] == "fp"
    finger = result["finger"]  # the fingerprint pipeline's view of the capture
    assert set(finger) >= {"usable"} and (not finger["usable"] or finger["minutiae"] > 0)


@pytest.mark.dataset
@pytest.mark.slow
def test_threshold_calibration_on_a_local_folder_becomes_the_kiosk_operating_point(
    tmp_path: Path,
    data_dir: Path,
    gerbang_data: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # a local dataset folder: one sub-folder per person (links into the shared ORL set)
    orl = gerbang_data / "faces" / "att_orl_faces" / "images"
    local = tmp_path / "local-set"
    for person in ("orl_s1", "orl_s2", "orl_s3"):
        (local / person).mkdir(parents=True)
        for k in range(1, 6):
            (local / person / f"{k}.pgm").symlink_to(orl / person / f"{k}.pgm")
    path = config(tmp_path, data_dir)
    plot = tmp_path / "det.png"
    args = ["--config", str(path), "calibrate", "thresholds", str(local), "--plot", str(plot)]
    code, result = run(
        monkeypatch,
        capsys,
        *args,
        "--target-fmr",
        "0.01",
        "--save",
        "--as",
        "sup",
        "--json",
        secret=SECRET,
    )
    assert code == 0, result
    assert (result["genuine_pairs"], result["impostor_pairs"]) == (30, 75)
    accept, reject = result["accept"], result["reject"]
    assert isinstance(accept, dict) and isinstance(reject, dict)
    assert reject["threshold"] <= accept["threshold"]
    assert accept["fmr"] <= 0.01 and result["resolution_limited"] is True  # 75 < 1/0.01
    assert plot.stat().st_size > 10_000 and plot.read_bytes()[:4] == b"\x89PNG"
    settings, _ = load_settings(path, {})
    policy = policy_from_settings(settings.calibration.face)
    assert policy.accept == accept["threshold"] and policy.reject == reject["threshold"]
    assert settings.calibration.face is not None
    assert settings.calibration.face.calibrated_by == "sup"


@pytest.mark.dataset
@pytest.mark.slow
def test_the_window_evaluates_thresholds_in_a_child_process(
    tmp_path: Path, data_dir: Path, gerbang_data: Path
) -> None:
    from enrollment.technician.workbench import Workbench
    from models.settings import Settings

    orl = gerbang_data / "faces" / "att_orl_faces" / "images"
    local = tmp_path / "local-set"
    for person in ("orl_s4", "orl_s5"):
        (local / person).mkdir(parents=True)
        for k in range(1, 4):
            (local / person / f"{k}.pgm").symlink_to(orl / person / f"{k}.pgm")
    store, audit = open_audit(data_dir)
    try:
        bench = Workbench(
            Settings(), None, tmp_path, audit, models_loader=lambda: None, isolate_evaluation=True
        )
        result = bench.calibrate_thresholds(local, 0.01, tmp_path / "det.png")
    finally:
        store.close()
    assert (result.report["genuine_pairs"], result.report["impostor_pairs"]) == (6, 9)
    assert result.point.reject <= result.point.accept
    assert (tmp_path / "det.png").stat().st_size > 10_000


@pytest.mark.dataset
@pytest.mark.slow
def test_fingerprint_calibration_on_fvc2002_db1_becomes_the_kiosk_operating_point(
    tmp_path: Path,
    data_dir: Path,
    gerbang_data: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from biometrics.fingerprint.verify import policy_from_settings as finger_policy

    db1 = gerbang_data / "fingerprints" / "fvc2002" / "DB1_B"
    path = config(tmp_path, data_dir)
    plot = tmp_path / "det.png"
    args = ["--config", str(path), "calibrate", "thresholds", "--modality", "fingerprint"]
    code, result = run(
        monkeypatch,
        capsys,
        *args,
        "--dataset",
        str(db1),
        "--target-fmr",
        "0.001",
        "--plot",
        str(plot),
        "--save",
        "--as",
        "tech",
        "--json",
        secret=SECRET,
    )
    assert code == 0, result
    # all-pairs on 10 fingers x 8 impressions; chimeric people: 5 x C(8,2), C(5,2) x 8 x 8
    assert (result["genuine_pairs"], result["impostor_pairs"]) == (280, 2880)
    fused = result["fused"]
    assert isinstance(fused, dict) and fused["pairs"] == {"genuine": 140, "impostor": 640}
    accept, reject = result["accept"], result["reject"]
    assert isinstance(accept, dict) and isinstance(reject, dict)
    assert accept["fmr"] <= 0.001 and reject["fmr"] <= 0.01
    assert reject["threshold"] <= accept["threshold"] and accept["fnmr"] < 0.2
    assert fused["accept"]["fnmr"] <= accept["fnmr"]  # two fingers do better than one
    assert result["resolution_limited"] is False and fused["resolution_limited"] is True
    assert result["warnings"] == ["fused_resolution_limited"]  # 640 < 1 / 0.001
    assert plot.read_bytes()[:4] == b"\x89PNG"
    settings, _ = load_settings(path, {})
    policy = finger_policy(settings.calibration.fingerprint)
    assert policy.source == "calibrated"
    assert (policy.verification.accept, policy.fusion.sum_accept) == (
        accept["threshold"],
        fused["accept"]["threshold"],
    )
    assert result["saved"]["by"] == "tech"  # type: ignore[index]
    code, checked = run(monkeypatch, capsys, "config", "check", str(path), "--json")
    assert code == 0 and checked["valid"] is True
    # a missing folder is a settings error, as the face's
    code, failed = run(monkeypatch, capsys, *args, "--dataset", str(tmp_path / "none"), "--json")
    assert code == int(ExitCode.CONFIG) and "not found" in str(failed["error"])


@pytest.mark.parametrize(
    "extra",
    [
        ["--modality", "fingerprint", "--limit", "5", "--dataset", "."],
        ["--modality", "fingerprint"],  # no dataset
        ["--dataset", "a", "--dataset", "b"],  # the face takes one
        ["--ppi", "500", "--dataset", "a"],  # --ppi is the fingerprint's
    ],
)
def test_threshold_usage_errors(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    path = config(tmp_path, data_dir)
    code = main(["--config", str(path), "calibrate", "thresholds", *extra, "--json"])
    assert code == int(ExitCode.USAGE)
    assert "Error:" in capsys.readouterr().err

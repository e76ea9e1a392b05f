from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from devices.base import Image
from devices.virtual import media
from devices.virtual.camera import VirtualCamera
from enrollment.technician import imagestats
from enrollment.technician.camera import CalibrationParams, calibrate_camera
from models.settings import CameraCalibration

FAST = CalibrationParams(frames=4, sweep_points=6, fine_points=5, frames_per_focus=1)


def folder(tmp_path: Path, frames: list[Image]) -> Path:
    root = tmp_path / "frames"
    root.mkdir()
    for k, frame in enumerate(frames):
        cv2.imwrite(str(root / f"f{k:03d}.png"), frame)
    return root


def camera(source: Path, **options: object) -> VirtualCamera:
    return VirtualCamera("cam", source=source, fps=500, exposure_check=False, **options)  # type: ignore[arg-type]


@pytest.fixture
def cards(tmp_path: Path) -> Path:
    return folder(tmp_path, [media.card_frame(k) for k in range(4)])


@pytest.mark.parametrize("lens", [22.0, 62.0])
def test_the_focus_sweep_finds_the_simulated_lens_focus(cards: Path, lens: float) -> None:
    with camera(cards, lens_focus=lens) as cam:
        result = calibrate_camera(cam, params=FAST)
    focus = result["focus"]
    assert focus["supported"] is True
    assert abs(focus["best_focus"] - lens) <= 3.0  # fine step 5, peak interpolated between
    assert result["recommended"]["focus"] == focus["best_focus"]
    sharp = {p["focus"]: p["sharpness"] for p in focus["points"]}
    assert sharp[focus["best_measured"]] > 5 * sharp[0.0 if lens > 50 else 100.0]
    assert "out_of_focus" not in result["advice"]
    CameraCalibration(**result["recommended"])  # what --save writes validates as settings


def test_without_focus_control_there_is_no_sweep_and_a_blurred_camera_is_flagged(
    tmp_path: Path,
) -> None:
    blurred = [cv2.GaussianBlur(media.card_frame(k), (0, 0), 6) for k in range(3)]
    with camera(folder(tmp_path, blurred)) as cam:
        result = calibrate_camera(cam, params=FAST)
    assert result["focus"]["supported"] is False
    assert result["recommended"]["focus"] is None
    assert "out_of_focus" in result["advice"] and result["ok"] is False


def test_a_dark_frame_asks_for_more_exposure(tmp_path: Path) -> None:
    dark = [(media.card_frame(k) * 0.3).astype(np.uint8) for k in range(3)]
    with camera(folder(tmp_path, dark)) as cam:
        result = calibrate_camera(cam, params=FAST)
    assert result["exposure"]["mean"] < 60
    assert "increase_exposure" in result["advice"]
    assert result["recommended"]["exposure_scale"] > 2.0


def test_a_colour_cast_is_measured_by_grey_world_gains(tmp_path: Path) -> None:
    grey = np.full((240, 320, 3), 120, np.uint8)
    grey[:, :, 2] = 160  # too much red (BGR)
    with camera(folder(tmp_path, [grey, grey])) as cam:
        result = calibrate_camera(cam, params=FAST)
    b, g, r = result["white_balance"]["gains_bgr"]
    assert b == pytest.approx(1.0) and g == 1.0 and r == pytest.approx(0.75)
    assert result["white_balance"]["cast"] == "warm"
    assert "white_balance" in result["advice"]


def test_face_size_comes_from_the_face_measure(cards: Path) -> None:
    sizes = iter([60.0, None, 64.0, 62.0])
    with camera(cards) as cam:
        result = calibrate_camera(cam, params=FAST, face_measure=lambda _f: next(sizes))
    assert result["face"] == {
        "measured": True,
        "faces": 3,
        "inter_eye_px": 62.0,
        "target_px": [90.0, 250.0],
    }
    assert "face_too_small" in result["advice"]
    with camera(cards) as cam:
        assert calibrate_camera(cam, params=FAST)["face"]["measured"] is False


def test_exposure_statistics() -> None:
    image = np.zeros((100, 100), np.uint8)
    image[:, 50:] = 255
    e = imagestats.exposure(image)
    assert e.clipped_low == 0.5 and e.clipped_high == 0.5
    assert e.mean == pytest.approx(127.5)
    assert e.histogram[0] == 5000 and e.histogram[-1] == 5000
    assert imagestats.sharpness(np.full((50, 50), 80, np.uint8)) == 0.0


def test_the_saved_focus_is_applied_when_the_camera_is_built(cards: Path) -> None:
    from devices.factory import build_devices
    from models.settings import validate_settings

    def settings(options: dict[str, object], backend: str = "virtual-camera") -> object:
        return validate_settings(
            {
                "kiosk": {"mode": "development"},
                "devices": {
                    "device": [
                        {"id": "cam", "kind": "camera", "backend": backend, "options": options}
                    ]
                },
                "calibration": {"camera": {"cam": {"focus": 47.5}}},
            }
        )

    ((config, device),) = build_devices(settings({"source": str(cards), "lens_focus": 47}), cards)  # type: ignore[arg-type]
    assert config.options["focus"] == 47.5
    assert isinstance(device, VirtualCamera) and device._focus == 47.5
    # a focus written by hand in the options wins over the calibration
    ((config, _),) = build_devices(
        settings({"source": str(cards), "lens_focus": 47, "focus": 10}),
        cards,  # type: ignore[arg-type]
    )
    assert config.options["focus"] == 10
    ((config, _),) = build_devices(settings({"source": str(cards)}, "opencv"), cards)  # type: ignore[arg-type]
    assert (config.options["focus"], config.options["autofocus"]) == (47.5, False)


class LensCapture:
    """A fake cv2.VideoCapture with a focus motor: sharp at focus 100 (0-255)."""

    focus_calls: list[float] = []  # noqa: RUF012 - shared with the test

    def __init__(self, *args: object) -> None:
        self.focus = 0.0
        self.k = 0

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return True

    def read(self) -> tuple[bool, Image]:
        self.k += 1
        frame = media.card_frame(self.k)
        sigma = abs(self.focus - 100.0) * 0.05
        return True, frame if sigma < 0.05 else cv2.GaussianBlur(frame, (0, 0), sigma)

    def get(self, prop: int) -> float:
        return self.focus if prop == cv2.CAP_PROP_FOCUS else 0.0

    def set(self, prop: int, value: float) -> bool:
        if prop == cv2.CAP_PROP_FOCUS:
            self.focus = value
            self.focus_calls.append(value)
        return prop in (cv2.CAP_PROP_FOCUS, cv2.CAP_PROP_AUTOFOCUS)

    def getBackendName(self) -> str:  # noqa: N802 - OpenCV's name
        return "FAKE-V4L2"

    def release(self) -> None:
        pass


def test_the_opencv_camera_is_swept_through_its_running_capture(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from devices.backends import opencv_camera
    from devices.backends.opencv_camera import OpenCVCamera

    monkeypatch.setattr(opencv_camera.cv2, "VideoCapture", LensCapture)
    LensCapture.focus_calls = []
    with OpenCVCamera("cam", source="/dev/video9", pace=False, exposure_check=False) as cam:
        result = calibrate_camera(cam, params=FAST)
    focus = result["focus"]
    assert focus["supported"] is True and focus["range"] == [0.0, 255.0]
    assert abs(focus["best_focus"] - 100.0) <= 8.0  # fine step 25.5, peak interpolated
    assert LensCapture.focus_calls[-1] == focus["best_focus"]  # left set at the peak

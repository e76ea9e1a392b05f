"""The OpenCV camera's behaviour on a misbehaving driver (a fake VideoCapture)."""

from __future__ import annotations

import threading
import time
from typing import Any

import cv2
import numpy as np
import pytest

from devices.backends import opencv_camera
from devices.backends.opencv_camera import Controls, OpenCVCamera, SourceSpec
from devices.base import Capability, Frame, Retry, RetryReason
from devices.errors import SourceLostError
from models.errors import ConfigError, DeviceTimeoutError
from models.operations import DeviceState

GOOD = np.full((48, 64, 3), 120, np.uint8)


class FakeDriver:
    """What the fake captures read: a mode switched by the test."""

    def __init__(self) -> None:
        self.mode = "good"  # good | corrupt | fail | hang
        self.plugged = True
        self.opens = 0
        self.release = threading.Event()
        self.settable = {cv2.CAP_PROP_FRAME_WIDTH, cv2.CAP_PROP_FPS, cv2.CAP_PROP_FOCUS}


class FakeCapture:
    driver: FakeDriver

    def __init__(self, *args: Any) -> None:
        self.driver.opens += 1
        self._open = self.driver.plugged

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return self._open

    def read(self) -> tuple[bool, Any]:
        mode = self.driver.mode
        time.sleep(0.005)
        if mode == "good":
            return True, GOOD.copy()
        if mode == "corrupt":
            return True, np.empty((0, 0, 3), np.uint8)
        if mode == "hang":
            self.driver.release.wait(5)
            return True, GOOD.copy()
        return False, None

    def get(self, prop: int) -> float:
        return 0.0

    def set(self, prop: int, value: float) -> bool:
        return prop in self.driver.settable

    def getBackendName(self) -> str:  # noqa: N802
        return "FAKE"

    def release(self) -> None:
        self._open = False


@pytest.fixture
def driver(monkeypatch: pytest.MonkeyPatch) -> FakeDriver:
    fake = FakeDriver()
    FakeCapture.driver = fake
    monkeypatch.setattr(opencv_camera.cv2, "VideoCapture", FakeCapture)
    monkeypatch.setattr(opencv_camera.params, "CAMERA_STALL_S", 0.3)
    return fake


def test_frames_controls_and_capabilities(driver: FakeDriver) -> None:
    with OpenCVCamera(
        "cam", source="/dev/video7", controls=Controls(width=640, exposure=50)
    ) as cam:
        frame = cam.read(1.0)
        assert isinstance(frame, Frame) and frame.image.shape == GOOD.shape
        second = cam.read(1.0)
        assert isinstance(second, Frame) and second.index > frame.index
        assert second.timestamp > frame.timestamp
        assert cam.info.driver == "FAKE" and not cam.info.virtual
        caps = cam.capabilities
        assert Capability.RESOLUTION_CONTROL in caps and Capability.FOCUS_CONTROL in caps
        assert Capability.EXPOSURE_CONTROL not in caps  # the driver refused it
        assert cam.health().state is DeviceState.READY


def test_corrupt_frames_are_a_retry(driver: FakeDriver) -> None:
    with OpenCVCamera("cam", source=3) as cam:
        driver.mode = "corrupt"
        cam.read(1.0)  # may still be a good frame in flight
        assert cam.read(0.2) == Retry(RetryReason.NO_FRAME, "corrupt or empty frames")
        driver.mode = "good"
        assert isinstance(cam.read(1.0), Frame)


def test_a_hung_driver_costs_the_caller_only_its_timeout(driver: FakeDriver) -> None:
    with OpenCVCamera("cam", source=3) as cam:
        assert isinstance(cam.read(1.0), Frame)
        driver.mode = "hang"
        time.sleep(0.05)
        cam.read(1.0)  # the last frame grabbed before the driver hung
        started = time.monotonic()
        with pytest.raises(DeviceTimeoutError):
            cam.read(0.2)
        assert time.monotonic() - started < 0.5
        driver.mode = "good"
        driver.release.set()
        assert isinstance(cam.read(1.0), Frame)


def test_unplug_and_replug_reconnects_with_backoff(driver: FakeDriver) -> None:
    with OpenCVCamera("cam", source="/dev/video7") as cam:
        assert isinstance(cam.read(1.0), Frame)
        driver.mode, driver.plugged = "fail", False
        deadline = time.monotonic() + 3.0
        while cam.health().state is not DeviceState.ABSENT and time.monotonic() < deadline:
            time.sleep(0.02)
        assert cam.health().detail == "source_lost"
        with pytest.raises(SourceLostError):
            cam.read(0.2)
        opens = driver.opens
        time.sleep(0.6)
        assert 1 <= driver.opens - opens <= 4  # backoff, not a busy loop
        driver.mode, driver.plugged = "good", True
        assert isinstance(cam.read(3.0), Frame)
        assert cam.health().state is DeviceState.READY


def test_a_source_that_does_not_open(driver: FakeDriver) -> None:
    driver.plugged = False
    with pytest.raises(SourceLostError):
        OpenCVCamera("cam", source=0).open()


def test_source_specs() -> None:
    assert SourceSpec.parse(0).kind == "index"
    assert SourceSpec.parse("2").target == 2
    assert SourceSpec.parse("/dev/video0").kind == "v4l2"
    url = SourceSpec.parse("rtsp://admin:secret@10.0.0.5:554/stream1?token=x")
    assert url.kind == "url" and url.describe() == "rtsp://10.0.0.5:554/stream1"
    assert SourceSpec.parse("clip.avi").describe() == "file:clip.avi"
    with pytest.raises(ConfigError):
        SourceSpec.parse("ftp://host/x")
    with pytest.raises(ConfigError):
        OpenCVCamera("cam", source=0, api="directshow")


def test_a_capture_thread_left_behind_never_comes_back_to_life(
    driver: FakeDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(opencv_camera.params, "THREAD_JOIN_S", 0.05)
    camera = OpenCVCamera("cam", source="/dev/video7", exposure_check=False)
    camera.open()
    assert isinstance(camera.read(2.0), Frame)
    driver.mode = "hang"
    time.sleep(0.1)  # the capture thread is inside read()
    camera.close()  # does not wait long enough: the thread is left behind
    old = [t for t in threading.enumerate() if t.name == "camera-cam"]
    assert len(old) == 1
    driver.mode = "good"
    camera.open()
    try:
        driver.release.set()  # the old read() returns now
        old[0].join(2.0)
        assert not old[0].is_alive()  # it saw its own stop event and ended
        assert len([t for t in threading.enumerate() if t.name == "camera-cam"]) == 1
        assert isinstance(camera.read(2.0), Frame)
    finally:
        camera.close()


class Exploding(FakeCapture):
    def read(self) -> tuple[bool, Any]:
        raise cv2.error("driver bug")


def test_a_capture_thread_that_dies_reports_error(
    driver: FakeDriver, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(opencv_camera.cv2, "VideoCapture", Exploding)
    with OpenCVCamera("cam", source="/dev/video7", exposure_check=False) as camera:
        deadline = time.monotonic() + 2
        while camera.health().detail != "capture_failed" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert camera.health().state is DeviceState.ERROR
        assert camera.health().detail == "capture_failed"
    assert any(getattr(r, "code", "") == "capture_failed" for r in caplog.records)

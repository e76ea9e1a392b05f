"""The OpenCV backend against a real video file (FFmpeg decoding, pacing, loss and return)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from devices.backends.opencv_camera import OpenCVCamera
from devices.base import Frame
from devices.errors import SourceLostError
from devices.manager import DeviceManager
from models.operations import DeviceState
from models.settings import DeviceConfig

pytestmark = pytest.mark.integration


def test_frames_from_a_video_file(video: Path) -> None:
    with OpenCVCamera("cam", source=str(video), loop=True) as cam:
        assert cam.info.virtual  # a file is a replay
        assert cam.info.model == "file:clip.avi" and cam.info.driver
        frames = [cam.read(2.0) for _ in range(12)]  # the clip has 8 frames: it loops
        assert all(isinstance(f, Frame) for f in frames)
        indices = [f.index for f in frames if isinstance(f, Frame)]
        assert indices == sorted(set(indices))
        stamps = [f.timestamp for f in frames if isinstance(f, Frame)]
        span = stamps[-1] - stamps[0]
        assert span >= 11 / 10 * 0.8  # paced at the file's 10 fps, like a live camera
        assert frames[0].image.shape == (240, 320, 3)  # type: ignore[union-attr]
        health = cam.health()
        assert health.state is DeviceState.READY and 5 < health.figures["fps"] < 20


def test_the_end_of_a_file_without_loop(video: Path) -> None:
    with OpenCVCamera("cam", source=str(video), pace=False) as cam:
        with pytest.raises(SourceLostError, match="end of"):
            for _ in range(100):
                cam.read(2.0)
        assert cam.health().detail == "end_of_stream"


def test_source_deleted_mid_stream_then_restored(video: Path, tmp_path: Path) -> None:
    backup = tmp_path / "backup.avi"
    shutil.copy(video, backup)
    with OpenCVCamera("cam", source=str(video), loop=True, pace=False) as cam:
        assert isinstance(cam.read(2.0), Frame)
        video.unlink()  # "unplugged": the next loop finds no file
        with pytest.raises(SourceLostError):
            for _ in range(200):
                cam.read(1.0)
        assert cam.health().state is DeviceState.ABSENT
        shutil.copy(backup, video)  # plugged back: the capture thread reconnects
        assert isinstance(cam.read(5.0), Frame)
        assert cam.health().state is DeviceState.READY


def test_a_missing_file_does_not_open(tmp_path: Path) -> None:
    with pytest.raises(SourceLostError):
        OpenCVCamera("cam", source=str(tmp_path / "none.avi")).open()


def test_manager_recovers_a_camera_whose_file_came_back(video: Path, tmp_path: Path) -> None:
    backup = tmp_path / "backup.avi"
    shutil.copy(video, backup)
    camera = OpenCVCamera("cam", source=str(video), loop=True, pace=False)
    config = DeviceConfig(id="cam", kind="camera", backend="opencv")
    with DeviceManager(
        [(config, camera)], development=True, health_interval_s=0.05, reconnect_initial_s=0.05
    ) as manager:
        assert manager.wait_for(lambda s: s[0].state is DeviceState.READY, 5.0)
        video.unlink()
        assert manager.wait_for(lambda s: s[0].state is DeviceState.ABSENT, 5.0)
        time.sleep(0.2)
        shutil.copy(backup, video)
        assert manager.wait_for(lambda s: s[0].state is DeviceState.READY, 5.0)
        with manager.use("cam") as device:
            assert isinstance(device.read(2.0), Frame)  # type: ignore[attr-defined]

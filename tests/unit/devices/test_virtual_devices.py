from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from devices.base import Capability, FingerprintImage, Frame, Retry, RetryReason
from devices.errors import SourceLostError
from devices.virtual.camera import VirtualCamera
from devices.virtual.document import VirtualDocumentScanner
from devices.virtual.fingerprint import VirtualFingerprintScanner
from models.biometric import FingerPosition
from models.errors import DeviceError, DeviceTimeoutError, DeviceUnavailableError
from models.operations import DeviceState


def test_camera_cycles_through_a_folder(media_dir: Path) -> None:
    with VirtualCamera("cam", source=media_dir / "frames", fps=200) as cam:
        frames = [cam.read(1.0) for _ in range(4)]
        assert all(isinstance(f, Frame) for f in frames)
        assert [f.index for f in frames if isinstance(f, Frame)] == [1, 2, 3, 4]
        stamps = [f.timestamp for f in frames if isinstance(f, Frame)]
        assert stamps == sorted(stamps)
        assert cam.info.virtual and cam.info.backend == "virtual-camera"
        assert Capability.FRAME_RATE_CONTROL in cam.capabilities
        assert cam.health().state is DeviceState.READY
    assert cam.health().state is DeviceState.ABSENT  # closed


def test_camera_loops_a_video_file(media_dir: Path) -> None:
    with VirtualCamera("cam", source=media_dir / "clip.avi", fps=500) as cam:
        frames = [cam.read(1.0) for _ in range(30)]  # the clip has 12 frames
        assert all(isinstance(f, Frame) and f.image.shape == (240, 320, 3) for f in frames)


def test_camera_paces_frames_at_its_rate(media_dir: Path) -> None:
    with VirtualCamera("cam", source=media_dir / "frames", fps=20) as cam:
        cam.read(1.0)
        started = time.monotonic()
        for _ in range(3):
            cam.read(1.0)
        assert time.monotonic() - started >= 0.13
        with pytest.raises(DeviceTimeoutError):
            cam.read(0.001)  # the next frame is not due yet


def test_camera_corrupt_and_dark_frames_are_retries(media_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    (folder / "a.png").write_bytes(b"not a png")
    shutil.copy(media_dir / "dark" / "black.png", folder / "b.png")
    (folder / "c.png").write_bytes(b"")
    with VirtualCamera("cam", source=folder, fps=500) as cam:
        assert cam.read(1.0) == Retry(RetryReason.NO_FRAME, "corrupt frame")
        dark = cam.read(1.0)
        assert isinstance(dark, Retry) and dark.reason is RetryReason.TOO_DARK
        assert cam.read(1.0) == Retry(RetryReason.NO_FRAME, "corrupt frame")


def test_camera_source_vanishing_is_a_typed_error(media_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    shutil.copytree(media_dir / "frames", folder)
    with VirtualCamera("cam", source=folder, fps=500) as cam:
        assert isinstance(cam.read(1.0), Frame)
        shutil.rmtree(folder)
        assert cam.health().state is DeviceState.ABSENT
        with pytest.raises(SourceLostError) as info:
            cam.read(1.0)
        assert info.value.device_id == "cam" and info.value.code == "device.source_lost"
    with pytest.raises(SourceLostError):
        VirtualCamera("cam", source=folder).open()


def test_camera_script_plays_retries_errors_hangs_and_absence(media_dir: Path) -> None:
    script = ["retry:too_dark", "error:timeout", "delay:0.05", "sample", "hang", "absent:0.3"]
    with VirtualCamera("cam", source=media_dir / "frames", fps=500, script=script) as cam:
        assert cam.read(1.0) == Retry(RetryReason.TOO_DARK, "scripted")
        with pytest.raises(DeviceTimeoutError):
            cam.read(1.0)
        started = time.monotonic()
        assert isinstance(cam.read(1.0), Frame)
        assert time.monotonic() - started >= 0.05
        started = time.monotonic()
        with pytest.raises(DeviceTimeoutError):
            cam.read(0.2)  # hang: ends at the timeout, not before, not much after
        assert 0.19 <= time.monotonic() - started < 1.0
        with pytest.raises(DeviceUnavailableError):
            cam.read(1.0)
        assert cam.health().state is DeviceState.ABSENT
        time.sleep(0.35)
        assert cam.health().state is DeviceState.READY
        assert isinstance(cam.read(1.0), Retry)  # the script starts again


def test_a_long_delay_ends_at_the_timeout(media_dir: Path) -> None:
    with VirtualCamera("cam", source=media_dir / "frames", script=["delay:30", "sample"]) as cam:
        started = time.monotonic()
        with pytest.raises(DeviceTimeoutError):
            cam.read(0.1)
        assert time.monotonic() - started < 1.0


def test_closing_interrupts_a_call_in_progress(media_dir: Path) -> None:
    import threading

    cam = VirtualCamera("cam", source=media_dir / "frames", script=["hang"])
    cam.open()
    errors: list[BaseException] = []

    def call() -> None:
        try:
            cam.read(10.0)
        except DeviceError as exc:
            errors.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(0.1)
    cam.close()
    thread.join(2.0)
    assert not thread.is_alive()
    assert isinstance(errors[0], DeviceUnavailableError)


def test_fingerprint_scanner_script(media_dir: Path) -> None:
    script = ["sample", "retry:centre_finger", "finger_on", "delay:5", "sample", "error"]
    with VirtualFingerprintScanner(
        "fp", source=media_dir / "fingers", script=script, loop_script=False
    ) as fp:
        sample = fp.capture(FingerPosition.RIGHT_INDEX, timeout_s=1.0)
        assert isinstance(sample, FingerprintImage)
        assert sample.image.ndim == 2 and sample.ppi == 500
        assert sample.position is FingerPosition.RIGHT_INDEX
        assert fp.capture(timeout_s=1.0) == Retry(RetryReason.CENTRE_FINGER, "scripted")
        started = time.monotonic()
        assert fp.capture(timeout_s=0.2).reason is RetryReason.TIMEOUT  # type: ignore[union-attr]
        assert time.monotonic() - started < 1.0
        assert fp.finger_present()  # finger_on was played
        assert isinstance(fp.capture(timeout_s=1.0), FingerprintImage)
        assert not fp.finger_present()
        with pytest.raises(DeviceError):
            fp.capture(timeout_s=1.0)
        assert fp.health().figures["captures"] == 2


def test_document_scanner(media_dir: Path) -> None:
    with VirtualDocumentScanner(
        "doc", source=media_dir / "pages", script=["retry:no_document", "sample"]
    ) as doc:
        assert doc.scan(1.0) == Retry(RetryReason.NO_DOCUMENT, "scripted")
        page = doc.scan(1.0)
        assert not isinstance(page, Retry) and page.image.shape[:2] == (310, 440)

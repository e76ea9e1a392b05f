"""The libfprint backend against libfprint's own virtual_image driver, fed over its socket."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest

from devices.backends.libfprint import LibfprintScanner
from devices.base import Capability, FingerprintImage, Retry, RetryReason
from devices.errors import VirtualDeviceRefusedError
from devices.manager import DeviceManager
from devices.virtual import fprint_feeder as feed
from devices.virtual.fprint_virtual import VirtualImageScanner
from models.biometric import FingerPosition
from models.errors import DeviceError, DeviceTimeoutError, DeviceUnavailableError
from models.operations import DeviceState, DeviceStatus
from models.settings import DeviceConfig

pytestmark = pytest.mark.integration


@pytest.fixture
def socket_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "virtual-image.sock"
    monkeypatch.setenv("FP_VIRTUAL_IMAGE", str(path))
    return path


@pytest.fixture
def scanner(socket_path: Path) -> Iterator[tuple[LibfprintScanner, feed.VirtualImageFeeder]]:
    device = LibfprintScanner("fp", driver="virtual_image", allow_virtual=True)
    device.open()
    feeder = feed.VirtualImageFeeder(socket_path)
    feeder.connect()
    yield device, feeder
    feeder.close()
    device.close()


def capture_async(
    device: LibfprintScanner, timeout_s: float
) -> tuple[ThreadPoolExecutor, Future[FingerprintImage | Retry]]:
    pool = ThreadPoolExecutor(1)
    future = pool.submit(device.capture, FingerPosition.LEFT_THUMB, timeout_s)
    deadline = time.monotonic() + 5
    while not device.waiting_for_finger and time.monotonic() < deadline:
        time.sleep(0.01)
    assert device.waiting_for_finger
    return pool, future


def finger(media_dir: Path, index: int = 0) -> np.ndarray:  # type: ignore[type-arg]
    image = cv2.imread(str(media_dir / "fingers" / f"p{index}.png"), cv2.IMREAD_GRAYSCALE)
    assert image is not None
    return image


def test_image_capture_device_info_and_capabilities(
    scanner: tuple[LibfprintScanner, feed.VirtualImageFeeder], media_dir: Path
) -> None:
    device, feeder = scanner
    assert device.info.driver == "virtual_image" and device.info.virtual
    assert {Capability.IMAGE_CAPTURE, Capability.FINGER_DETECTION} <= device.capabilities
    image = finger(media_dir)
    pool, future = capture_async(device, 5.0)
    feeder.send_image(image)
    sample = future.result(5)
    pool.shutdown()
    assert isinstance(sample, FingerprintImage)
    assert np.array_equal(sample.image, image)  # libfprint hands the image through untouched
    assert sample.ppi == 500 and sample.position is FingerPosition.LEFT_THUMB
    assert device.health().state is DeviceState.READY


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (feed.RETRY_CENTER_FINGER, RetryReason.CENTRE_FINGER),
        (feed.RETRY_REMOVE_FINGER, RetryReason.REMOVE_FINGER),
        (feed.RETRY_TOO_SHORT, RetryReason.FINGER_MOVED),
        (feed.RETRY_GENERAL, RetryReason.POOR_SAMPLE),
    ],
)
def test_libfprint_retries_are_retry_results(
    scanner: tuple[LibfprintScanner, feed.VirtualImageFeeder], code: int, reason: RetryReason
) -> None:
    device, feeder = scanner
    pool, future = capture_async(device, 5.0)
    feeder.retry(code)
    assert future.result(5) == Retry(reason, "scanner")
    pool.shutdown()


def test_a_blank_image_is_a_retry_not_an_error(
    scanner: tuple[LibfprintScanner, feed.VirtualImageFeeder],
) -> None:
    device, feeder = scanner
    pool, future = capture_async(device, 5.0)
    feeder.send_image(np.full((200, 200), 255, np.uint8))  # no ridges: no minutiae
    result = future.result(5)
    pool.shutdown()
    assert isinstance(result, Retry) and result.reason is RetryReason.POOR_SAMPLE


def test_errors_timeouts_and_finger_status(
    scanner: tuple[LibfprintScanner, feed.VirtualImageFeeder],
) -> None:
    device, feeder = scanner
    pool, future = capture_async(device, 5.0)
    feeder.error(feed.ERROR_PROTO)
    with pytest.raises(DeviceError, match="capture"):
        future.result(5)
    # nobody puts a finger on: a retry, at the timeout
    started = time.monotonic()
    assert device.capture(timeout_s=0.5) == Retry(
        RetryReason.TIMEOUT, "no finger within the timeout"
    )
    assert 0.45 <= time.monotonic() - started < 2.0
    # a finger is on the sensor and the device never sends the image: an error
    feeder.automatic_finger(False)
    pool, future = capture_async(device, 0.6)
    feeder.finger(True)
    deadline = time.monotonic() + 2
    while not device.finger_present() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert device.finger_present()
    with pytest.raises(DeviceTimeoutError, match="no image"):
        future.result(5)
    pool.shutdown()
    assert device.health().state is DeviceState.READY  # cancelled cleanly, not stuck


def test_device_removed_then_reopened(socket_path: Path, media_dir: Path) -> None:
    device = LibfprintScanner("fp", driver="virtual_image", allow_virtual=True)
    with DeviceManager(
        [(DeviceConfig(id="fp", kind="fingerprint", backend="libfprint"), device)],
        development=True,
        health_interval_s=0.05,
        reconnect_initial_s=0.05,
    ) as manager:

        def ready(statuses: list[DeviceStatus]) -> bool:
            return statuses[0].state is DeviceState.READY

        assert manager.wait_for(ready, 5.0)
        feeder = feed.VirtualImageFeeder(socket_path)
        feeder.connect()
        pool, future = capture_async(device, 5.0)
        feeder.remove_device()
        with pytest.raises(DeviceUnavailableError, match="removed"):
            future.result(5)
        pool.shutdown()
        feeder.close()
        assert manager.wait_for(lambda s: s[0].state is DeviceState.ABSENT, 5.0)
        assert manager.wait_for(ready, 5.0)  # reopened: libfprint enumerates it again
        feeder = feed.VirtualImageFeeder(socket_path)
        feeder.connect()
        with manager.use("fp"):
            pool, future = capture_async(device, 5.0)
            feeder.send_image(finger(media_dir, 1))
            assert isinstance(future.result(5), FingerprintImage)
            pool.shutdown()
        feeder.close()


def test_production_refuses_libfprint_virtual_drivers(socket_path: Path) -> None:
    with pytest.raises(VirtualDeviceRefusedError):
        LibfprintScanner("fp", driver="virtual_image").open()
    with pytest.raises(DeviceUnavailableError):
        LibfprintScanner("fp", driver="no_such_driver", allow_virtual=True).open()


def test_scripted_virtual_image_scanner(media_dir: Path) -> None:
    script = [
        "sample",
        "retry:centre_finger",
        "error:device",
        "finger_on",
        "delay:0.1",
        "sample",
        "hang",
    ]
    with VirtualImageScanner(
        "fp", source=media_dir / "fingers", script=script, loop_script=False
    ) as fp:
        assert isinstance(fp.capture(timeout_s=5.0), FingerprintImage)
        assert fp.capture(timeout_s=5.0) == Retry(RetryReason.CENTRE_FINGER, "scanner")
        with pytest.raises(DeviceError):
            fp.capture(timeout_s=5.0)
        assert isinstance(fp.capture(timeout_s=5.0), FingerprintImage)
        started = time.monotonic()
        with pytest.raises(DeviceTimeoutError):
            fp.capture(timeout_s=0.5)  # hang: the finger is on, no image ever comes
        assert time.monotonic() - started < 3.0
        assert fp.health().state is DeviceState.READY


def test_scripted_absence_and_recovery_under_the_manager(media_dir: Path) -> None:
    fp = VirtualImageScanner("fp", source=media_dir / "fingers", script=["absent:0.3", "sample"])
    with DeviceManager(
        [(DeviceConfig(id="fp", kind="fingerprint", backend="libfprint-virtual-image"), fp)],
        development=True,
        health_interval_s=0.05,
        reconnect_initial_s=0.1,
    ) as manager:
        assert manager.wait_for(lambda s: s[0].state is DeviceState.READY, 5.0)
        with pytest.raises(DeviceUnavailableError), manager.use("fp"):
            fp.capture(timeout_s=3.0)
        assert manager.wait_for(lambda s: s[0].state is DeviceState.ABSENT, 3.0)
        assert manager.wait_for(lambda s: s[0].state is DeviceState.READY, 5.0)
        with manager.use("fp"):
            assert isinstance(fp.capture(timeout_s=5.0), FingerprintImage)

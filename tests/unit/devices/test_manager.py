from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from devices.backends.gates import LogGate
from devices.base import Health
from devices.lifecycle import DeviceBase, now
from devices.manager import DeviceManager, snapshot
from devices.virtual.camera import VirtualCamera
from models.errors import DeviceError, DeviceUnavailableError
from models.operations import DeviceKind, DeviceState, DeviceStatus
from models.settings import DeviceConfig


def cfg(device_id: str, kind: str = "gate", backend: str = "log") -> DeviceConfig:
    return DeviceConfig.model_validate({"id": device_id, "kind": kind, "backend": backend})


class Flaky(DeviceBase):
    """Absent for the first ``failures`` opens; hangs in open when ``hang_s``."""

    kind = DeviceKind.GATE
    backend = "flaky"

    def __init__(self, device_id: str, *, failures: int = 0, hang_s: float = 0.0) -> None:
        super().__init__(device_id)
        self.failures = failures
        self.hang_s = hang_s
        self.opens = 0
        self.healthy = True

    def _open(self) -> None:
        self.opens += 1
        if self.hang_s:
            time.sleep(self.hang_s)
        if self.opens <= self.failures:
            raise DeviceUnavailableError("not plugged in", device_id=self.device_id)

    def _close(self) -> None:
        return None

    def _health(self) -> Health:
        if self.healthy:
            return Health(DeviceState.READY, now(), "ok")
        return Health(DeviceState.ABSENT, now(), "unplugged")


class VirtualGate(Flaky):
    virtual = True


def states(manager: DeviceManager) -> dict[str, DeviceState]:
    return {s.device_id: s.state for s in manager.status()}


def all_ready(statuses: list[DeviceStatus]) -> bool:
    return all(s.state is DeviceState.READY for s in statuses)


def fast(devices: list[tuple[DeviceConfig, Any]], **kw: Any) -> DeviceManager:
    options = {"health_interval_s": 0.05, "reconnect_initial_s": 0.05, "reconnect_max_s": 0.2}
    options.update(kw)
    return DeviceManager(devices, development=True, **options)


def test_devices_come_up_and_report_changes() -> None:
    seen: list[tuple[str, DeviceState]] = []
    manager = fast([(cfg("gate"), LogGate("gate")), (cfg("flaky"), Flaky("flaky", failures=2))])
    manager.subscribe(lambda s: seen.append((s.device_id, s.state)))
    with manager:
        assert manager.wait_for(all_ready, 5.0)
        assert manager.device("flaky").opens == 3  # type: ignore[attr-defined]
    assert ("flaky", DeviceState.ABSENT) in seen
    assert ("flaky", DeviceState.READY) in seen
    assert seen.index(("flaky", DeviceState.ABSENT)) < seen.index(("flaky", DeviceState.READY))
    assert not manager.device("gate").is_open  # type: ignore[attr-defined]


def test_a_hanging_device_does_not_block_the_others() -> None:
    slow = Flaky("slow", hang_s=1.0)
    manager = fast([(cfg("slow"), slow), (cfg("gate"), LogGate("gate"))])
    started = time.monotonic()
    manager.start()
    try:
        assert manager.wait_for(lambda s: states(manager)["gate"] is DeviceState.READY, 1.0)
        assert time.monotonic() - started < 1.0
        assert states(manager)["slow"] is DeviceState.ABSENT  # still opening
        started = time.monotonic()
        manager.status()  # never waits for a device
        assert time.monotonic() - started < 0.05
    finally:
        manager.stop(join_s=2.0)


def test_an_unhealthy_device_is_reopened_and_recovers() -> None:
    device = Flaky("dev")
    with fast([(cfg("dev"), device)]) as manager:
        assert manager.wait_for(all_ready, 2.0)
        device.healthy = False
        assert manager.wait_for(lambda s: s[0].state is DeviceState.ABSENT, 2.0)
        assert manager.wait_for(lambda s: device.opens >= 2, 2.0)  # closed and opened again
        device.healthy = True
        assert manager.wait_for(all_ready, 2.0)
        assert manager.status()[0].detail == "ok"


def test_use_marks_busy_and_errors_trigger_a_check() -> None:
    device = Flaky("dev")
    with fast([(cfg("dev"), device)], health_interval_s=10.0) as manager:
        assert manager.wait_for(all_ready, 2.0)
        with manager.use("dev"):
            assert manager.status()[0].state is DeviceState.BUSY
        with pytest.raises(DeviceError), manager.use("dev"):
            raise DeviceError("broke", device_id="dev")
        # the error was published, then the immediate re-check found it healthy
        assert manager.wait_for(all_ready, 2.0)
        device.healthy = False
        manager.check_now()
        assert manager.wait_for(lambda s: s[0].state is DeviceState.ABSENT, 2.0)
        with pytest.raises(DeviceUnavailableError), manager.use("dev"):
            pass


def test_production_refuses_a_device_that_turns_out_virtual() -> None:
    manager = DeviceManager(
        [(cfg("v"), VirtualGate("v"))], development=False, health_interval_s=0.05
    )
    with manager:
        assert manager.wait_for(lambda s: s[0].state is DeviceState.ERROR, 2.0)
        assert manager.status()[0].detail == "virtual_refused"
        time.sleep(0.2)
        assert manager.device("v").opens == 1  # type: ignore[attr-defined] # no retry loop


def test_virtual_camera_absence_is_seen_and_recovers(media_dir: Path) -> None:
    camera = VirtualCamera(
        "cam", source=media_dir / "frames", fps=200, script=["absent:0.4", "sample"]
    )
    with fast([(cfg("cam", "camera", "virtual-camera"), camera)]) as manager:
        assert manager.wait_for(all_ready, 2.0)
        with pytest.raises(DeviceUnavailableError), manager.use("cam") as device:
            device.read(1.0)  # type: ignore[attr-defined]
        assert manager.wait_for(lambda s: s[0].state is DeviceState.ABSENT, 2.0)
        assert manager.wait_for(all_ready, 3.0)
        row = snapshot(manager.status()[0], manager.device("cam"))
        assert row["virtual"] and row["state"] == "ready" and row["kind"] == "camera"


def test_unknown_device_and_stop_without_start() -> None:
    manager = fast([(cfg("gate"), LogGate("gate"))])
    with pytest.raises(Exception, match="no device"):
        manager.device("nope")
    manager.stop()
    assert [d.device_id for d in manager.by_kind(DeviceKind.GATE)] == ["gate"]  # type: ignore[attr-defined]


def test_subscribers_are_isolated_from_supervision() -> None:
    release = threading.Event()
    manager = fast([(cfg("gate"), LogGate("gate")), (cfg("g2"), LogGate("g2"))])
    unsubscribe = manager.subscribe(lambda s: release.wait(1.0))  # a slow subscriber
    with manager:
        assert manager.wait_for(all_ready, 1.0)
        unsubscribe()
        release.set()


def test_a_raising_subscriber_does_not_silence_the_others(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []

    def broken(status: DeviceStatus) -> None:
        raise RuntimeError("subscriber bug")

    manager = fast([(cfg("gate"), LogGate("gate")), (cfg("flaky"), Flaky("flaky", failures=1))])
    manager.subscribe(broken)
    manager.subscribe(lambda s: seen.append(f"{s.device_id}:{s.state.value}"))
    with manager:
        assert manager.wait_for(all_ready, 2.0)
        assert manager.wait_for(lambda _: "flaky:ready" in seen, 2.0)
    assert "flaky:absent" in seen and "gate:ready" in seen  # every change after the first
    assert any(r.code == "subscriber_failed" for r in caplog.records)  # type: ignore[attr-defined]


class Buggy(Flaky):
    """health() raises a non-DeviceError (a driver bug) while ``buggy`` is set."""

    buggy = False

    def _health(self) -> Health:
        if self.buggy:
            raise AttributeError("driver bug")
        return super()._health()


def test_a_health_check_that_raises_a_bug_does_not_freeze_the_supervisor() -> None:
    device = Buggy("dev")
    with fast([(cfg("dev"), device)]) as manager:
        assert manager.wait_for(all_ready, 2.0)
        device.buggy = True
        assert manager.wait_for(
            lambda s: s[0].state is DeviceState.ERROR and s[0].detail == "health_failed", 2.0
        )
        assert manager.wait_for(lambda _: device.opens >= 2, 2.0)  # reopened, still supervised
        device.buggy = False
        assert manager.wait_for(all_ready, 2.0)


class OpensBuggy(Flaky):
    def _open(self) -> None:
        self.opens += 1
        if self.opens == 1:
            raise KeyError("driver bug in open")


def test_an_open_that_raises_a_bug_is_an_error_and_retried() -> None:
    device = OpensBuggy("dev")
    seen: list[str] = []
    manager = fast([(cfg("dev"), device)])
    manager.subscribe(lambda s: seen.append(s.detail))
    with manager:
        assert manager.wait_for(all_ready, 2.0)
    assert "open_failed" in seen and device.opens == 2


def test_a_supervisor_left_behind_never_comes_back_to_life() -> None:
    # The device hangs in open() longer than stop() waits; the manager starts again.
    # The first run's supervisor must end when open() returns: not supervise, not publish,
    # and not close the device the second run opened.
    device = Flaky("slow", hang_s=0.6)
    manager = fast([(cfg("slow"), device)], reconnect_initial_s=0.02)
    manager.start()
    time.sleep(0.1)  # inside the first open()
    manager.stop(join_s=0.05)  # gives up waiting: the supervisor is left behind
    device.hang_s = 0.0
    manager.start()
    try:
        assert manager.wait_for(all_ready, 3.0)
        time.sleep(0.8)  # the old open() has returned by now
        live = [t for t in threading.enumerate() if t.name == "devices-slow"]
        assert len(live) == 1, live  # only the second run's supervisor
        assert device.is_open and states(manager)["slow"] is DeviceState.READY
    finally:
        manager.stop()
    assert not device.is_open

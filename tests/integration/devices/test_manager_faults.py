"""The device manager over real backends: one device failing never holds up the others."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from devices.backends.gates import LogGate
from devices.backends.opencv_camera import OpenCVCamera
from devices.backends.pcsc import PcscCardReader
from devices.base import CardChannel
from devices.manager import DeviceManager
from devices.virtual.applets import EchoApplet
from devices.virtual.fprint_virtual import VirtualImageScanner
from devices.virtual.pcsc_harness import PcscHarness
from devices.virtual.vpcd import VpcdBridge
from models.operations import DeviceState, DeviceStatus
from models.settings import DeviceConfig

from .conftest import settle

pytestmark = pytest.mark.integration


def state_of(device_id: str, state: DeviceState):  # type: ignore[no-untyped-def]
    def check(statuses: list[DeviceStatus]) -> bool:
        return any(s.device_id == device_id and s.state is state for s in statuses)

    return check


def test_faults_stay_local_and_every_device_recovers(
    harness: PcscHarness, video: Path, media_dir: Path, tmp_path: Path
) -> None:
    backup = tmp_path / "backup.avi"
    shutil.copy(video, backup)
    bridge = VpcdBridge(EchoApplet(), port=harness.port)
    devices = [
        (
            DeviceConfig(id="cam", kind="camera", backend="opencv"),
            OpenCVCamera("cam", source=str(video), loop=True, pace=False),
        ),
        (
            DeviceConfig(id="reader", kind="card_reader", backend="pcsc"),
            PcscCardReader("reader", reader=harness.slot_name(0), allow_virtual_readers=True),
        ),
        (
            DeviceConfig(id="fp", kind="fingerprint", backend="libfprint-virtual-image"),
            VirtualImageScanner("fp", source=media_dir / "fingers"),
        ),
        (DeviceConfig(id="gate", kind="gate", backend="log"), LogGate("gate")),
    ]
    changes: list[tuple[str, DeviceState]] = []
    manager = DeviceManager(
        devices,
        development=True,
        health_interval_s=0.05,
        reconnect_initial_s=0.05,
        reconnect_max_s=0.5,
    )
    manager.subscribe(lambda s: changes.append((s.device_id, s.state)))
    try:
        with manager:
            assert manager.wait_for(lambda s: all(x.state is DeviceState.READY for x in s), 10.0)
            bridge.insert()
            # the camera loses its source and pcscd goes down at the same time
            video.unlink()
            harness.kill()
            assert manager.wait_for(state_of("cam", DeviceState.ABSENT), 5.0)
            assert manager.wait_for(state_of("reader", DeviceState.ABSENT), 5.0)
            # ... the others carry on
            assert {s.device_id: s.state for s in manager.status()}["gate"] is DeviceState.READY
            with manager.use("fp") as fp:
                assert not hasattr(fp.capture(timeout_s=5.0), "reason")  # type: ignore[attr-defined]
            with manager.use("gate") as gate:
                gate.open_gate(hold_s=0.05)  # type: ignore[attr-defined]
            # both come back
            shutil.copy(backup, video)
            harness.start()
            assert manager.wait_for(lambda s: all(x.state is DeviceState.READY for x in s), 10.0)
            with manager.use("reader") as reader:
                channel = reader.wait_for_card(5.0)  # type: ignore[attr-defined]
                assert isinstance(channel, CardChannel)
                assert channel.transmit(bytes.fromhex("80100000"))[-2:] == b"\x90\x00"
    finally:
        bridge.remove()
        settle(harness)
    assert ("cam", DeviceState.ABSENT) in changes and ("reader", DeviceState.ABSENT) in changes
    assert changes[-1][1] in (DeviceState.READY, DeviceState.BUSY)

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
import serial

from devices import imaging
from devices.backends import gates
from devices.backends.gates import LCUS_OFF, LCUS_ON, LogGate, SerialRelayGate
from devices.base import GateState, RetryReason
from models.errors import ConfigError, DeviceUnavailableError
from models.operations import DeviceState


def test_as_image_rejects_what_is_not_a_frame() -> None:
    assert imaging.as_image(None) is None
    assert imaging.as_image(np.zeros((0, 0, 3), np.uint8)) is None
    assert imaging.as_image(np.zeros((4, 4, 3), np.uint8)) is None  # too small
    assert imaging.as_image(np.zeros((20, 20, 3), np.float32)) is None
    assert imaging.as_image(np.zeros((20, 20, 2), np.uint8)) is None
    bgra = np.zeros((20, 20, 4), np.uint8)
    converted = imaging.as_image(bgra)
    assert converted is not None and converted.shape == (20, 20, 3)


def test_figures_and_exposure() -> None:
    flat = np.full((50, 50), 128, np.uint8)
    stripes = np.zeros((50, 50), np.uint8)
    stripes[:, ::2] = 255
    assert imaging.figures(flat)["sharpness"] == 0
    assert imaging.figures(stripes)["sharpness"] > 1000
    assert imaging.exposure_retry(flat) is None
    dark = imaging.exposure_retry(np.zeros((10, 10), np.uint8))
    bright = imaging.exposure_retry(np.full((10, 10, 3), 250, np.uint8))
    assert dark is not None and dark.reason is RetryReason.TOO_DARK
    assert bright is not None and bright.reason is RetryReason.TOO_BRIGHT


def test_log_gate_pulses_and_closes_by_itself() -> None:
    with LogGate("gate") as gate:
        assert gate.gate_state() is GateState.CLOSED
        gate.open_gate(hold_s=0.1)
        assert gate.gate_state() is GateState.OPEN
        time.sleep(0.3)
        assert gate.gate_state() is GateState.CLOSED
        gate.open_gate(hold_s=10)
        gate.close_gate()
        assert gate.gate_state() is GateState.CLOSED
        assert gate.health().figures["pulses"] == 2
        gate.open_gate(hold_s=10)
    assert gate.gate_state() is GateState.CLOSED  # closing the device closes the gate


def _read_all(fd: int, want: int, timeout_s: float = 2.0) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout_s
    while len(data) < want and time.monotonic() < deadline:
        try:
            data += os.read(fd, want - len(data))
        except BlockingIOError:
            time.sleep(0.01)
    return data


def test_serial_relay_writes_its_commands_to_the_port() -> None:
    master, slave = os.openpty()
    os.set_blocking(master, False)
    try:
        gate = SerialRelayGate("relay", port=os.ttyname(slave))
        with gate:
            assert _read_all(master, 4) == LCUS_OFF  # closed at start
            gate.open_gate(hold_s=0.1)
            assert _read_all(master, 4) == LCUS_ON
            assert _read_all(master, 4) == LCUS_OFF  # closed again after hold_s
            assert gate.health().state is DeviceState.READY
        assert gate.health().state is DeviceState.ABSENT
    finally:
        os.close(master)
        os.close(slave)


def test_serial_relay_errors(tmp_path: Path) -> None:
    with pytest.raises(DeviceUnavailableError):
        SerialRelayGate("relay", port=str(tmp_path / "ttyNONE")).open()
    with pytest.raises(ConfigError):
        SerialRelayGate("relay", port="/dev/null", control="gpio")


class _HeldTimer:
    """A Timer that never runs by itself: the test fires it when it wants."""

    made: ClassVar[list[_HeldTimer]] = []

    def __init__(self, interval: float, function: Any, args: tuple[Any, ...] = ()) -> None:
        self.function, self.args = function, args
        self.daemon, self.name = True, ""
        _HeldTimer.made.append(self)

    def start(self) -> None:
        return None

    def cancel(self) -> None:
        return None  # too late: it already fired and waits for the lock

    def fire(self) -> None:
        self.function(*self.args)


def test_a_stale_auto_close_does_not_close_the_next_travellers_gate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(gates.threading, "Timer", _HeldTimer)
    _HeldTimer.made.clear()
    with LogGate("gate") as gate:
        gate.open_gate(hold_s=1)  # traveller 1
        first = _HeldTimer.made[-1]
        gate.open_gate(hold_s=8)  # traveller 2, as traveller 1's timer fires
        first.fire()
        assert gate.gate_state() is GateState.OPEN  # traveller 2 still has an open gate
        _HeldTimer.made[-1].fire()
        assert gate.gate_state() is GateState.CLOSED  # its own timer closes it
        gate.open_gate(hold_s=1)
        gate.close_gate()
        gate.open_gate(hold_s=1)
        _HeldTimer.made[-2].fire()  # the timer of an open that close_gate ended
        assert gate.gate_state() is GateState.OPEN


class _DeadRelayPort:
    opened: ClassVar[list[_DeadRelayPort]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.is_open = True
        _DeadRelayPort.opened.append(self)

    def write(self, data: bytes) -> int:
        raise serial.SerialException("write timeout")

    def flush(self) -> None:
        return None

    def close(self) -> None:
        self.is_open = False


def test_a_relay_that_fails_at_open_does_not_leak_its_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(gates.serial, "Serial", _DeadRelayPort)
    _DeadRelayPort.opened.clear()
    gate = SerialRelayGate("relay", port="/dev/ttyFAKE")
    with pytest.raises(DeviceUnavailableError, match="failed"):
        gate.open()
    assert len(_DeadRelayPort.opened) == 1 and not _DeadRelayPort.opened[0].is_open
    assert not gate.is_open

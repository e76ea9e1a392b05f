"""Gate controllers: a relay on a serial port (pyserial) and a log-only gate.

Both close the gate by themselves ``hold_s`` after ``open_gate`` (a timer
owned by the gate object, cancelled by ``close_gate`` and ``close``). Each
command starts a new generation: a timer that fired while the gate was being
opened again (it waits for the lock) sees it is stale and leaves the gate that
the next traveller was given open. Neither has a sensor: ``gate_state`` is the
state last commanded.

The serial relay speaks either bytes (e.g. the common LCUS-type USB relays:
``A0 01 01 A2`` on, ``A0 01 00 A1`` off; set ``open_bytes``/``close_bytes`` for
other boards) or drives a modem line (``control = "dtr"`` or ``"rts"``) wired to
the relay coil.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import serial

from devices.base import GateState, Health
from devices.lifecycle import DeviceBase, now
from models.errors import ConfigError, DeviceUnavailableError
from models.operations import DeviceKind, DeviceState

log = logging.getLogger(__name__)

LCUS_ON = bytes.fromhex("A00101A2")
LCUS_OFF = bytes.fromhex("A00100A1")
CONTROLS = ("bytes", "dtr", "rts")


class _TimedGate(DeviceBase):
    kind = DeviceKind.GATE

    def __init__(self, device_id: str) -> None:
        super().__init__(device_id)
        self._state = GateState.UNKNOWN
        self._timer: threading.Timer | None = None
        self._gate_lock = threading.Lock()
        self._generation = 0  # bumped by every command: a timer of an older one does nothing
        self.pulses = 0

    def open_gate(self, hold_s: float = 8.0) -> None:
        with self._operation(), self._gate_lock:
            self._cancel_timer()
            self._drive(True)
            self._state = GateState.OPEN
            self.pulses += 1
            log.info("gate opened", extra={"device_id": self.device_id, "state": "open"})
            timer = threading.Timer(max(hold_s, 0.0), self._auto_close, args=(self._generation,))
            timer.daemon = True
            timer.name = f"gate-{self.device_id}"
            self._timer = timer
            timer.start()

    def close_gate(self) -> None:
        with self._operation(), self._gate_lock:
            self._cancel_timer()
            self._drive(False)
            self._state = GateState.CLOSED
            log.info("gate closed", extra={"device_id": self.device_id, "state": "closed"})

    def gate_state(self) -> GateState:
        return self._state

    def _auto_close(self, generation: int) -> None:
        with self._gate_lock:
            if generation != self._generation:
                return  # fired while a later command held the lock: that command decides
            self._timer = None
            if not self.is_open:
                return
            try:
                self._drive(False)
            except DeviceUnavailableError as exc:
                log.warning(
                    "gate did not close", extra={"device_id": self.device_id, "code": exc.code}
                )
                self._state = GateState.UNKNOWN
                return
            self._state = GateState.CLOSED
            log.info("gate closed", extra={"device_id": self.device_id, "state": "closed"})

    def _cancel_timer(self) -> None:
        """Cancel the pending auto-close, also one that fired and waits for the lock."""
        self._generation += 1
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _close(self) -> None:
        with self._gate_lock:
            self._cancel_timer()
            if self._state is GateState.OPEN:
                try:
                    self._drive(False)
                    self._state = GateState.CLOSED
                except DeviceUnavailableError:
                    self._state = GateState.UNKNOWN
        self._release()

    def _drive(self, open_: bool) -> None:
        raise NotImplementedError

    def _release(self) -> None:
        raise NotImplementedError


class LogGate(_TimedGate):
    """A gate that only logs: counters without a turnstile, and `devices test`."""

    backend = "log"

    def __init__(self, device_id: str) -> None:
        super().__init__(device_id)
        self._driver = "log"

    def _open(self) -> None:
        self._state = GateState.CLOSED

    def _drive(self, open_: bool) -> None:
        return None

    def _release(self) -> None:
        return None

    def _health(self) -> Health:
        return Health(DeviceState.READY, now(), "log", {"pulses": float(self.pulses)})


class SerialRelayGate(_TimedGate):
    backend = "serial-relay"

    def __init__(
        self,
        device_id: str,
        *,
        port: str,
        baudrate: int = 9600,
        control: str = "bytes",
        open_bytes: bytes = LCUS_ON,
        close_bytes: bytes = LCUS_OFF,
        invert: bool = False,
        write_timeout_s: float = 1.0,
    ) -> None:
        super().__init__(device_id)
        if control not in CONTROLS:
            raise ConfigError(f"control must be one of {', '.join(CONTROLS)}", key="control")
        self._port_name = port
        self._baudrate = baudrate
        self._control = control
        self._open_bytes = open_bytes
        self._close_bytes = close_bytes
        self._invert = invert
        self._write_timeout_s = write_timeout_s
        self._serial: Any = None
        self._driver = "pyserial"
        self._model = port

    def _open(self) -> None:
        try:
            self._serial = serial.Serial(
                self._port_name,
                self._baudrate,
                timeout=self._write_timeout_s,
                write_timeout=self._write_timeout_s,
            )
        except (serial.SerialException, ValueError) as exc:
            raise DeviceUnavailableError(
                f"relay port {self._port_name} does not open ({exc})", device_id=self.device_id
            ) from exc
        try:
            self._drive(False)
        except DeviceUnavailableError:
            self._release()  # the port opened but the relay does not answer: do not leak it
            raise
        self._state = GateState.CLOSED

    def _release(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            port.close()

    def _drive(self, open_: bool) -> None:
        port = self._serial
        if port is None:
            raise DeviceUnavailableError("relay port not open", device_id=self.device_id)
        level = open_ != self._invert
        try:
            if self._control == "dtr":
                port.dtr = level
            elif self._control == "rts":
                port.rts = level
            else:
                port.write(self._open_bytes if level else self._close_bytes)
                port.flush()
        except (serial.SerialException, OSError) as exc:
            raise DeviceUnavailableError(
                f"relay port {self._port_name} failed ({exc})", device_id=self.device_id
            ) from exc

    def _health(self) -> Health:
        port = self._serial
        if port is None or not port.is_open:
            return Health(DeviceState.ABSENT, now(), "port_closed")
        if self._port_name.startswith("/dev/") and not Path(self._port_name).exists():
            return Health(DeviceState.ABSENT, now(), "port_unplugged")
        return Health(DeviceState.READY, now(), "serial", {"pulses": float(self.pulses)})

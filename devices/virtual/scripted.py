"""Base of the scripted virtual devices: plays a :class:`Script` within a call's timeout."""

from __future__ import annotations

import threading
import time

from devices.base import Health
from devices.lifecycle import DeviceBase, now
from devices.virtual.script import TERMINAL, Script, Step, StepKind
from models.errors import DeviceTimeoutError, DeviceUnavailableError
from models.operations import DeviceState


class Deadline(Exception):  # noqa: N818 - control flow inside this module, never escapes
    """The call's timeout passed while a delay step was playing."""


class ScriptedDevice(DeviceBase):
    virtual = True

    def __init__(
        self, device_id: str, *, script: list[str] | tuple[str, ...] = (), loop_script: bool = True
    ) -> None:
        super().__init__(device_id)
        self._script = Script(script, loop=loop_script)
        self._absent_until = 0.0
        self._finger = False
        self._wake = threading.Event()

    # lifecycle: subclasses extend
    def _open(self) -> None:
        self._wake.clear()

    def _close(self) -> None:
        self._wake.set()

    def _health(self) -> Health:
        if time.monotonic() < self._absent_until:
            return Health(DeviceState.ABSENT, now(), "scripted_absent")
        return Health(DeviceState.READY, now(), "virtual")

    # script playing
    def _wait(self, seconds: float) -> None:
        if seconds > 0 and self._wake.wait(seconds):
            raise DeviceUnavailableError(
                f"device {self.device_id} was closed during a call", device_id=self.device_id
            )

    def _check_absent(self) -> None:
        if time.monotonic() < self._absent_until:
            raise DeviceUnavailableError(
                f"device {self.device_id} is absent (scripted)", device_id=self.device_id
            )

    def _next_terminal(self, deadline: float) -> Step:
        """Play steps up to the next terminal one; raise on error or absence.

        Raises :class:`Deadline` when a delay runs past ``deadline`` and
        ``DeviceTimeoutError`` for ``hang`` (after waiting until the deadline).
        """
        for _ in range(10_000):
            self._check_absent()
            step = self._script.next()
            if step.kind is StepKind.DELAY:
                remaining = deadline - time.monotonic()
                if step.seconds > remaining:
                    self._wait(max(remaining, 0.0))
                    raise Deadline
                self._wait(step.seconds)
            elif step.kind is StepKind.FINGER_ON:
                self._finger = True
            elif step.kind is StepKind.FINGER_OFF:
                self._finger = False
            elif step.kind is StepKind.ABSENT:
                self._absent_until = time.monotonic() + step.seconds
            elif step.kind is StepKind.ERROR:
                step.raise_error(self.device_id)
            elif step.kind is StepKind.HANG:
                self._wait(max(deadline - time.monotonic(), 0.0))
                raise DeviceTimeoutError(
                    f"device {self.device_id} did not answer (scripted hang)",
                    device_id=self.device_id,
                    timeout_s=None,
                )
            elif step.kind in TERMINAL:
                return step
        raise DeviceTimeoutError(  # a script of only non-terminal steps
            f"script of {self.device_id} has no terminal step", device_id=self.device_id
        )

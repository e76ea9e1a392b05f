"""Scripts of virtual devices: what the next blocking call does.

A script is a list of steps, written in the settings file as strings::

    script = ["sample", "retry:centre_finger", "delay:0.5", "sample", "error:timeout"]

Steps:

``sample``            deliver the next sample (image, frame, card)
``retry:<reason>``    return ``Retry(<reason>)`` (a :class:`devices.base.RetryReason` value)
``error[:<code>]``    raise a device error: ``device`` (default), ``unavailable``,
                      ``timeout``, ``card_removed``
``delay:<seconds>``   wait, then go on with the next step (bounded by the call's timeout)
``finger_on`` / ``finger_off``  set the finger-present flag, then go on
``hang``              the device never answers: the call ends at its timeout
``absent:<seconds>``  the device is unplugged for that long: calls raise
                      ``DeviceUnavailableError`` and health says ABSENT

Non-terminal steps (delay, finger_on/off, absent) are followed by the next step
within the same call. At the end the script starts again (``loop``) or
continues with ``sample`` forever.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum

from devices.base import RetryReason
from models.errors import (
    CardRemovedError,
    ConfigError,
    DeviceError,
    DeviceTimeoutError,
    DeviceUnavailableError,
)


class StepKind(StrEnum):
    SAMPLE = "sample"
    RETRY = "retry"
    ERROR = "error"
    DELAY = "delay"
    FINGER_ON = "finger_on"
    FINGER_OFF = "finger_off"
    HANG = "hang"
    ABSENT = "absent"


TERMINAL = frozenset({StepKind.SAMPLE, StepKind.RETRY, StepKind.ERROR, StepKind.HANG})

ERRORS: dict[str, type[DeviceError]] = {
    "device": DeviceError,
    "unavailable": DeviceUnavailableError,
    "timeout": DeviceTimeoutError,
    "card_removed": CardRemovedError,
}


@dataclass(frozen=True, slots=True)
class Step:
    kind: StepKind
    reason: RetryReason | None = None
    error: str = "device"
    seconds: float = 0.0

    def raise_error(self, device_id: str) -> None:
        cls = ERRORS[self.error]
        raise cls(f"scripted {self.error} error on {device_id}", device_id=device_id)


def parse_step(text: str) -> Step:
    name, _, arg = text.strip().partition(":")
    try:
        kind = StepKind(name)
    except ValueError as exc:
        raise ConfigError(f"unknown script step {text!r}", key="script") from exc
    if kind is StepKind.RETRY:
        try:
            return Step(kind, reason=RetryReason(arg))
        except ValueError as exc:
            choices = ", ".join(r.value for r in RetryReason)
            raise ConfigError(
                f"script step {text!r}: retry reason must be one of {choices}", key="script"
            ) from exc
    if kind is StepKind.ERROR:
        code = arg or "device"
        if code not in ERRORS:
            raise ConfigError(
                f"script step {text!r}: error must be one of {', '.join(ERRORS)}", key="script"
            )
        return Step(kind, error=code)
    if kind in (StepKind.DELAY, StepKind.ABSENT):
        try:
            seconds = float(arg)
        except ValueError as exc:
            raise ConfigError(f"script step {text!r}: needs seconds", key="script") from exc
        if not 0 <= seconds <= 3600:
            raise ConfigError(f"script step {text!r}: seconds out of range", key="script")
        return Step(kind, seconds=seconds)
    if arg:
        raise ConfigError(f"script step {text!r} takes no argument", key="script")
    return Step(kind)


class Script:
    """A thread-safe cursor over parsed steps."""

    def __init__(self, steps: list[str] | tuple[str, ...] = (), *, loop: bool = True) -> None:
        self._steps = tuple(parse_step(s) for s in steps)
        if self._steps and not any(step.kind in TERMINAL for step in self._steps):
            raise ConfigError(
                "a script needs at least one of sample, retry, error or hang", key="script"
            )
        self._loop = loop
        self._pos = 0
        self._lock = threading.Lock()

    @property
    def steps(self) -> tuple[Step, ...]:
        return self._steps

    def next(self) -> Step:
        with self._lock:
            if not self._steps:
                return Step(StepKind.SAMPLE)
            if self._pos >= len(self._steps):
                if not self._loop:
                    return Step(StepKind.SAMPLE)
                self._pos = 0
            step = self._steps[self._pos]
            self._pos += 1
            return step

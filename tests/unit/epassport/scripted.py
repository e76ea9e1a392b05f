"""Test-only card channels.

``ScriptedChannel`` replays a recorded exchange: it checks each command APDU against
the expected bytes and answers with the recorded response (like gmrtd's
MockTransceiver). ``LoopbackChannel`` calls a CardApplet's ``process`` in-process; it is
test code (the device layer ships the real loopback reader).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

from devices.base import CardApplet
from models.errors import DeviceTimeoutError


class ScriptedChannel:
    def __init__(self, script: Sequence[tuple[str, str]]) -> None:
        self._script = [(bytes.fromhex(c), bytes.fromhex(r)) for c, r in script]
        self.position = 0

    def transmit(self, apdu: bytes) -> bytes:
        assert self.position < len(self._script), f"unexpected extra APDU {apdu.hex()}"
        expected, response = self._script[self.position]
        assert apdu.hex().upper() == expected.hex().upper(), f"APDU {self.position} differs"
        self.position += 1
        return response

    @property
    def done(self) -> bool:
        return self.position == len(self._script)


class LoopbackChannel:
    """Calls ``applet.process``; counts APDUs; optional reader timeout after the fact."""

    def __init__(self, applet: CardApplet, *, timeout_s: float | None = None) -> None:
        self.applet = applet
        self.timeout_s = timeout_s
        self.apdus = 0
        self.log: list[tuple[bytes, bytes]] = []

    def transmit(self, apdu: bytes) -> bytes:
        self.apdus += 1
        start = time.monotonic()
        response = self.applet.process(apdu)
        if self.timeout_s is not None and time.monotonic() - start > self.timeout_s:
            raise DeviceTimeoutError("card did not answer in time", timeout_s=self.timeout_s)
        self.log.append((apdu, response))
        return response


def fixed_keys(*values: str) -> Callable[[int], int]:
    """A KeySource returning the given hex private keys in order."""
    it: Iterator[int] = iter(int(v, 16) for v in values)

    def source(bound: int) -> int:
        value = next(it)
        assert 0 < value < bound
        return value

    return source

"""An in-process CardChannel straight to a CardApplet, with traffic counters.

For ``gerbang doc read --virtual`` and ``gerbang bench chip`` until the device layer's
loopback reader and vpcd bridge are wired in (any CardChannel can replace it). The
counters make the benchmark's APDU figures.
"""

from __future__ import annotations

import time

from devices.base import CardApplet
from models.errors import DeviceTimeoutError


class DirectAppletChannel:
    def __init__(self, applet: CardApplet, *, timeout_s: float | None = None) -> None:
        self.applet = applet
        self.timeout_s = timeout_s
        self.apdus = 0
        self.bytes_sent = 0
        self.bytes_received = 0
        applet.reset()

    def transmit(self, apdu: bytes) -> bytes:
        self.apdus += 1
        self.bytes_sent += len(apdu)
        start = time.monotonic()
        response = self.applet.process(apdu)
        if self.timeout_s is not None and time.monotonic() - start > self.timeout_s:
            raise DeviceTimeoutError("the card did not answer in time", timeout_s=self.timeout_s)
        self.bytes_received += len(response)
        return response

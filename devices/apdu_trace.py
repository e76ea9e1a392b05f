"""The APDU traffic log: a level below DEBUG, off by default, loudly announced when on.

For fault-finding with a chip or a reader (DESIGN.md §8). ``GERBANG_APDU_TRACE=1`` in
the environment turns it on: every command APDU's header (CLA INS P1 P2) and size,
and every response's status word and size, go to the logger ``gerbang.apdu`` at
level :data:`APDU` (5, named ``APDU``). Never the data: command and response data
carry personal data (MRZ, photos) and key material (PACE and CA public keys,
cryptograms, MACs). The first read of a process with tracing on logs a WARNING
saying so, on the console as well as in the log file.

Nothing happens at import: the variable is read and the logger set up by
:func:`traced`, which the chip reader calls for each read.
"""

from __future__ import annotations

import logging
import os
import threading

from devices.base import CardChannel
from models.errors import GerbangError

APDU = 5  # below DEBUG (10)
ENV = "GERBANG_APDU_TRACE"
LOGGER = "gerbang.apdu"

log = logging.getLogger(LOGGER)
_lock = threading.Lock()
_announced = False


def enabled() -> bool:
    return os.environ.get(ENV, "").strip() == "1"


def _announce() -> None:
    global _announced  # once per process
    with _lock:
        logging.addLevelName(APDU, "APDU")
        if log.level == logging.NOTSET or log.level > APDU:
            log.setLevel(APDU)
        if _announced:
            return
        _announced = True
    log.warning(
        "APDU TRACE IS ON (%s=1): the header and status word of every chip command are "
        "logged at level APDU; turn it off when the fault is found",
        ENV,
    )


class TracingChannel:
    """Logs each exchange's header and status word (never data), then passes it on."""

    def __init__(self, inner: CardChannel) -> None:
        self.inner = inner

    def transmit(self, apdu: bytes) -> bytes:
        log.log(APDU, "C-APDU %s, %d bytes", apdu[:4].hex(" ").upper(), len(apdu))
        try:
            response = self.inner.transmit(apdu)
        except GerbangError as exc:
            log.log(APDU, "no R-APDU: %s", exc.code)
            raise
        sw = response[-2:].hex().upper() if len(response) >= 2 else "none"
        log.log(APDU, "R-APDU SW %s, %d data bytes", sw, max(len(response) - 2, 0))
        return response


def traced(channel: CardChannel) -> CardChannel:
    """``channel`` itself, or, with ``GERBANG_APDU_TRACE=1``, a tracing wrapper around it."""
    if not enabled():
        return channel
    _announce()
    return TracingChannel(channel)

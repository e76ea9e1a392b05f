"""In-process card reader: drives a :class:`devices.base.CardApplet` directly.

No PC/SC involved: for unit tests and for running the ePassport protocol against
a software chip without pcscd. The card can be inserted and removed from code
(``insert()``, ``remove()``), and the reader's ``wait_for_card`` follows a script.
"""

from __future__ import annotations

import threading
import time

from devices import t0
from devices.base import Capability, CardApplet, CardChannel, Health, Retry, RetryReason
from devices.lifecycle import now
from devices.virtual.script import StepKind
from devices.virtual.scripted import Deadline, ScriptedDevice
from devices.worker import Worker
from models.errors import CardRemovedError
from models.operations import DeviceKind, DeviceState


class LoopbackChannel:
    def __init__(self, reader: LoopbackCardReader, generation: int) -> None:
        self._reader = reader
        self._generation = generation

    def transmit(self, apdu: bytes) -> bytes:
        return t0.resolve(self._raw, apdu, self._reader.device_id)

    def _raw(self, apdu: bytes) -> bytes:
        return self._reader.raw_transmit(self._generation, apdu)


class LoopbackCardReader(ScriptedDevice):
    kind = DeviceKind.CARD_READER
    backend = "virtual-loopback"

    def __init__(
        self,
        device_id: str,
        *,
        applet: CardApplet,
        inserted: bool = True,
        transmit_timeout_s: float = 5.0,
        script: list[str] | tuple[str, ...] = (),
        loop_script: bool = True,
    ) -> None:
        super().__init__(device_id, script=script, loop_script=loop_script)
        self._applet = applet
        self._inserted = inserted
        self._generation = 0  # bumps at every insertion: old channels die with their card
        self._connected: int | None = None
        self._timeout_s = transmit_timeout_s
        self._cond = threading.Condition()
        self._worker = Worker(f"loopback-{device_id}", device_id)
        self._capabilities = frozenset({Capability.CARD_PRESENCE, Capability.EXTENDED_LENGTH})
        self._driver = "loopback"
        self._model = type(applet).__name__

    # card handling from code (tests, demo)
    def insert(self) -> None:
        with self._cond:
            self._inserted = True
            self._generation += 1
            self._cond.notify_all()

    def remove(self) -> None:
        with self._cond:
            self._inserted = False
            self._connected = None
            self._cond.notify_all()

    def _open(self) -> None:
        super()._open()
        self._worker.start()

    def _close(self) -> None:
        super()._close()
        self._worker.stop()
        with self._cond:
            self._connected = None
            self._cond.notify_all()

    def _health(self) -> Health:
        base = super()._health()
        if base.state is not DeviceState.READY:
            return base
        return Health(DeviceState.READY, now(), "virtual", {"card_present": float(self._inserted)})

    def card_present(self) -> bool:
        return self._inserted

    @property
    def atr(self) -> bytes | None:
        return self._applet.atr() if self._connected is not None else None

    def wait_for_card(self, timeout_s: float = 30.0) -> CardChannel | Retry:
        with self._operation():
            deadline = time.monotonic() + timeout_s
            try:
                step = self._next_terminal(deadline)
            except Deadline:
                return Retry(RetryReason.NO_CARD, "no card within the timeout")
            if step.kind is StepKind.RETRY and step.reason is not None:
                return Retry(step.reason, "scripted")
            with self._cond:
                if not self._cond.wait_for(
                    lambda: self._inserted or not self.is_open,
                    max(deadline - time.monotonic(), 0.0),
                ):
                    return Retry(RetryReason.NO_CARD, "no card within the timeout")
                self._require_open()
                generation = self._generation
            self._worker.call(self._applet.reset, self._timeout_s, "card reset")
            self._connected = generation
            return LoopbackChannel(self, generation)

    def wait_for_removal(self, timeout_s: float = 30.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not self._inserted, timeout_s)

    def raw_transmit(self, generation: int, apdu: bytes) -> bytes:
        self._require_open()
        if not self._inserted or generation != self._generation:
            raise CardRemovedError("the card left the reader", device_id=self.device_id)
        try:
            return self._worker.call(
                lambda: self._applet.process(apdu), self._timeout_s, "card command"
            )
        except CardRemovedError as exc:
            self.remove()
            raise CardRemovedError(
                "the card left the reader during a command", device_id=self.device_id
            ) from exc

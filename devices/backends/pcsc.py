"""Smart-card readers over PC/SC (pyscard on pcsc-lite). The only module that imports ``smartcard``.

``PcscCardReader`` owns two threads while open, both stopped by ``close()``:

* an **observer** with its own PC/SC context that waits in
  ``SCardGetStatusChange`` and keeps the reader's state (present, card
  inserted, ATR, service up) for ``card_present``, ``wait_for_card``,
  ``wait_for_removal``, ``health`` and subscribers; it re-establishes its
  context with backoff when pcscd goes away and comes back;
* an **IO worker** that makes every other PC/SC call (connect, transmit,
  disconnect) so that a call that does not return (a mute card, a stuck
  driver) ends for the caller at its timeout.

pyscard's own ``CardMonitor``/``ReaderMonitor`` are process-wide singletons
with their own threads; we do not use them. Each ``open()`` starts an observer
with a stop event of its own, so an observer that did not stop in time never
resumes for a later session; a subscriber that raises is logged and does not
stop the observer; an observer that dies of a bug reports ERROR
(``observer_failed``) through ``health``.

Errors are translated here, at the boundary: pcscd gone or restarted →
:class:`ReaderServiceError`; reader unplugged → :class:`ReaderNotFoundError`;
card pulled out (also mid-command) → ``CardRemovedError``; a card or driver
that does not answer in time → ``DeviceTimeoutError``. After pcscd restarts,
the next ``wait_for_card`` connects again with a fresh context.

Readers of virtual drivers (vsmartcard's "Virtual PCD") are ignored unless
``allow_virtual_readers`` is set (development mode): vpcd listens on the
network, and a card on it must never pass for a chip on the kiosk's reader.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from smartcard import scard

from devices import params, t0
from devices.base import Capability, CardChannel, Health, Retry, RetryReason
from devices.errors import CardProtocolError, ReaderNotFoundError, ReaderServiceError
from devices.lifecycle import Backoff, DeviceBase, now
from devices.worker import Worker
from models.errors import (
    CardRemovedError,
    ConfigError,
    DeviceError,
    DeviceTimeoutError,
    DeviceUnavailableError,
)
from models.operations import DeviceKind, DeviceState

log = logging.getLogger(__name__)

VIRTUAL_READER_MARKERS = ("virtual pcd", "vpcd")

SERVICE_ERRORS = frozenset(
    {
        scard.SCARD_E_NO_SERVICE,
        scard.SCARD_E_SERVICE_STOPPED,
        scard.SCARD_F_COMM_ERROR,
        scard.SCARD_E_INVALID_HANDLE,
    }
)
READER_ERRORS = frozenset(
    {
        scard.SCARD_E_UNKNOWN_READER,
        scard.SCARD_E_READER_UNAVAILABLE,
        scard.SCARD_E_NO_READERS_AVAILABLE,
    }
)
REMOVED_ERRORS = frozenset(
    {scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD, scard.SCARD_W_RESET_CARD}
)
MUTE_ERRORS = frozenset({scard.SCARD_W_UNRESPONSIVE_CARD, scard.SCARD_W_UNPOWERED_CARD})

PROTOCOLS = {
    "any": scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
    "t0": scard.SCARD_PROTOCOL_T0,
    "t1": scard.SCARD_PROTOCOL_T1,
}
SHARE_MODES = {"exclusive": scard.SCARD_SHARE_EXCLUSIVE, "shared": scard.SCARD_SHARE_SHARED}

# PC/SC part 10: features and TLV properties of the reader
CM_IOCTL_GET_FEATURE_REQUEST = 3400
FEATURE_GET_TLV_PROPERTIES = 0x12
PROPERTY_MAX_APDU_DATA_SIZE = 0x0A


@dataclass
class _ObserverRun:
    """One observer thread's own stop event and PC/SC context."""

    stop: threading.Event = field(default_factory=threading.Event)
    context: Any = None


class CardEvent(StrEnum):
    INSERTED = "inserted"
    REMOVED = "removed"


def _message(hr: int) -> str:
    text: str = scard.SCardGetErrorMessage(hr)
    return f"{text.strip()} (0x{hr & 0xFFFFFFFF:08X})"


def translate(hr: int, what: str, device_id: str | None = None) -> DeviceError:
    """The project error for a PC/SC return code (call ``raise translate(...) from None``)."""
    text = f"{what}: {_message(hr)}"
    if hr in SERVICE_ERRORS:
        return ReaderServiceError(f"PC/SC service unavailable; {text}", device_id=device_id)
    if hr in READER_ERRORS:
        return ReaderNotFoundError(text, device_id=device_id)
    if hr in REMOVED_ERRORS:
        return CardRemovedError(text, device_id=device_id)
    if hr in MUTE_ERRORS:
        return CardProtocolError(f"card does not answer; {text}", device_id=device_id)
    if hr == scard.SCARD_E_TIMEOUT:
        return DeviceTimeoutError(text, device_id=device_id)
    if hr == scard.SCARD_E_SHARING_VIOLATION:
        return DeviceUnavailableError(
            f"card in use by another program; {text}", device_id=device_id
        )
    return DeviceError(text, device_id=device_id)


def is_virtual_reader(name: str) -> bool:
    lowered = name.lower()
    return any(marker in lowered for marker in VIRTUAL_READER_MARKERS)


def _establish() -> Any:
    hr, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hr != scard.SCARD_S_SUCCESS:
        raise translate(hr, "establishing a PC/SC context")
    return context


def _release(context: Any) -> None:
    scard.SCardReleaseContext(context)  # fails harmlessly when pcscd is gone


def _readers(context: Any) -> list[str]:
    hr, names = scard.SCardListReaders(context, [])
    if hr in (scard.SCARD_E_NO_READERS_AVAILABLE, scard.SCARD_E_READER_UNAVAILABLE):
        return []
    if hr != scard.SCARD_S_SUCCESS:
        raise translate(hr, "listing readers")
    return list(names)


def list_readers() -> list[str]:
    """Names of the PC/SC readers present now (ReaderServiceError when pcscd is not running)."""
    context = _establish()
    try:
        return _readers(context)
    finally:
        _release(context)


def _tlv(data: bytes) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    i = 0
    while i + 2 <= len(data):
        tag, size = data[i], data[i + 1]
        out[tag] = data[i + 2 : i + 2 + size]
        i += 2 + size
    return out


def _max_apdu_data_size(card: Any) -> int | None:
    """PC/SC part 10 ``dwMaxAPDUDataSize`` of the reader, None when it does not say."""
    hr, features = scard.SCardControl(card, scard.SCARD_CTL_CODE(CM_IOCTL_GET_FEATURE_REQUEST), [])
    if hr != scard.SCARD_S_SUCCESS:
        return None
    code = _tlv(bytes(features)).get(FEATURE_GET_TLV_PROPERTIES)
    if code is None or len(code) != 4:
        return None
    hr, props = scard.SCardControl(card, int.from_bytes(code, "big"), [])
    if hr != scard.SCARD_S_SUCCESS:
        return None
    size = _tlv(bytes(props)).get(PROPERTY_MAX_APDU_DATA_SIZE)
    return int.from_bytes(size, "little") if size else None


def _attribute(card: Any, attribute: int) -> bytes:
    hr, value = scard.SCardGetAttrib(card, attribute)
    return bytes(value) if hr == scard.SCARD_S_SUCCESS else b""


class PcscChannel:
    """A connection to the card in a :class:`PcscCardReader` (dies with that card)."""

    def __init__(self, reader: PcscCardReader, generation: int) -> None:
        self._reader = reader
        self._generation = generation

    def transmit(self, apdu: bytes) -> bytes:
        return t0.resolve(self._raw, apdu, self._reader.device_id)

    def _raw(self, apdu: bytes) -> bytes:
        return self._reader._transmit(self._generation, apdu)


class PcscCardReader(DeviceBase):
    kind = DeviceKind.CARD_READER
    backend = "pcsc"

    def __init__(
        self,
        device_id: str,
        *,
        reader: str | None = None,
        protocol: str = "any",
        share: str = "exclusive",
        extended_length: bool | None = None,
        contactless: bool = False,
        transmit_timeout_s: float = 10.0,
        connect_timeout_s: float = 5.0,
        allow_virtual_readers: bool = False,
    ) -> None:
        super().__init__(device_id)
        if protocol not in PROTOCOLS:
            raise ConfigError(f"protocol must be one of {', '.join(PROTOCOLS)}", key="protocol")
        if share not in SHARE_MODES:
            raise ConfigError(f"share must be one of {', '.join(SHARE_MODES)}", key="share")
        self._want = reader
        self._protocols = PROTOCOLS[protocol]
        self._share = SHARE_MODES[share]
        self._extended_option = extended_length
        self._contactless = contactless
        self._transmit_timeout_s = transmit_timeout_s
        self._connect_timeout_s = connect_timeout_s
        self._allow_virtual = allow_virtual_readers
        self._driver = "pcsc-lite"
        # observer state, guarded by _cond
        self._cond = threading.Condition()
        self._service_ok = False
        self._reader_name: str | None = None
        self._refused: list[str] = []
        self._present = False
        self._observed = threading.Event()
        self._observer_run = _ObserverRun()  # a new one per open()
        self._observer_run.stop.set()
        self._observer_failed = False
        self._observer: threading.Thread | None = None
        self._subscribers: list[Callable[[CardEvent], None]] = []
        # IO state, used on the worker thread
        self._worker = Worker(f"pcsc-io-{device_id}", device_id)
        self._context: Any = None
        self._card: Any = None
        self._active_protocol = 0
        self._atr: bytes | None = None
        self._generation = 0
        self._ended: DeviceError | None = None  # why the last card session ended
        self._max_data: int | None = None
        self._set_capabilities()

    # ---------------------------------------------------------------- public
    @property
    def reader_name(self) -> str | None:
        return self._reader_name

    @property
    def atr(self) -> bytes | None:
        return self._atr if self._card is not None else None

    @property
    def active_protocol(self) -> str | None:
        if self._card is None:
            return None
        return {scard.SCARD_PROTOCOL_T0: "T=0", scard.SCARD_PROTOCOL_T1: "T=1"}.get(
            self._active_protocol, "raw"
        )

    def readers(self) -> list[str]:
        """All PC/SC readers present now, virtual ones included (for technicians)."""
        self._require_open()
        return self._worker.call(lambda: _readers(self._io_context()), 5.0, "list readers")

    def subscribe(self, callback: Callable[[CardEvent], None]) -> None:
        """Call ``callback`` (on the observer thread) at every card insertion and removal."""
        self._subscribers.append(callback)

    def card_present(self) -> bool:
        return self._present

    def wait_for_card(self, timeout_s: float = 30.0) -> CardChannel | Retry:
        with self._operation():
            deadline = time.monotonic() + timeout_s
            with self._cond:
                self._cond.wait_for(
                    lambda: self._present or not self._service_ok or self._reader_name is None,
                    timeout_s,
                )
                reader = self._available_reader()
                if not self._present:
                    return Retry(RetryReason.NO_CARD, "no card within the timeout")
            remaining = max(deadline - time.monotonic(), 0.0)
            generation = self._worker.call(
                lambda: self._connect(reader),
                min(self._connect_timeout_s, remaining) + 1.0,
                "connecting to the card",
            )
            return PcscChannel(self, generation)

    def wait_for_removal(self, timeout_s: float = 30.0) -> bool:
        self._require_open()
        with self._cond:
            return self._cond.wait_for(lambda: not self._present, timeout_s)

    # ---------------------------------------------------------------- lifecycle
    def _open(self) -> None:
        self._worker.start()
        try:
            self._worker.call(self._io_context, 5.0, "establishing a PC/SC context")
        except DeviceError as exc:
            self._worker.stop()
            raise type(exc)(exc.message, device_id=self.device_id) from exc
        self._observer_run = run = _ObserverRun()
        self._observer_failed = False
        self._observed.clear()
        self._observer = threading.Thread(
            target=self._observe, args=(run,), name=f"pcsc-observer-{self.device_id}", daemon=True
        )
        self._observer.start()
        self._observed.wait(2.0)

    def _close(self) -> None:
        run = self._observer_run
        with self._cond:
            run.stop.set()  # under the lock: nothing it saw is published after this
        context = run.context
        if context is not None:
            scard.SCardCancel(context)
        if self._observer is not None:
            self._observer.join(params.THREAD_JOIN_S)
            self._observer = None
        if not self._worker.stuck:
            try:
                self._worker.call(self._shutdown_io, 2.0, "closing the PC/SC connection")
            except DeviceTimeoutError:
                log.warning("PC/SC close timed out", extra={"device_id": self.device_id})
        self._worker.stop()
        with self._cond:
            self._present = False
            self._service_ok = False
            self._cond.notify_all()

    def _health(self) -> Health:
        figures = {"card_present": float(self._present)}
        if self._worker.stuck:
            return Health(DeviceState.ERROR, now(), "io_stuck", figures)
        if self._observer_failed:
            return Health(DeviceState.ERROR, now(), "observer_failed", figures)
        if not self._service_ok:
            return Health(DeviceState.ABSENT, now(), "pcsc_service", figures)
        if self._reader_name is None:
            detail = "virtual_reader_refused" if self._refused else "reader_absent"
            return Health(DeviceState.ABSENT, now(), detail, figures)
        return Health(DeviceState.READY, now(), self.active_protocol or "", figures)

    # ---------------------------------------------------------------- observer thread
    def _choose(self, names: list[str]) -> str | None:
        refused = []
        for name in names:
            if self._want is not None and self._want not in name:
                continue
            if is_virtual_reader(name) and not self._allow_virtual:
                refused.append(name)
                continue
            self._refused = []
            return name
        self._refused = refused
        return None

    def _set_observed(
        self, run: _ObserverRun, *, service: bool, reader: str | None, present: bool
    ) -> None:
        """Publish what observer ``run`` saw (nothing once that run was told to stop)."""
        events: list[CardEvent] = []
        with self._cond:
            if run.stop.is_set():
                return
            if present != self._present:
                events.append(CardEvent.INSERTED if present else CardEvent.REMOVED)
            if reader != self._reader_name:
                log.info(
                    "reader %s",
                    "found" if reader else "lost",
                    extra={"device_id": self.device_id, "state": "present" if reader else "absent"},
                )
            self._service_ok, self._reader_name, self._present = service, reader, present
            self._cond.notify_all()
        self._observed.set()
        for event in events:
            for callback in list(self._subscribers):
                try:
                    callback(event)
                except Exception:  # one subscriber's bug must not stop card observation
                    log.exception(
                        "card event subscriber failed",
                        extra={"device_id": self.device_id, "code": "subscriber_failed"},
                    )

    def _observe(self, run: _ObserverRun) -> None:
        try:
            self._observe_loop(run)
        except Exception:  # the observer ends, but never silently: health says ERROR
            log.exception(
                "card observer failed",
                extra={"device_id": self.device_id, "code": "observer_failed"},
            )
            if not run.stop.is_set():
                self._observer_failed = True
                self._set_observed(run, service=False, reader=None, present=False)
        finally:
            self._drop_observer_context(run, mark=False)

    def _observe_loop(self, run: _ObserverRun) -> None:
        backoff = Backoff(params.BACKOFF_INITIAL_S, params.BACKOFF_MAX_S)
        poll_s = params.PCSC_POLL_MS / 1000
        state = scard.SCARD_STATE_UNAWARE
        watched: str | None = None
        stop = run.stop
        while not stop.is_set():
            if run.context is None:
                hr, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
                if hr != scard.SCARD_S_SUCCESS:
                    self._set_observed(run, service=False, reader=None, present=False)
                    stop.wait(backoff.next_delay())
                    continue
                run.context = context
                watched = None  # a new context knows nothing: ask for the full state
            context = run.context
            try:
                reader = self._choose(_readers(context))
            except DeviceError:  # pcscd went away (or answers nonsense): start over, later
                self._drop_observer_context(run)
                stop.wait(backoff.next_delay())
                continue
            if reader is None:
                backoff.reset()
                self._set_observed(run, service=True, reader=None, present=False)
                stop.wait(poll_s)
                continue
            if reader != watched:
                watched, state = reader, scard.SCARD_STATE_UNAWARE
            hr, states = scard.SCardGetStatusChange(context, params.PCSC_POLL_MS, [(reader, state)])
            if hr in (scard.SCARD_E_TIMEOUT, scard.SCARD_E_CANCELLED):
                if not self._service_ok or self._reader_name != reader:
                    self._set_observed(run, service=True, reader=reader, present=self._present)
                continue
            if hr in SERVICE_ERRORS:
                self._drop_observer_context(run)
                stop.wait(backoff.next_delay())
                continue
            backoff.reset()
            event = int(states[0][1]) if hr == scard.SCARD_S_SUCCESS else 0
            if hr != scard.SCARD_S_SUCCESS or event & (
                scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE
            ):  # the reader went away between listing and waiting
                watched = None
                self._set_observed(run, service=True, reader=None, present=False)
                stop.wait(poll_s)
                continue
            state = event & ~scard.SCARD_STATE_CHANGED
            present = bool(event & scard.SCARD_STATE_PRESENT) and not (
                event & scard.SCARD_STATE_MUTE
            )
            self._set_observed(run, service=True, reader=reader, present=present)

    def _drop_observer_context(self, run: _ObserverRun, *, mark: bool = True) -> None:
        context, run.context = run.context, None
        if context is not None:
            _release(context)
        if mark:
            self._set_observed(run, service=False, reader=None, present=False)

    def _available_reader(self) -> str:
        """The observed reader's name, or the typed error saying why there is none."""
        self._require_open()
        if not self._service_ok:
            raise ReaderServiceError(
                "the PC/SC service (pcscd) is not running", device_id=self.device_id
            )
        if self._reader_name is None:
            if self._refused:
                raise ReaderNotFoundError(
                    f"only virtual readers match ({', '.join(self._refused)}); "
                    "they are refused outside development mode",
                    device_id=self.device_id,
                )
            raise ReaderNotFoundError(
                f"no reader matching {self._want or 'any'!r}", device_id=self.device_id
            )
        return self._reader_name

    # ---------------------------------------------------------------- IO worker thread
    def _io_context(self) -> Any:
        if self._context is None:
            try:
                self._context = _establish()
            except DeviceError as exc:
                raise type(exc)(exc.message, device_id=self.device_id) from exc
        return self._context

    def _drop_io_context(self) -> None:
        self._card = None
        if self._context is not None:
            _release(self._context)
            self._context = None

    def _shutdown_io(self) -> None:
        self._disconnect()
        self._drop_io_context()

    def _disconnect(self) -> None:
        card, self._card = self._card, None
        self._atr = None
        if card is not None:
            scard.SCardDisconnect(card, scard.SCARD_RESET_CARD)

    def _connect(self, reader: str) -> int:
        self._disconnect()
        for attempt in range(2):
            hr, card, protocol = scard.SCardConnect(
                self._io_context(), reader, self._share, self._protocols
            )
            if hr in SERVICE_ERRORS and attempt == 0:  # pcscd restarted since: new context
                self._drop_io_context()
                continue
            if hr != scard.SCARD_S_SUCCESS:
                raise translate(hr, f"connecting to the card in {reader}", self.device_id)
            break
        hr, _name, _state, _protocol, atr = scard.SCardStatus(card)
        if hr != scard.SCARD_S_SUCCESS:
            scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
            raise translate(hr, "reading the card status", self.device_id)
        self._card, self._active_protocol, self._atr = card, int(protocol), bytes(atr)
        self._generation += 1
        self._ended = None
        self._describe(card)
        return self._generation

    def _describe(self, card: Any) -> None:
        vendor = _attribute(card, scard.SCARD_ATTR_VENDOR_NAME).rstrip(b"\0")
        self._vendor = vendor.decode("ascii", "replace")
        version = _attribute(card, scard.SCARD_ATTR_VENDOR_IFD_VERSION)
        if len(version) == 4:
            value = int.from_bytes(version, "little")
            self._firmware = f"{value >> 24}.{(value >> 16) & 0xFF}.{value & 0xFFFF}"
        self._model = self._reader_name or ""
        self._max_data = _max_apdu_data_size(card)
        self._set_capabilities()

    def _set_capabilities(self) -> None:
        caps = {Capability.CARD_PRESENCE}
        extended = self._extended_option
        if extended is None:
            extended = self._max_data is not None and self._max_data > 255
        if extended:
            caps.add(Capability.EXTENDED_LENGTH)
        if self._contactless:
            caps.add(Capability.CONTACTLESS)
        self._capabilities = frozenset(caps)

    def _transmit(self, generation: int, apdu: bytes) -> bytes:
        self._require_open()
        if generation != self._generation or self._card is None:
            ended = self._ended or CardRemovedError("the card left the reader")
            raise type(ended)(
                f"this card session has ended ({ended.message}); wait for the card again",
                device_id=self.device_id,
            )
        card, protocol = self._card, self._active_protocol
        try:
            hr, response = self._worker.call(
                lambda: scard.SCardTransmit(card, protocol, list(apdu)),
                self._transmit_timeout_s,
                "card command",
            )
        except DeviceTimeoutError as exc:
            raise self._end_session(exc) from None
        if hr != scard.SCARD_S_SUCCESS:
            error = translate(hr, "card command", self.device_id)
            if hr == scard.SCARD_E_NOT_TRANSACTED and self._gone_within(
                params.PCSC_REMOVAL_CHECK_S
            ):
                error = CardRemovedError(
                    "the card left the reader during a command", device_id=self.device_id
                )
            if isinstance(error, CardRemovedError | ReaderServiceError | ReaderNotFoundError):
                raise self._end_session(error)
            raise error
        data = bytes(response)
        if len(data) < 2:
            if self._gone_within(params.PCSC_REMOVAL_CHECK_S):
                raise self._end_session(
                    CardRemovedError(
                        "the card left the reader during a command", device_id=self.device_id
                    )
                )
            raise self._end_session(
                CardProtocolError("response without status word", device_id=self.device_id)
            )
        return data

    def _end_session(self, error: DeviceError) -> DeviceError:
        """Make the current card session unusable (its channels raise ``error``'s type)."""
        self._generation += 1
        self._ended = error
        return error

    def _gone_within(self, seconds: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not self._present, seconds)

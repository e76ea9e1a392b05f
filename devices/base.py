"""Device interfaces (DESIGN.md §3).

Every device kind is a small :class:`typing.Protocol` with a context-managed
lifecycle (``open``/``close`` or ``with``), a set of capability flags, a health
report, and a timeout on every blocking call.

Two kinds of "did not work" are kept apart:

* a **retry** is a *result*: the user must act (place the finger, come closer,
  more light). Blocking calls return :class:`Retry` with a reason code that the
  UI maps to a traveller prompt;
* an **error** is an *exception* from :mod:`models.errors` (``DeviceError`` and
  its subclasses): the device failed; the UI alerts staff.

Backends translate their library's exceptions (OpenCV, libfprint, pyscard) into
that tree at the boundary with ``raise ... from exc``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

import numpy as np
import numpy.typing as npt

from models.biometric import FingerPosition
from models.operations import DeviceKind, DeviceState


class Capability(StrEnum):
    # cameras
    AUTOFOCUS = "autofocus"
    FOCUS_CONTROL = "focus_control"
    EXPOSURE_CONTROL = "exposure_control"
    WHITE_BALANCE_CONTROL = "white_balance_control"
    RESOLUTION_CONTROL = "resolution_control"
    FRAME_RATE_CONTROL = "frame_rate_control"
    # fingerprint scanners
    FINGER_DETECTION = "finger_detection"
    IMAGE_CAPTURE = "image_capture"
    SLAP_CAPTURE = "slap_capture"
    # card readers
    EXTENDED_LENGTH = "extended_length"
    CARD_PRESENCE = "card_presence"
    CONTACTLESS = "contactless"
    # gates
    GATE_STATE_SENSOR = "gate_state_sensor"


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    device_id: str  # from settings, stable across restarts
    kind: DeviceKind
    backend: str  # module name of the backend, e.g. "opencv", "virtual-folder", "pcsc"
    vendor: str = ""
    model: str = ""
    firmware: str = ""
    driver: str = ""
    virtual: bool = False  # production start-up refuses virtual devices


@dataclass(frozen=True, slots=True)
class Health:
    state: DeviceState
    checked_at: datetime
    detail: str = ""  # machine-readable code or driver text; never personal data
    figures: dict[str, float] = field(default_factory=dict)  # e.g. {"fps": 29.8, "brightness": 121}


class RetryReason(StrEnum):
    NO_FINGER = "no_finger"
    FINGER_MOVED = "finger_moved"
    FINGER_TOO_DRY = "finger_too_dry"
    FINGER_TOO_WET = "finger_too_wet"
    CENTRE_FINGER = "centre_finger"
    NO_CARD = "no_card"
    NO_DOCUMENT = "no_document"
    TOO_DARK = "too_dark"
    TOO_BRIGHT = "too_bright"
    NO_FRAME = "no_frame"  # camera produced nothing usable this time (corrupt or empty frame)
    TIMEOUT = "timeout"  # the user did not act in time
    REMOVE_FINGER = "remove_finger"  # lift the finger and place it again
    POOR_SAMPLE = "poor_sample"  # the sample was unusable (e.g. no minutiae): try again


@dataclass(frozen=True, slots=True)
class Retry:
    """A user-correctable outcome of a blocking call."""

    reason: RetryReason
    detail: str = ""


Image = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class Frame:
    image: Image  # H x W x 3, BGR (OpenCV order)
    timestamp: float  # time.monotonic() when the frame was taken
    index: int  # running frame counter of the device


@dataclass(frozen=True, slots=True)
class FingerprintImage:
    image: Image  # H x W, 8-bit grey, ridges dark
    ppi: int
    position: FingerPosition
    timestamp: float


@dataclass(frozen=True, slots=True)
class DocumentImage:
    image: Image  # H x W x 3 BGR or H x W grey, the data page
    timestamp: float
    ppi: int | None = None


class GateState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    UNKNOWN = "unknown"


class Device(Protocol):
    """What every device has."""

    @property
    def info(self) -> DeviceInfo: ...

    @property
    def capabilities(self) -> frozenset[Capability]: ...

    def open(self) -> None: ...

    def close(self) -> None: ...

    def health(self) -> Health: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


@runtime_checkable
class CardChannel(Protocol):
    """A connection to one card. The only IO method is :meth:`transmit`.

    ``transmit`` takes a command APDU and returns the response APDU *including*
    the status word (SW1 SW2). It raises ``CardRemovedError`` when the card left
    the field and ``DeviceTimeoutError`` when the card does not answer in time.
    Secure messaging is itself a CardChannel wrapping another one.
    """

    def transmit(self, apdu: bytes) -> bytes: ...


class CardApplet(Protocol):
    """A card implemented in software: the virtual ePassport, test cards.

    Virtual readers drive an applet: the in-process loopback reader (unit tests)
    and the vpcd bridge (a real pcscd + pyscard stack, integration tests and the
    demo). ``process`` takes a command APDU and returns the response with its
    status word. An applet simulates the card being pulled out by raising
    ``models.errors.CardRemovedError`` from ``process``, and a slow card by
    sleeping in it.
    """

    def atr(self) -> bytes: ...

    def reset(self) -> None:
        """Power cycle: drop all session state (secure messaging keys, selected file)."""
        ...

    def process(self, apdu: bytes) -> bytes: ...


class Camera(Device, Protocol):
    def read(self, timeout_s: float = 1.0) -> Frame | Retry: ...


@runtime_checkable
class FocusControl(Protocol):
    """A camera whose focus can be set while it runs (``Capability.FOCUS_CONTROL``)."""

    def focus_range(self) -> tuple[float, float]:
        """The lowest and highest focus value the driver accepts (driver units)."""
        ...

    def set_focus(self, value: float) -> None:
        """Set manual focus; frames read after this call are taken at ``value``."""
        ...


class FingerprintScanner(Device, Protocol):
    def capture(
        self, position: FingerPosition = FingerPosition.UNKNOWN, timeout_s: float = 15.0
    ) -> FingerprintImage | Retry:
        """Wait for a finger and return its image.

        Retry(TIMEOUT) when nobody placed a finger in time; DeviceTimeoutError when
        the device itself did not answer (e.g. a finger is on it but no image came).
        """
        ...

    def finger_present(self) -> bool:
        """A finger is on the sensor now (False when unknown: see FINGER_DETECTION)."""
        ...


class CardReader(Device, Protocol):
    def wait_for_card(self, timeout_s: float = 30.0) -> CardChannel | Retry:
        """Block until a card is present and connected, or return Retry(NO_CARD)."""
        ...

    def card_present(self) -> bool: ...

    def wait_for_removal(self, timeout_s: float = 30.0) -> bool:
        """Block until the card has left the reader; False when it is still there at the timeout."""
        ...

    @property
    def atr(self) -> bytes | None:
        """ATR (or ATS-derived ATR) of the connected card, None when none is connected."""
        ...


class DocumentScanner(Device, Protocol):
    def scan(self, timeout_s: float = 10.0) -> DocumentImage | Retry: ...


class GateController(Device, Protocol):
    def open_gate(self, hold_s: float = 8.0) -> None:
        """Open the gate; it closes by itself after ``hold_s`` unless the controller says otherwise."""
        ...

    def close_gate(self) -> None: ...

    def gate_state(self) -> GateState: ...

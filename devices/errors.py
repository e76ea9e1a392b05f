"""Finer device errors: leaves of :mod:`models.errors`' ``DeviceError`` branch.

Each keeps its parent's meaning (the UI alerts staff) and adds a stable code that
says what to check.
"""

from __future__ import annotations

from models.errors import ConfigError, DeviceError, DeviceUnavailableError


class ReaderServiceError(DeviceUnavailableError):
    """The PC/SC service (pcscd) is not running, or restarted under an open connection."""

    code = "device.pcsc_service"


class ReaderNotFoundError(DeviceUnavailableError):
    """No smart-card reader matches the configured name (unplugged, or never there)."""

    code = "device.reader_absent"


class CardProtocolError(DeviceError):
    """The reader or card answered outside ISO/IEC 7816 (e.g. a response without status word)."""

    code = "device.card_protocol"


class SourceLostError(DeviceUnavailableError):
    """A camera or scanner source vanished (unplugged, stream ended, file deleted)."""

    code = "device.source_lost"


class VirtualDeviceRefusedError(ConfigError):
    """A virtual backend is configured while the kiosk runs in production mode.

    Silently falling back to a virtual device would let recorded or synthetic data
    pass as a live capture, so start-up stops instead.
    """

    code = "config.virtual_device_refused"


__all__ = [
    "CardProtocolError",
    "ReaderNotFoundError",
    "ReaderServiceError",
    "SourceLostError",
    "VirtualDeviceRefusedError",
]

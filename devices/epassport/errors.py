"""Typed errors of the ePassport chip protocols (all under :class:`models.errors.DocumentError`).

Tree (leaves of :mod:`models.errors`)::

    DocumentError
    ├── CardStatusError            (devices.apdu) an unexpected status word; ``sw``
    ├── AccessControlError         BAC/PACE refused: wrong MRZ/CAN or a chip that failed
    │                              the mutual authentication; ``protocol``, ``reason``, ``sw``
    ├── SecureMessagingError       a protected response could not be verified or opened;
    │   │                          ``reason``; the session is closed afterwards
    │   └── SecureMessagingMacError    the MAC of a response is wrong (noise, attack, clone)
    ├── UnsupportedProtocolError   the chip offers only protocols or algorithms we do not
    │                              implement; ``what`` names it (an OID or a curve)
    └── MalformedDataError
        └── FileTooLargeError      a file announces a length above our limit; ``file``, ``size``

A card that leaves the field raises :class:`models.errors.CardRemovedError` (a
``DeviceError``), a card that does not answer in time ``DeviceTimeoutError``, and a
read whose caller's deadline passed or that the caller cancelled
:class:`ReadStoppedError` (a ``DeviceTimeoutError``, never retried).
"""

from __future__ import annotations

from models.errors import DeviceTimeoutError, DocumentError, MalformedDataError


class AccessControlError(DocumentError):
    """Basic Access Control or PACE failed. ``reason`` is a stable code:

    ``refused`` (the chip refused the password: most often a misread MRZ or a wrong CAN),
    ``token_mismatch`` (the chip's authentication token/cryptogram is wrong),
    ``invalid_key`` (the chip sent an invalid public key), ``protocol`` (unexpected answer).
    """

    code = "document.access_control"

    def __init__(self, message: str, *, protocol: str, reason: str, sw: int | None = None) -> None:
        super().__init__(message)
        self.protocol = protocol
        self.reason = reason
        self.sw = sw


class SecureMessagingError(DocumentError):
    """A secure-messaging response failed verification or could not be opened.

    ``reason``: ``mac`` (wrong MAC), ``missing_objects`` (no DO99/DO8E), ``padding``,
    ``malformed``, ``unprotected`` (the chip answered 9000 without protection),
    ``chip_rejected`` (the chip reported 6987/6988: it dropped the session),
    ``ssc_exhausted`` (send sequence counter overflow), ``closed`` (session already failed).
    """

    code = "document.secure_messaging"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class SecureMessagingMacError(SecureMessagingError):
    code = "document.secure_messaging.mac"

    def __init__(
        self, message: str = "secure messaging MAC of the chip's response is wrong"
    ) -> None:
        super().__init__(message, reason="mac")


class UnsupportedProtocolError(DocumentError):
    """The chip offers only protocols, algorithms or domain parameters we do not implement."""

    code = "document.unsupported"

    def __init__(self, message: str, *, what: str) -> None:
        super().__init__(message)
        self.what = what


class FileTooLargeError(MalformedDataError):
    """A file on the chip announces a length above :data:`params.MAX_FILE_SIZE`."""

    code = "document.file_too_large"

    def __init__(self, file: str, size: int, limit: int) -> None:
        super().__init__(f"{file} announces {size} bytes, more than the limit of {limit}")
        self.file = file
        self.size = size
        self.limit = limit


class ReadStoppedError(DeviceTimeoutError):
    """The caller stopped the chip read: its deadline passed (``reason="deadline"``) or it
    cancelled (``reason="cancelled"``). Checked before every APDU; never retried.

    A timeout of the caller's, not a failure of the chip or the reader: the traveller
    step that set the deadline decides what happens next.
    """

    code = "device.timeout.read_stopped"

    def __init__(self, reason: str) -> None:
        super().__init__(f"chip read stopped by its caller ({reason})")
        self.reason = reason

"""Errors of the sync client and server (leaves of :mod:`models.errors`).

Tree::

    SyncError
    ├── ServerUnreachableError   network failure or timeout; retry later
    ├── ServerFailedError        the server answered 5xx or 503 (not ready); retry later
    ├── ServerBusyError          the server's rate limit refused the request (429); retry later
    ├── NotRegisteredError       this kiosk has no registration (run ``gerbang sync register``)
    ├── ProtocolError            the server's answer does not have the documented shape
    │   └── RequestRefusedError  the server refused the request as sent (4xx; ``status``, ``reason``)
    └── SyncInternalError        a cycle failed with an unexpected (non-Gerbang) exception
    SecurityError
    ├── AuthenticationError      the server refused our signature (``reason``: clock_skew, replay, ...)
    ├── KioskRevokedError        this kiosk was revoked centrally; sync stops
    ├── RegistrationRefusedError the one-time code is unknown, used, expired or for another office
    └── FeedIntegrityError       a feed page failed the server-signature check; nothing applied
"""

from __future__ import annotations

from models.errors import SecurityError, SyncError


class ServerUnreachableError(SyncError):
    code = "sync.unreachable"


class ServerFailedError(SyncError):
    code = "sync.server_failed"

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class ServerBusyError(SyncError):
    code = "sync.busy"

    def __init__(self, message: str, *, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class NotRegisteredError(SyncError):
    code = "sync.not_registered"


class ProtocolError(SyncError):
    code = "sync.protocol"


class RequestRefusedError(ProtocolError):
    """The server refused a request as sent (a 4xx other than authentication)."""

    def __init__(self, message: str, *, status: int, reason: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class SyncInternalError(SyncError):
    """A sync cycle raised something unexpected (a bug, a local fault); the loop logs it
    and retries with backoff instead of ending."""

    code = "sync.internal"


class AuthenticationError(SecurityError):
    code = "security.auth"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class KioskRevokedError(SecurityError):
    code = "security.revoked"


class RegistrationRefusedError(SecurityError):
    code = "security.registration"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class FeedIntegrityError(SecurityError):
    code = "security.feed_integrity"

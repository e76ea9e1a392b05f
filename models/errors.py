"""The one exception tree of Gerbang.

Every error the project raises on purpose derives from :class:`GerbangError`.
Third-party exceptions (OpenCV, pyscard, libfprint, sqlite3, httpx, ...) are
translated at the boundary with ``raise ... from exc`` so that callers only ever
handle these types.

Each error has a stable machine ``code`` (used by the CLI's JSON output and by
the kiosk UI to pick a translated message) and carries actionable fields as
attributes rather than only inside its message.

Tree::

    GerbangError
    ├── ConfigError                 bad or unreadable settings (``key`` names the setting)
    ├── NotAvailableError           a feature that is not built yet (``feature``)
    ├── StoreError                  the kiosk's local database
    │   ├── MigrationError          a schema migration failed or the schema is newer than the code
    │   ├── RecordNotFoundError     no record with that id (``kind``, ``record_id``)
    │   ├── DuplicateRecordError    a record with that id or key exists already
    │   └── SealError               encrypted payload cannot be opened (wrong key, tampering)
    ├── KeyStoreError               key files missing, unreadable or with unsafe permissions
    ├── DeviceError                 a device failed (``device_id``); not a user-correctable retry
    │   ├── DeviceUnavailableError  absent, unplugged, or refused to open
    │   ├── DeviceTimeoutError      a blocking call did not finish within its timeout
    │   └── CardRemovedError        the card left the reader during a command
    ├── DocumentError               a travel document could not be read or checked
    │   ├── MRZError                an MRZ is malformed (``field`` names the failing field)
    │   └── MalformedDataError      bytes from a chip or file do not parse (TLV, ASN.1, image)
    ├── BiometricError              a biometric sample or template could not be processed
    ├── SyncError                   talking to the central server failed
    └── SecurityError               authentication, authorisation or integrity failure

Packages may subclass these leaves for finer cases; they never introduce a
second root.
"""

from __future__ import annotations


class GerbangError(Exception):
    """Root of every error Gerbang raises on purpose."""

    code: str = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(GerbangError):
    """Settings are invalid or unreadable. ``key`` is the dotted setting name, if known."""

    code = "config"

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class NotAvailableError(GerbangError):
    """A feature that this version does not provide yet."""

    code = "not_available"

    def __init__(self, feature: str, *, detail: str = "") -> None:
        text = f"{feature} is not available yet"
        super().__init__(f"{text}: {detail}" if detail else text)
        self.feature = feature


class StoreError(GerbangError):
    code = "store"


class MigrationError(StoreError):
    code = "store.migration"


class RecordNotFoundError(StoreError):
    code = "store.not_found"

    def __init__(self, kind: str, record_id: str) -> None:
        super().__init__(f"no {kind} with id {record_id!r}")
        self.kind = kind
        self.record_id = record_id


class DuplicateRecordError(StoreError):
    code = "store.duplicate"

    def __init__(self, kind: str, record_id: str) -> None:
        super().__init__(f"{kind} {record_id!r} exists already")
        self.kind = kind
        self.record_id = record_id


class SealError(StoreError):
    """An encrypted payload failed authentication: wrong key, or the data was altered."""

    code = "store.seal"


class KeyStoreError(GerbangError):
    code = "keystore"


class DeviceError(GerbangError):
    """A device failed. User-correctable outcomes are results, not exceptions."""

    code = "device"

    def __init__(self, message: str, *, device_id: str | None = None) -> None:
        super().__init__(message)
        self.device_id = device_id


class DeviceUnavailableError(DeviceError):
    code = "device.unavailable"


class DeviceTimeoutError(DeviceError):
    code = "device.timeout"

    def __init__(
        self, message: str, *, device_id: str | None = None, timeout_s: float | None = None
    ) -> None:
        super().__init__(message, device_id=device_id)
        self.timeout_s = timeout_s


class CardRemovedError(DeviceError):
    code = "device.card_removed"


class DocumentError(GerbangError):
    code = "document"


class MRZError(DocumentError):
    """An MRZ is malformed. ``field`` names the failing field (e.g. ``birth_date``)."""

    code = "document.mrz"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class MalformedDataError(DocumentError):
    code = "document.malformed"


class BiometricError(GerbangError):
    code = "biometric"


class SyncError(GerbangError):
    code = "sync"


class SecurityError(GerbangError):
    code = "security"


__all__ = [
    "BiometricError",
    "CardRemovedError",
    "ConfigError",
    "DeviceError",
    "DeviceTimeoutError",
    "DeviceUnavailableError",
    "DocumentError",
    "DuplicateRecordError",
    "GerbangError",
    "KeyStoreError",
    "MRZError",
    "MalformedDataError",
    "MigrationError",
    "NotAvailableError",
    "RecordNotFoundError",
    "SealError",
    "SecurityError",
    "StoreError",
    "SyncError",
]

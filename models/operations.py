"""Operational records: device status, the audit log, the kiosk's identity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class DeviceKind(StrEnum):
    CAMERA = "camera"
    FINGERPRINT = "fingerprint"
    CARD_READER = "card_reader"
    DOCUMENT_SCANNER = "document_scanner"
    GATE = "gate"


class DeviceState(StrEnum):
    READY = "ready"
    BUSY = "busy"
    ABSENT = "absent"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    device_id: str
    kind: DeviceKind
    backend: str
    state: DeviceState
    observed_at: datetime
    capabilities: tuple[str, ...] = ()
    detail: str = ""  # error code or driver info; never personal data


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One link of the tamper-evident audit chain.

    ``entry_hash`` covers every other field and ``prev_hash``; ``signature`` is the
    kiosk key's signature over ``entry_hash``.
    """

    seq: int
    occurred_at: datetime
    actor: str  # user id, "kiosk", or "system"
    action: str  # e.g. "decision", "login", "watchlist.add"
    subject: str  # id of the record acted on (never personal data)
    detail: str  # JSON text of non-personal details
    prev_hash: bytes
    entry_hash: bytes
    signature: bytes


class KioskStatus(StrEnum):
    UNREGISTERED = "unregistered"
    ACTIVE = "active"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class KioskIdentity:
    kiosk_id: str
    office_id: str
    public_key: bytes  # raw Ed25519 public key
    created_at: datetime
    status: KioskStatus = KioskStatus.UNREGISTERED
    registered_at: datetime | None = None

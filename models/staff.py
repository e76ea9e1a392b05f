"""Staff accounts of a kiosk (officers, supervisors, technicians)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.roles import Principal, Role


@dataclass(frozen=True, slots=True)
class StaffAccount:
    user_id: str
    display_name: str
    roles: tuple[Role, ...]
    secret_hash: str  # argon2id hash of the password or PIN (PHC string)
    created_at: datetime
    active: bool = True

    def principal(self) -> Principal:
        return Principal(self.user_id, frozenset(self.roles))


@dataclass(frozen=True, slots=True)
class LegalHold:
    """A record kept past its retention period (an investigation, a complaint)."""

    kind: str  # "verification_event", "referral" ...
    record_id: str
    case_reference: str
    held_by: str
    created_at: datetime

    @property
    def hold_id(self) -> str:
        return f"{self.kind}:{self.record_id}"

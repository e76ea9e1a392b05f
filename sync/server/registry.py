"""Kiosk registration with one-time codes, revocation."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select, update

from sync import params
from sync.server import schema as s
from sync.server.apierror import ApiError, bad_request, forbidden, not_found
from sync.server.db import upsert
from sync.server.store_errors import CentralStoreError

ACTIVE = "active"
REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class Kiosk:
    kiosk_id: str
    office_id: str
    public_key: bytes
    status: str
    registered_at: datetime
    revoked_at: datetime | None = None
    revoked_reason: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "kiosk_id": self.kiosk_id,
            "office_id": self.office_id,
            "status": self.status,
            "registered_at": self.registered_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "revoked_reason": self.revoked_reason,
        }


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def new_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(params.REGISTRATION_CODE_GROUPS * 5 // 2)).decode()
    raw = raw[: params.REGISTRATION_CODE_GROUPS * 4]
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def issue_code(
    conn: Connection,
    *,
    office_id: str,
    now: datetime,
    kiosk_id: str | None = None,
    ttl_hours: float = params.REGISTRATION_CODE_TTL_H,
) -> tuple[str, datetime]:
    """A new one-time code for ``office_id`` (only its hash is stored)."""
    if not office_id:
        raise bad_request("registration.office", "office_id is required")
    code = new_code()
    expires = now + timedelta(hours=ttl_hours)
    conn.execute(
        s.registration_codes.insert().values(
            code_hash=_hash(normalise_code(code)),
            office_id=office_id,
            kiosk_id=kiosk_id,
            created_at=now,
            expires_at=expires,
        )
    )
    return code, expires


def _kiosk(row: object) -> Kiosk:
    m = row._mapping  # type: ignore[attr-defined]
    return Kiosk(
        kiosk_id=m["kiosk_id"],
        office_id=m["office_id"],
        public_key=bytes(m["public_key"]),
        status=m["status"],
        registered_at=m["registered_at"],
        revoked_at=m["revoked_at"],
        revoked_reason=m["revoked_reason"],
    )


def get_kiosk(conn: Connection, kiosk_id: str) -> Kiosk | None:
    row = conn.execute(select(s.kiosks).where(s.kiosks.c.kiosk_id == kiosk_id)).first()
    return _kiosk(row) if row is not None else None


def list_kiosks(conn: Connection, office_id: str | None = None) -> list[Kiosk]:
    query = select(s.kiosks).order_by(s.kiosks.c.kiosk_id)
    if office_id:
        query = query.where(s.kiosks.c.office_id == office_id)
    return [_kiosk(r) for r in conn.execute(query)]


def register(
    conn: Connection,
    *,
    code: str,
    kiosk_id: str,
    office_id: str,
    public_key: bytes,
    now: datetime,
) -> Kiosk:
    """Spend a one-time code and register (or re-key) the kiosk.

    A kiosk id that is active already may only be re-keyed with a code bound to
    that kiosk id (an officer's deliberate act, e.g. after a disk replacement).
    """
    table = s.registration_codes
    row = conn.execute(
        select(table).where(table.c.code_hash == _hash(normalise_code(code))).with_for_update()
    ).first()
    if row is None:
        raise forbidden("registration.unknown_code", "unknown registration code")
    m = row._mapping
    if m["used_at"] is not None:
        again = get_kiosk(conn, kiosk_id)
        if (
            m["used_by"] == kiosk_id
            and again is not None
            and again.status == ACTIVE
            and again.public_key == public_key
        ):
            return again  # the same kiosk retrying after a lost answer: idempotent
        raise forbidden("registration.used_code", "this registration code was used already")
    if m["expires_at"] < now:
        raise forbidden("registration.expired_code", "this registration code has expired")
    if m["office_id"] != office_id:
        raise forbidden(
            "registration.wrong_office", "this registration code belongs to another office"
        )
    if m["kiosk_id"] is not None and m["kiosk_id"] != kiosk_id:
        raise forbidden("registration.wrong_kiosk", "this registration code is for another kiosk")
    existing = get_kiosk(conn, kiosk_id)
    if (
        existing is not None
        and existing.status == ACTIVE
        and m["kiosk_id"] != kiosk_id
        and existing.public_key != public_key
    ):
        raise ApiError(
            409,
            "registration.kiosk_exists",
            "a kiosk with this id is registered already; revoke it or issue a code for this kiosk id",
        )
    if existing is not None and existing.office_id != office_id and existing.status == ACTIVE:
        raise forbidden("registration.wrong_office", "this kiosk id belongs to another office")
    conn.execute(
        update(table)
        .where(table.c.code_hash == m["code_hash"])
        .values(used_at=now, used_by=kiosk_id)
    )
    stmt = upsert(conn, s.kiosks).values(
        kiosk_id=kiosk_id,
        office_id=office_id,
        public_key=public_key,
        status=ACTIVE,
        registered_at=now,
        revoked_at=None,
        revoked_reason=None,
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["kiosk_id"],
            set_={
                "office_id": office_id,
                "public_key": public_key,
                "status": ACTIVE,
                "registered_at": now,
                "revoked_at": None,
                "revoked_reason": None,
            },
        )
    )
    return _reread(conn, kiosk_id)


def _reread(conn: Connection, kiosk_id: str) -> Kiosk:
    """The kiosk row written earlier in this transaction."""
    kiosk = get_kiosk(conn, kiosk_id)
    if kiosk is None:  # pragma: no cover - only if the database lost a row mid-transaction
        raise CentralStoreError(f"kiosk {kiosk_id!r} vanished during its own transaction")
    return kiosk


def revoke(conn: Connection, kiosk_id: str, *, reason: str, now: datetime) -> Kiosk:
    result = conn.execute(
        update(s.kiosks)
        .where(s.kiosks.c.kiosk_id == kiosk_id)
        .values(status=REVOKED, revoked_at=now, revoked_reason=reason[:200])
    )
    if result.rowcount == 0:
        raise not_found("kiosk.unknown", f"no kiosk {kiosk_id!r}")
    return _reread(conn, kiosk_id)

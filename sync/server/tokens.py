"""Named API tokens of the admin API: hashed, with a role, revocable, last use kept.

``gerbang server token create --name NAME --role admin`` prints a token once;
the database keeps its SHA-256 (a 256-bit random token needs no slow hash: there
is nothing to guess). Names are unique for ever, so the token name in a log
line or on an acknowledged alert identifies one token. These are for machines
and administrators' scripts; people sign in to the dashboard with staff logins.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, or_, select, update

from sync import params
from sync.server import schema as s
from sync.server.apierror import ApiError, bad_request, forbidden, not_found, unauthorized

PREFIX = "gbt_"  # recognisable by secret scanners
_NAME = "abcdefghijklmnopqrstuvwxyz0123456789._-"


class Role(StrEnum):
    ADMIN = "admin"  # every admin endpoint
    VIEWER = "viewer"  # reading only (GET)


@dataclass(frozen=True, slots=True)
class Token:
    name: str
    role: Role

    def allows(self, needed: Role) -> bool:
        return self.role is Role.ADMIN or needed is Role.VIEWER


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_name(name: str) -> str:
    if not (1 <= len(name) <= 64) or any(ch not in _NAME for ch in name.lower()):
        raise bad_request("token.name", "token names are 1-64 letters, digits, '.', '_' or '-'")
    return name


def create(conn: Connection, *, name: str, role: Role, now: datetime) -> str:
    """A new token named ``name``; returns the token (shown once, stored hashed)."""
    t = s.api_tokens
    if conn.execute(select(t.c.token_id).where(t.c.name == check_name(name))).first():
        raise ApiError(
            409, "token.exists", f"a token named {name!r} exists (names are never reused)"
        )
    token = PREFIX + secrets.token_urlsafe(32)
    conn.execute(
        t.insert().values(name=name, role=role.value, token_hash=_hash(token), created_at=now)
    )
    return token


def authenticate(conn: Connection, authorization: str | None, *, now: datetime) -> Token:
    """The token of ``Authorization: Bearer <token>``; 401 when missing, unknown or revoked."""
    if not authorization or not authorization[:7].lower() == "bearer ":
        raise unauthorized("admin.missing_token", "an API bearer token is required")
    token = authorization[7:].strip()
    if not token or len(token) > 128:
        raise unauthorized("admin.bad_token", "unknown or revoked API token")
    digest = _hash(token)
    t = s.api_tokens
    row = conn.execute(
        select(t.c.token_id, t.c.name, t.c.role, t.c.token_hash).where(
            t.c.token_hash == digest, t.c.revoked_at.is_(None)
        )
    ).first()
    if row is None or not hmac.compare_digest(str(row.token_hash), digest):
        raise unauthorized("admin.bad_token", "unknown or revoked API token")
    cutoff = now - timedelta(seconds=params.TOKEN_TOUCH_S)
    conn.execute(
        update(t)
        .where(
            t.c.token_id == row.token_id, or_(t.c.last_used_at.is_(None), t.c.last_used_at < cutoff)
        )
        .values(last_used_at=now)
    )
    return Token(str(row.name), Role(row.role))


def require(token: Token, needed: Role) -> None:
    if not token.allows(needed):
        raise forbidden("admin.role", f"this needs a token with the {needed.value} role")


def revoke(conn: Connection, name: str, *, now: datetime) -> None:
    t = s.api_tokens
    result = conn.execute(
        update(t).where(t.c.name == name, t.c.revoked_at.is_(None)).values(revoked_at=now)
    )
    if result.rowcount == 0:
        raise not_found("token.unknown", f"no active token named {name!r}")


def list_tokens(conn: Connection) -> list[dict[str, Any]]:
    t = s.api_tokens
    rows = conn.execute(
        select(t.c.name, t.c.role, t.c.created_at, t.c.last_used_at, t.c.revoked_at).order_by(
            t.c.name
        )
    )
    return [
        {
            "name": r.name,
            "role": r.role,
            "created_at": r.created_at.isoformat(),
            "last_used_at": r.last_used_at.isoformat() if r.last_used_at else None,
            "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None,
        }
        for r in rows
    ]

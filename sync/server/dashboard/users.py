"""Dashboard users (supervisors, analysts) and their sessions.

Passwords are argon2id hashes (the parameters of the kiosk's staff logins,
``enrollment.accounts``). Five failed logins lock an account for 15 minutes.
A session is a random token in an HttpOnly cookie; the database keeps its
SHA-256, the user, the session's CSRF token and an absolute expiry.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, delete, select, update

from models.roles import Permission, Principal, Role
from sync.server import schema as s
from sync.server.apierror import ApiError, bad_request

DASHBOARD_ROLES = (Role.SUPERVISOR, Role.ANALYST)
SESSION_TTL = timedelta(hours=8)
MAX_FAILED = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 12
_NAME = "abcdefghijklmnopqrstuvwxyz0123456789._-"
# A hash to verify against when the user does not exist (same time either way).
_DUMMY_PASSWORD = "not-a-real-password"  # noqa: S105 - a decoy, never a credential


def default_hasher() -> PasswordHasher:
    """argon2id, 64 MiB, 3 passes (as the kiosk's staff logins)."""
    return PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=1)


@dataclass(frozen=True, slots=True)
class User:
    user_id: str
    display_name: str
    role: Role

    @property
    def principal(self) -> Principal:
        return Principal(self.user_id, frozenset({self.role}))

    def can(self, permission: Permission) -> bool:
        return self.principal.can(permission)


@dataclass(frozen=True, slots=True)
class Session:
    user: User
    csrf_token: str
    expires_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    conn: Connection,
    *,
    user_id: str,
    display_name: str,
    role: Role,
    password: str,
    now: datetime,
    hasher: PasswordHasher | None = None,
) -> User:
    if not (1 <= len(user_id) <= 64) or any(ch not in _NAME for ch in user_id):
        raise bad_request(
            "user.name", "user ids are 1-64 lower-case letters, digits, '.', '_', '-'"
        )
    if role not in DASHBOARD_ROLES:
        raise bad_request("user.role", "dashboard users are supervisors or analysts")
    if len(password) < MIN_PASSWORD:
        raise bad_request("user.password", f"passwords have at least {MIN_PASSWORD} characters")
    t = s.dashboard_users
    if conn.execute(select(t.c.user_id).where(t.c.user_id == user_id)).first():
        raise ApiError(409, "user.exists", f"a dashboard user {user_id!r} exists")
    conn.execute(
        t.insert().values(
            user_id=user_id,
            display_name=display_name[:100] or user_id,
            role=role.value,
            password_hash=(hasher or default_hasher()).hash(password),
            created_at=now,
            failed_logins=0,
        )
    )
    return User(user_id, display_name or user_id, role)


def login(
    conn: Connection,
    user_id: str,
    password: str,
    *,
    now: datetime,
    hasher: PasswordHasher | None = None,
) -> tuple[str, Session] | None:
    """A new session (token, session) for the right password; None otherwise."""
    hasher = hasher or default_hasher()
    t = s.dashboard_users
    row = conn.execute(select(t).where(t.c.user_id == user_id[:64])).first()
    if row is None or row.disabled_at is not None:
        _burn(hasher)
        return None
    if row.locked_until is not None and row.locked_until > now:
        _burn(hasher)
        return None
    try:
        hasher.verify(str(row.password_hash), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        failed = int(row.failed_logins) + 1
        locked = now + LOCKOUT if failed >= MAX_FAILED else None
        conn.execute(
            update(t)
            .where(t.c.user_id == row.user_id)
            .values(failed_logins=0 if locked else failed, locked_until=locked)
        )
        return None
    conn.execute(
        update(t).where(t.c.user_id == row.user_id).values(failed_logins=0, locked_until=None)
    )
    token = secrets.token_urlsafe(32)
    session = Session(
        User(str(row.user_id), str(row.display_name), Role(row.role)),
        secrets.token_urlsafe(24),
        now + SESSION_TTL,
    )
    conn.execute(delete(s.dashboard_sessions).where(s.dashboard_sessions.c.expires_at < now))
    conn.execute(
        s.dashboard_sessions.insert().values(
            session_hash=_digest(token),
            user_id=session.user.user_id,
            csrf_token=session.csrf_token,
            created_at=now,
            expires_at=session.expires_at,
        )
    )
    return token, session


def _burn(hasher: PasswordHasher) -> None:
    """Spend the time of a real check, so timing does not tell which users exist."""
    with contextlib.suppress(VerifyMismatchError):
        hasher.verify(hasher.hash(_DUMMY_PASSWORD), _DUMMY_PASSWORD + "x")


def session(conn: Connection, token: str | None, *, now: datetime) -> Session | None:
    """The live session of a cookie token, with its (still enabled) user."""
    if not token or len(token) > 128:
        return None
    st, u = s.dashboard_sessions, s.dashboard_users
    row = conn.execute(
        select(
            st.c.session_hash,
            st.c.csrf_token,
            st.c.expires_at,
            u.c.user_id,
            u.c.display_name,
            u.c.role,
        )
        .join(u, u.c.user_id == st.c.user_id)
        .where(st.c.session_hash == _digest(token), u.c.disabled_at.is_(None))
    ).first()
    if row is None or row.expires_at <= now:
        return None
    if not hmac.compare_digest(str(row.session_hash), _digest(token)):
        return None
    return Session(
        User(str(row.user_id), str(row.display_name), Role(row.role)),
        str(row.csrf_token),
        row.expires_at,
    )


def logout(conn: Connection, token: str) -> None:
    conn.execute(
        delete(s.dashboard_sessions).where(s.dashboard_sessions.c.session_hash == _digest(token))
    )


def list_users(conn: Connection) -> list[dict[str, object]]:
    t = s.dashboard_users
    return [
        {
            "user_id": r.user_id,
            "display_name": r.display_name,
            "role": r.role,
            "created_at": r.created_at.isoformat(),
            "disabled": r.disabled_at is not None,
        }
        for r in conn.execute(select(t).order_by(t.c.user_id))
    ]

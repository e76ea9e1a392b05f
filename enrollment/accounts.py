"""Staff login: argon2id-hashed passwords or PINs, lockout, every attempt audited.

After ``max_failures`` wrong secrets in a row an account is locked for
``lockout``; a locked account refuses even the right secret until then, so
guessing a 6-digit PIN at the kiosk takes years rather than minutes. The
traveller screen never holds a principal; officer and technician screens are
reached only through :meth:`Accounts.login`.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from models.audit import AuditLog
from models.errors import SecurityError
from models.roles import Permission, Principal, Role, require
from models.staff import StaffAccount
from models.store import Store

MIN_SECRET = 6
USER_ID_MAX = 64


class LoginError(SecurityError):
    """Wrong user or secret. Deliberately does not say which."""

    code = "security.login_failed"


class AccountLockedError(SecurityError):
    code = "security.account_locked"

    def __init__(self, user_id: str, until: datetime) -> None:
        super().__init__(f"account {user_id} is locked until {until.isoformat(timespec='minutes')}")
        self.user_id = user_id
        self.until = until


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)


def normalise(secret: str) -> str:
    return unicodedata.normalize("NFKC", secret)


def default_hasher() -> PasswordHasher:
    """argon2id, 64 MiB, 3 passes: ~0.1-0.3 s per check on a kiosk PC."""
    return PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=1)


class Accounts:
    def __init__(
        self,
        store: Store,
        audit: AuditLog,
        *,
        hasher: PasswordHasher | None = None,
        policy: LockoutPolicy | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._audit = audit
        self._hasher = hasher or default_hasher()
        self._policy = policy or LockoutPolicy()
        self._clock = clock

    def create(
        self,
        user_id: str,
        display_name: str,
        roles: Iterable[Role],
        secret: str,
        *,
        by: Principal | None,
        bootstrap: bool = False,
    ) -> StaffAccount:
        """Add an account. Needs MANAGE_ACCOUNTS, except the very first (bootstrap) admin."""
        actor = "bootstrap" if bootstrap else require(by, Permission.MANAGE_ACCOUNTS).user_id
        if (
            not user_id
            or len(user_id) > USER_ID_MAX
            or not user_id.replace("-", "").replace(".", "").isalnum()
        ):
            raise SecurityError("user id: letters, digits, '-' and '.' only, at most 64")
        secret = normalise(secret)
        if len(secret) < MIN_SECRET:
            raise SecurityError(f"password or PIN must have at least {MIN_SECRET} characters")
        role_list = tuple(dict.fromkeys(roles))
        if not role_list:
            raise SecurityError("an account needs at least one role")
        if Role.TECHNICIAN in role_list and len(role_list) > 1:
            raise SecurityError(
                "a technician account cannot hold other roles (technicians see no personal data)"
            )
        if bootstrap and Role.ADMIN not in role_list:
            raise SecurityError(
                "the first account must be an admin, or nobody could manage accounts"
            )
        account = StaffAccount(
            user_id, display_name, role_list, self._hasher.hash(secret), self._clock()
        )
        with self._store.atomic():
            if bootstrap and self._store.staff.count() > 0:
                raise SecurityError("bootstrap is only allowed while there are no accounts")
            self._store.staff.add(account)
            self._audit.append(
                actor, "account.create", user_id, {"roles": [r.value for r in role_list]}
            )
        return account

    def login(self, user_id: str, secret: str) -> Principal:
        """The account's principal, or LoginError / AccountLockedError.

        The attempt is counted (and the lock set) in one transaction *before* the
        secret is checked, so parallel guesses cannot slip past the counter; a
        right secret then clears it.
        """
        now = self._clock()
        if not self._store.staff.exists(user_id):
            self._hasher.hash("timing-equaliser")  # same cost whether or not the user exists
            # The typed id is not recorded: people type their password into that field.
            self._audit.append("-", "login.failure", "unknown_user")
            raise LoginError("wrong user id or secret")
        account = self._store.staff.get(user_id)
        lock: datetime | None = None
        with self._store.atomic():
            failures, locked_until = self._store.staff.lockout(user_id)
            refused = locked_until is not None and now < locked_until
            if refused:
                self._audit.append(user_id, "login.refused", "locked", {"until": str(locked_until)})
            else:
                failures += 1
                lock = now + self._policy.lockout if failures >= self._policy.max_failures else None
                self._store.staff.set_lockout(user_id, failures, lock)
        if refused and locked_until is not None:
            raise AccountLockedError(user_id, locked_until)
        if not (self._secret_matches(account, secret) and account.active):
            self._audit.append(
                user_id, "login.failure", "bad_secret", {"failures": failures, "locked": bool(lock)}
            )
            if lock is not None:
                raise AccountLockedError(user_id, lock)
            raise LoginError("wrong user id or secret")
        with self._store.atomic():
            self._store.staff.record_login(user_id, now)
            if self._hasher.check_needs_rehash(account.secret_hash):
                rehashed = dataclasses.replace(
                    account, secret_hash=self._hasher.hash(normalise(secret))
                )
                self._store.staff.put(rehashed)
            self._audit.append(
                user_id, "login.success", user_id, {"roles": [r.value for r in account.roles]}
            )
        return account.principal()

    def _secret_matches(self, account: StaffAccount, secret: str) -> bool:
        try:
            return bool(self._hasher.verify(account.secret_hash, normalise(secret)))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def deactivate(self, user_id: str, *, by: Principal) -> None:
        actor = require(by, Permission.MANAGE_ACCOUNTS).user_id
        account = self._store.staff.get(user_id)
        with self._store.atomic():
            self._store.staff.put(dataclasses.replace(account, active=False))
            self._audit.append(actor, "account.deactivate", user_id)

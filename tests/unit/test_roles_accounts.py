from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from enrollment.accounts import AccountLockedError, Accounts, LockoutPolicy, LoginError
from models.audit import AuditLog
from models.errors import SecurityError
from models.roles import (
    PERSONAL,
    ROLE_PERMISSIONS,
    ForbiddenError,
    Permission,
    Principal,
    Role,
    require,
)
from models.store import Store

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def test_technicians_never_get_personal_data() -> None:
    assert not ROLE_PERMISSIONS[Role.TECHNICIAN] & PERSONAL
    assert ROLE_PERMISSIONS[Role.OFFICER] <= ROLE_PERMISSIONS[Role.SUPERVISOR]
    assert Permission.APPROVE_DEDUPLICATION not in ROLE_PERMISSIONS[Role.OFFICER]
    assert Permission.VIEW_WATCHLIST_HITS not in ROLE_PERMISSIONS[Role.ANALYST]


def test_the_traveller_screen_holds_no_permission() -> None:
    for permission in Permission:
        with pytest.raises(ForbiddenError):
            require(None, permission)


def test_role_escalation_is_refused() -> None:
    tech = Principal("tech-1", frozenset({Role.TECHNICIAN}))
    for permission in (
        Permission.VIEW_PERSONAL_DATA,
        Permission.OVERRIDE_DECISION,
        Permission.MANAGE_ACCOUNTS,
    ):
        with pytest.raises(ForbiddenError) as info:
            tech.require(permission)
        assert info.value.code == "security.forbidden"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def accounts(store: Store) -> tuple[Accounts, AuditLog, Clock]:
    clock = Clock()
    audit = AuditLog(store, Ed25519PrivateKey.generate(), clock=clock)
    service = Accounts(
        store, audit, hasher=FAST, policy=LockoutPolicy(3, timedelta(minutes=15)), clock=clock
    )
    service.create("admin", "Admin", [Role.ADMIN], "s3cret-admin", by=None, bootstrap=True)
    return service, audit, clock


def test_login_and_audit(store: Store, accounts: tuple[Accounts, AuditLog, Clock]) -> None:
    service, audit, _ = accounts
    admin = service.login("admin", "s3cret-admin")
    service.create("budi", "Budi", [Role.OFFICER], "246810", by=admin)
    officer = service.login("budi", "246810")
    assert officer.can(Permission.ENROLL) and not officer.can(Permission.MANAGE_ACCOUNTS)
    raw = store.database.query("SELECT payload FROM staff_accounts")
    assert all(b"246810" not in r["payload"] for r in raw)
    actions = [r.action for r in store.audit]
    assert actions == ["account.create", "login.success", "account.create", "login.success"]
    assert audit.verify().valid


def test_wrong_secrets_lock_the_account(
    store: Store, accounts: tuple[Accounts, AuditLog, Clock]
) -> None:
    service, _, clock = accounts
    service.create(
        "sari", "Sari", [Role.OFFICER], "135790", by=service.login("admin", "s3cret-admin")
    )
    for _ in range(2):
        with pytest.raises(LoginError):
            service.login("sari", "000000")
    with pytest.raises(AccountLockedError):
        service.login("sari", "000001")
    with pytest.raises(AccountLockedError):
        service.login("sari", "135790")  # even the right PIN while locked
    clock.now += timedelta(minutes=16)
    assert service.login("sari", "135790").user_id == "sari"
    failures = [r for r in store.audit if r.action in ("login.failure", "login.refused")]
    assert len(failures) == 4


def test_unknown_users_and_bootstrap_rules(accounts: tuple[Accounts, AuditLog, Clock]) -> None:
    service, _, _ = accounts
    with pytest.raises(LoginError):
        service.login("nobody", "whatever1")
    with pytest.raises(SecurityError, match="bootstrap"):
        service.create("x", "X", [Role.ADMIN], "123456789", by=None, bootstrap=True)
    officer = Principal("o", frozenset({Role.OFFICER}))
    with pytest.raises(ForbiddenError):
        service.create("y", "Y", [Role.SUPERVISOR], "123456789", by=officer)
    admin = service.login("admin", "s3cret-admin")
    with pytest.raises(SecurityError, match="at least"):
        service.create("z", "Z", [Role.OFFICER], "123", by=admin)


def test_deactivated_accounts_cannot_log_in(accounts: tuple[Accounts, AuditLog, Clock]) -> None:
    service, _, _ = accounts
    admin = service.login("admin", "s3cret-admin")
    service.create("ani", "Ani", [Role.TECHNICIAN], "975310", by=admin)
    service.deactivate("ani", by=admin)
    with pytest.raises(LoginError):
        service.login("ani", "975310")


def test_parallel_wrong_pins_still_lock(
    store: Store, accounts: tuple[Accounts, AuditLog, Clock]
) -> None:
    """Attempts are counted before the (slow) secret check, so concurrent guesses all count."""
    from concurrent.futures import ThreadPoolExecutor

    service, _, _ = accounts
    service.create(
        "eko", "Eko", [Role.OFFICER], "112233", by=service.login("admin", "s3cret-admin")
    )
    slow = Accounts(
        store,
        accounts[1],
        hasher=PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1),
        policy=LockoutPolicy(3, timedelta(minutes=15)),
        clock=accounts[2],
    )

    def attempt(i: int) -> str:
        try:
            slow.login("eko", f"00000{i}")
        except AccountLockedError:
            return "locked"
        except LoginError:
            return "wrong"
        return "in"

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(attempt, range(8)))
    assert "in" not in results and "locked" in results
    with pytest.raises(AccountLockedError):
        slow.login("eko", "112233")


def test_unknown_user_ids_are_not_written_to_the_audit_log(
    store: Store, accounts: tuple[Accounts, AuditLog, Clock]
) -> None:
    service, _, _ = accounts
    with pytest.raises(LoginError):
        service.login("my-secret-password", "x")
    last = list(store.audit)[-1]
    assert "my-secret-password" not in f"{last.actor}{last.subject}{last.detail}"


def test_account_shapes_that_would_break_the_model_are_refused(store: Store) -> None:
    audit = AuditLog(store, Ed25519PrivateKey.generate())
    service = Accounts(store, audit, hasher=FAST)
    with pytest.raises(SecurityError, match="first account must be an admin"):
        service.create("o", "O", [Role.OFFICER], "12345678", by=None, bootstrap=True)
    admin = service.create("a", "A", [Role.ADMIN], "12345678", by=None, bootstrap=True).principal()
    with pytest.raises(SecurityError, match="technician account cannot hold"):
        service.create("t", "T", [Role.TECHNICIAN, Role.OFFICER], "12345678", by=admin)
    assert not Principal("x", frozenset({Role.TECHNICIAN, Role.OFFICER})).can(
        Permission.VIEW_PERSONAL_DATA
    )

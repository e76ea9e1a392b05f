"""Fixtures of the technician tests: a kiosk data directory with staff accounts."""

from __future__ import annotations

from pathlib import Path

import pytest

from enrollment.accounts import Accounts
from models.audit import AuditLog
from models.keys import KeyStore
from models.roles import Role
from models.store import Store

SECRET = "correct-horse-42"  # noqa: S105 - a test account's PIN


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory with an admin, a technician, a supervisor and an officer."""
    root = tmp_path / "data"
    keys = KeyStore(root / "keys")
    store = Store.open(root / "kiosk.db", keys.store_key())
    try:
        accounts = Accounts(store, AuditLog(store, keys.signing_key()))
        admin = accounts.create("admin", "Admin", [Role.ADMIN], SECRET, by=None, bootstrap=True)
        principal = accounts.login(admin.user_id, SECRET)
        for user, role in (
            ("tech", Role.TECHNICIAN),
            ("sup", Role.SUPERVISOR),
            ("off", Role.OFFICER),
        ):
            accounts.create(user, user, [role], SECRET, by=principal)
    finally:
        store.close()
    return root


def open_audit(data_dir: Path) -> tuple[Store, AuditLog]:
    keys = KeyStore(data_dir / "keys")
    store = Store.open(data_dir / "kiosk.db", keys.store_key())
    return store, AuditLog(store, keys.signing_key())

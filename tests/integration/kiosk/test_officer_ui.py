"""Officer screens (offscreen Qt): login, lockout message, referral review."""

from __future__ import annotations

import dataclasses

import pytest
from argon2 import PasswordHasher
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pytestqt.qtbot import QtBot

from enrollment.accounts import Accounts
from enrollment.referrals import ReferralReview
from kiosk.officer.controller import OfficerController
from kiosk.officer.window import OfficerWindow
from models.audit import AuditLog
from models.events import ReferralStatus
from models.roles import Role
from models.store import Store
from tests import factories

pytestmark = pytest.mark.integration


@pytest.fixture
def officer(qtbot: QtBot, store: Store) -> tuple[OfficerWindow, OfficerController, Store]:
    audit = AuditLog(store, Ed25519PrivateKey.generate())
    accounts = Accounts(
        store, audit, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
    admin = accounts.create("admin", "Admin", [Role.ADMIN], "admin-secret", by=None, bootstrap=True)
    accounts.create("budi", "Budi", [Role.OFFICER], "246810", by=admin.principal())
    store.events.add(factories.event("ev-1"))
    store.referrals.add(
        dataclasses.replace(
            factories.referral("rf-1"),
            status=ReferralStatus.OPEN,
            officer_id=None,
            note=None,
            resolved_at=None,
        )
    )
    window = OfficerWindow()
    qtbot.addWidget(window)
    controller = OfficerController(window, accounts, ReferralReview(store, audit))
    return window, controller, store


def test_wrong_pin_is_refused_with_a_message(
    qtbot: QtBot, officer: tuple[OfficerWindow, OfficerController, Store]
) -> None:
    window, controller, _ = officer
    window.login.user.setText("budi")
    window.login.secret.setText("000000")
    with qtbot.waitSignal(controller.error) as blocker:
        window.login.login.click()
    assert blocker.args == ["security.login_failed"]
    assert window.stack.currentWidget() is window.login
    assert window.login.message.text() != ""


def test_officer_reviews_and_clears_a_referral(
    qtbot: QtBot, officer: tuple[OfficerWindow, OfficerController, Store]
) -> None:
    window, controller, store = officer
    window.login.user.setText("budi")
    window.login.secret.setText("246810")
    with qtbot.waitSignal(controller.logged_in):
        window.login.login.click()
    assert window.stack.currentWidget() is window.referrals
    assert window.referrals.items.count() == 1
    window.referrals.items.setCurrentRow(0)
    assert "face_1to1: failed" in window.referrals.details.text()
    window.referrals.note.setPlainText("checked the passport by hand")
    window.referrals.clear.click()
    assert store.referrals.get("rf-1").status is ReferralStatus.CLEARED
    assert window.referrals.items.count() == 0


def test_idle_officer_is_logged_out(qtbot: QtBot, store: Store) -> None:
    audit = AuditLog(store, Ed25519PrivateKey.generate())
    accounts = Accounts(
        store, audit, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
    accounts.create(
        "admin", "Admin", [Role.ADMIN, Role.OFFICER], "admin-secret", by=None, bootstrap=True
    )
    window = OfficerWindow()
    qtbot.addWidget(window)
    controller = OfficerController(
        window, accounts, ReferralReview(store, audit), idle_logout_s=0.2
    )
    window.login.user.setText("admin")
    window.login.secret.setText("admin-secret")
    window.login.login.click()
    assert controller.principal is not None
    qtbot.waitUntil(lambda: controller.principal is None, timeout=3_000)
    assert window.stack.currentWidget() is window.login

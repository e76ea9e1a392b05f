"""``gerbang officer``: the officer window (login, referral review) on this kiosk's store."""

from __future__ import annotations

import os

import click

from kiosk.cli.context import app, open_store
from models.errors import DeviceUnavailableError


def require_display() -> None:
    """Qt needs a screen, or QT_QPA_PLATFORM=offscreen (tests, screenshots)."""
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise DeviceUnavailableError(
            "no display: run on the kiosk's screen (DISPLAY) or, for a test, with QT_QPA_PLATFORM=offscreen"
        )


@click.command()
@click.option(
    "--exit-after", type=float, default=0.0, hidden=True, help="Quit after N seconds (smoke tests)."
)
@click.pass_context
def officer(ctx: click.Context, exit_after: float) -> None:
    """Officer mode: log in, review referrals."""
    require_display()
    settings = app(ctx).start_logging()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from enrollment.accounts import Accounts
    from enrollment.referrals import ReferralReview
    from kiosk.officer.controller import OfficerController
    from kiosk.officer.window import OfficerWindow
    from kiosk.ui.i18n import Translations
    from models.audit import AuditLog

    qt = QApplication.instance() or QApplication([])
    store, keys = open_store(settings)
    try:
        audit = AuditLog(store, keys.signing_key())
        Translations().install(settings.kiosk.language)
        window = OfficerWindow()
        window.retranslate()
        OfficerController(window, Accounts(store, audit), ReferralReview(store, audit))
        window.show()
        if exit_after:
            QTimer.singleShot(int(exit_after * 1000), qt.quit)
        qt.exec()
    finally:
        store.close()


COMMANDS = (officer,)

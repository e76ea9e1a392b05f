"""``gerbang officer``: the officer window (login, referral review) on this kiosk's store."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kiosk.cli.context import app, open_store
from models.errors import DeviceUnavailableError, GerbangError

if TYPE_CHECKING:
    from enrollment.counter_devices import CounterDevices
    from enrollment.faces import DlibFaceEngine
    from models.settings import Settings
    from models.store import Store

log = logging.getLogger(__name__)


def require_display() -> None:
    """Qt needs a screen, or QT_QPA_PLATFORM=offscreen (tests, screenshots)."""
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise DeviceUnavailableError(
            "no display: run on the kiosk's screen (DISPLAY) or, for a test, with QT_QPA_PLATFORM=offscreen"
        )


def counter_devices(
    settings: Settings, base_dir: Path, store: Store, faces: DlibFaceEngine
) -> CounterDevices | None:
    """The counter's devices for enrollment; None (the device buttons stay disabled, the
    files still work) when the settings' devices cannot be built."""
    from enrollment.counter_devices import CounterDevices
    from kiosk.runtime import trust_store

    try:
        return CounterDevices.from_settings(
            settings,
            base_dir,
            lambda: trust_store(settings, base_dir, store),
            faces.models,
            face_lock=faces.lock,
        )
    except GerbangError as exc:
        # by code only: messages can quote what failed (the convention of kiosk/logsetup)
        log.error("enrollment devices unavailable", extra={"code": exc.code})  # noqa: TRY400
        return None


@click.command()
@click.option(
    "--exit-after", type=float, default=0.0, hidden=True, help="Quit after N seconds (smoke tests)."
)
@click.pass_context
def officer(ctx: click.Context, exit_after: float) -> None:
    """Officer mode: log in, review referrals, enroll travellers, manage the watchlist."""
    require_display()
    settings = app(ctx).start_logging()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from biometrics.fingerprint.verify import policy_from_settings
    from enrollment.accounts import Accounts
    from enrollment.faces import DlibFaceEngine
    from enrollment.gallery import FaceGallery
    from kiosk.cli.staffauth import index_dir, index_key
    from kiosk.officer.app import build_officer_app
    from kiosk.officer.window import OfficerWindow
    from kiosk.ui.i18n import Translations
    from models.audit import AuditLog

    qt = QApplication.instance() or QApplication([])
    store, keys = open_store(settings)
    gallery = None
    try:
        audit = AuditLog(store, keys.signing_key())
        gallery = FaceGallery.open(store, index_dir(settings), index_key(settings))
        Translations().install(settings.kiosk.language)
        window = OfficerWindow()
        window.retranslate()
        faces = DlibFaceEngine()
        state = app(ctx)
        base_dir = state.settings_file.parent if state.settings_file else Path.cwd()
        officer_app = build_officer_app(
            window,
            store,
            audit,
            Accounts(store, audit),
            faces,
            gallery,
            office_id=settings.kiosk.office_id,
            kiosk_id=settings.kiosk.id,
            devices=counter_devices(settings, base_dir, store, faces),
            finger_policy=policy_from_settings(settings.calibration.fingerprint),
        )
        window.show()
        if exit_after:
            QTimer.singleShot(int(exit_after * 1000), qt.quit)
        qt.exec()
        officer_app.stop()
    finally:
        if gallery is not None:
            gallery.close()
        store.close()


COMMANDS = (officer,)

"""``gerbang kiosk``: the traveller window on the runtime's real devices."""

from __future__ import annotations

import logging
import signal

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from kiosk.runtime import KioskRuntime
from kiosk.ui.controller import TravellerController
from kiosk.ui.i18n import Translations
from kiosk.ui.window import KioskWindow

log = logging.getLogger(__name__)

POLICY_CHECK_MS = 60_000  # how often the offline policy is evaluated again


class KioskApp:
    """The window, its controller and the offline-policy watch of one runtime."""

    def __init__(self, runtime: KioskRuntime) -> None:
        self.runtime = runtime
        self.window = KioskWindow()
        self.controller = TravellerController(
            self.window, runtime.flow, runtime.services, Translations()
        )
        self._policy_timer = QTimer(self.window)
        self._policy_timer.timeout.connect(self.check_offline_policy)
        self._policy_timer.start(POLICY_CHECK_MS)
        self.check_offline_policy()

    def check_offline_policy(self) -> bool:
        """Close the kiosk to self-service when the offline policy says officer-only."""
        from sync.policy import KioskMode

        status = self.runtime.offline_status()
        closed = status is not None and status.mode is KioskMode.OFFICER_ONLY
        if closed != self.window.idle.closed:
            reasons = [r.value for r in status.reasons] if status is not None else []
            log.warning(
                "kiosk mode changed",
                extra={"outcome": "officer_only" if closed else "normal", "code": reasons},
            )
        self.window.idle.set_closed(closed)
        return closed

    def shutdown(self) -> None:
        self._policy_timer.stop()
        self.controller.shutdown()


def run_kiosk(runtime: KioskRuntime, *, fullscreen: bool) -> int:
    qt = QApplication.instance() or QApplication([])
    assert isinstance(qt, QApplication)  # noqa: S101 - a GUI application, not a core one
    # SIGTERM (systemd stop) and SIGINT end the event loop, so that the runtime closes
    # its devices, the embedding process and the store; a timer lets Python see them.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: qt.quit())
    tick = QTimer()
    tick.timeout.connect(lambda: None)
    tick.start(250)
    app = KioskApp(runtime)
    if fullscreen:
        app.window.showFullScreen()
    else:
        app.window.resize(1280, 1024)
        app.window.show()
    try:
        return qt.exec()
    finally:
        app.shutdown()

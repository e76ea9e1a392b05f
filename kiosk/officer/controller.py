"""Officer controller: login through Accounts, then the referral workflow."""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QWidget

from enrollment.accounts import Accounts
from enrollment.referrals import ReferralReview
from kiosk.officer.window import OfficerWindow
from models.errors import GerbangError
from models.events import ReferralStatus
from models.roles import Principal

log = logging.getLogger(__name__)


class OfficerController(QObject):
    logged_in = Signal(str)
    error = Signal(str)  # error code
    screen_changed = Signal(object)  # the screen now shown

    def __init__(
        self,
        window: OfficerWindow,
        accounts: Accounts,
        review: ReferralReview,
        *,
        idle_logout_s: float = 120.0,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.accounts = accounts
        self.review = review
        self.principal: Principal | None = None
        # Nobody stays logged in at an unattended counter.
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(int(idle_logout_s * 1000))
        self._idle.timeout.connect(self.logout)
        window.installEventFilter(self)
        window.login.submitted.connect(self._login)
        window.referrals.selected.connect(self._select)
        window.referrals.decided.connect(self._decide)
        window.nav.referrals.clicked.connect(lambda: self.show(window.referrals))
        window.nav.enrollment.clicked.connect(lambda: self.show(window.enrollment))
        window.nav.watchlist.clicked.connect(lambda: self.show(window.watchlist))
        window.nav.duplicates.clicked.connect(lambda: self.show(window.duplicates))
        window.nav.logout.clicked.connect(self.logout)
        window.stack.setCurrentWidget(window.login)

    @Slot(str, str)
    def _login(self, user_id: str, secret: str) -> None:
        try:
            self.principal = self.accounts.login(user_id, secret)
        except GerbangError as exc:
            self.window.login.show_error(exc.code)
            self.error.emit(exc.code)
            return
        self.window.login.reset()
        self._idle.start()
        self.logged_in.emit(self.principal.user_id)
        self.refresh()
        self.window.nav.show()
        self.window.stack.setCurrentWidget(self.window.referrals)

    def logout(self) -> None:
        self.principal = None
        self._idle.stop()
        self.window.referrals.show_queue([])
        self.window.referrals.show_details([])
        self.window.enrollment.reset()
        self.window.watchlist.show_entries([])
        self.window.duplicates.show_held([])
        self.window.nav.hide()
        self.window.stack.setCurrentWidget(self.window.login)
        self.screen_changed.emit(self.window.login)

    def show(self, screen: QWidget) -> None:
        """Switch to one of the logged-in screens (nothing without a login)."""
        if self.principal is None:
            return
        self.window.stack.setCurrentWidget(screen)
        self.screen_changed.emit(screen)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if self.principal is not None and event.type() in (
            QEvent.Type.KeyPress,
            QEvent.Type.MouseButtonPress,
        ):
            self._idle.start()
        return False

    def refresh(self) -> None:
        if self.principal is None:
            return
        try:
            queue = self.review.queue(self.principal)
        except GerbangError as exc:
            self.error.emit(exc.code)
            return
        self.window.referrals.show_queue(
            [(r.referral_id, r.reasons[0].value if r.reasons else "") for r in queue]
        )

    @Slot(str)
    def _select(self, referral_id: str) -> None:
        if self.principal is None:
            return
        try:
            evidence = self.review.evidence(referral_id, self.principal)
        except GerbangError as exc:
            self.error.emit(exc.code)
            return
        lines = [f"{r.value}" for r in evidence.referral.reasons]
        if evidence.event is not None:
            lines += [f"{c.name}: {c.outcome.value}" for c in evidence.event.checks]
            lines += [
                f"{s.name}: {s.value:.3f} (threshold {s.threshold})" for s in evidence.event.scores
            ]
        lines.append(f"captures: {len(evidence.captures)}")
        self.window.referrals.show_details(lines)

    @Slot(str, str, str)
    def _decide(self, referral_id: str, status: str, note: str) -> None:
        if self.principal is None:
            return
        try:
            self.review.decide(referral_id, ReferralStatus(status), note, self.principal)
        except GerbangError as exc:
            self.error.emit(exc.code)
            return
        self.refresh()

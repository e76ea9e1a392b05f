"""The officer window: login, then referral review, enrollment, duplicates and the watchlist."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from kiosk.officer.duplicates import DuplicatesView
from kiosk.officer.enrollment import EnrollmentView
from kiosk.officer.login import LoginView
from kiosk.officer.referrals import ReferralsView
from kiosk.officer.style import DESK_STYLESHEET
from kiosk.officer.watchlist import WatchlistView
from kiosk.ui.theme import STYLESHEET


class NavBar(QWidget):
    """The screens of a logged-in officer; hidden at the login screen."""

    def __init__(self) -> None:
        super().__init__()
        self.setStyleSheet(DESK_STYLESHEET)
        self.referrals = QPushButton()
        self.enrollment = QPushButton()
        self.watchlist = QPushButton()
        self.duplicates = QPushButton()
        self.logout = QPushButton()
        layout = QHBoxLayout(self)
        buttons = (self.referrals, self.enrollment, self.duplicates, self.watchlist, self.logout)
        for button in buttons:
            button.setObjectName("nav")
            layout.addWidget(button)
        self.retranslate()

    def retranslate(self) -> None:
        self.referrals.setText(self.tr("Referrals"))
        self.enrollment.setText(self.tr("Enrollment"))
        self.watchlist.setText(self.tr("Watchlist"))
        self.duplicates.setText(self.tr("Duplicates"))
        self.logout.setText(self.tr("Log out"))


class OfficerWindow(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Gerbang — officer")
        self.setStyleSheet(STYLESHEET)
        self.nav = NavBar()
        self.login = LoginView()
        self.referrals = ReferralsView()
        self.enrollment = EnrollmentView()
        self.watchlist = WatchlistView()
        self.duplicates = DuplicatesView()
        self.stack = QStackedWidget()
        for view in (self.login, self.referrals, self.enrollment, self.duplicates, self.watchlist):
            self.stack.addWidget(view)
        layout = QVBoxLayout(self)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack)
        self.nav.hide()
        self.resize(1280, 900)

    def retranslate(self) -> None:
        self.nav.retranslate()
        self.login.retranslate()
        self.referrals.retranslate()
        self.enrollment.retranslate()
        self.watchlist.retranslate()
        self.duplicates.retranslate()

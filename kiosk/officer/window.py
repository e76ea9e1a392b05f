"""The officer window: login, then referral review."""

from __future__ import annotations

from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from kiosk.officer.login import LoginView
from kiosk.officer.referrals import ReferralsView
from kiosk.ui.theme import STYLESHEET


class OfficerWindow(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Gerbang — officer")
        self.setStyleSheet(STYLESHEET)
        self.login = LoginView()
        self.referrals = ReferralsView()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.login)
        self.stack.addWidget(self.referrals)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack)
        self.resize(1280, 900)

    def retranslate(self) -> None:
        self.login.retranslate()
        self.referrals.retranslate()

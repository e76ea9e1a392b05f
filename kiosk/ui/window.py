"""The kiosk window: the screens in a stack and the always-visible "call an officer" button."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from kiosk.traveller.flow import Screen
from kiosk.ui.theme import STYLESHEET
from kiosk.ui.views.decision import DecisionView
from kiosk.ui.views.document import DocumentView
from kiosk.ui.views.face import FaceView
from kiosk.ui.views.fingerprint import FingerprintView
from kiosk.ui.views.idle import IdleView
from kiosk.ui.views.survey import SurveyView


class KioskWindow(QWidget):
    officer_requested = Signal()
    screen_shown = Signal(str)  # the Screen value, after it is on the screen

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Gerbang")
        self.setStyleSheet(STYLESHEET)
        self.idle = IdleView()
        self.document = DocumentView()
        self.face = FaceView()
        self.fingerprint = FingerprintView()
        self.welcome = DecisionView(passed=True)
        self.see_officer = DecisionView(passed=False)
        self.survey = SurveyView()
        self.screens: dict[Screen, QWidget] = {
            Screen.IDLE: self.idle,
            Screen.DOCUMENT: self.document,
            Screen.FACE: self.face,
            Screen.FINGERPRINT: self.fingerprint,
            Screen.WELCOME: self.welcome,
            Screen.SEE_OFFICER: self.see_officer,
            Screen.SURVEY: self.survey,
        }
        self.stack = QStackedWidget()
        for widget in self.screens.values():
            self.stack.addWidget(widget)
        self.officer = QPushButton()
        self.officer.setObjectName("officer")
        self.officer.clicked.connect(self.officer_requested)
        bar = QHBoxLayout()
        bar.addStretch(1)
        bar.addWidget(self.officer)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 30, 20)
        layout.addWidget(self.stack, 1)
        layout.addLayout(bar)
        self.resize(1280, 1024)
        self.retranslate()

    @property
    def current(self) -> Screen:
        widget = self.stack.currentWidget()
        return next(screen for screen, w in self.screens.items() if w is widget)

    def show_screen(self, screen: Screen) -> None:
        self.stack.setCurrentWidget(self.screens[screen])
        self.screen_shown.emit(screen.value)

    def retranslate(self) -> None:
        self.officer.setText(self.tr("Call an officer"))
        for view in (
            self.idle,
            self.document,
            self.face,
            self.fingerprint,
            self.welcome,
            self.see_officer,
            self.survey,
        ):
            view.retranslate()

"""Staff login screen: user id and password/PIN."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLineEdit, QPushButton, QWidget

from kiosk.ui.views.common import column, label


class LoginView(QWidget):
    submitted = Signal(str, str)  # user id, secret
    cancelled = Signal()

    def __init__(self) -> None:
        super().__init__()
        layout = column(self)
        self.title = label("title")
        self.user = QLineEdit()
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = label("guidance")
        self.login = QPushButton()
        self.back = QPushButton()
        self.login.clicked.connect(self._submit)
        self.secret.returnPressed.connect(self._submit)
        self.back.clicked.connect(self.cancelled)
        for widget in (self.title, self.user, self.secret, self.message, self.login, self.back):
            layout.addWidget(widget)
        layout.addStretch(1)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Staff login"))
        self.user.setPlaceholderText(self.tr("User id"))
        self.secret.setPlaceholderText(self.tr("Password or PIN"))
        self.login.setText(self.tr("Log in"))
        self.back.setText(self.tr("Back"))

    def _submit(self) -> None:
        self.submitted.emit(self.user.text().strip(), self.secret.text())
        self.secret.clear()

    def show_error(self, code: str) -> None:
        texts = {
            "security.login_failed": self.tr("Wrong user id or password."),
            "security.account_locked": self.tr(
                "Too many wrong attempts: this account is locked for a while."
            ),
        }
        self.message.setText(texts.get(code, self.tr("Login failed.")))

    def reset(self) -> None:
        self.user.clear()
        self.secret.clear()
        self.message.setText("")

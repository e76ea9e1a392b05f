"""Decision screens: welcome (the gate opens) or please see an officer.

The traveller never sees why a transaction was referred: the reasons go to
the officer's alert, not to this screen.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from kiosk.ui.views.common import column, label


class DecisionView(QWidget):
    def __init__(self, *, passed: bool) -> None:
        super().__init__()
        self.passed = passed
        self.setObjectName("pass" if passed else "refer")
        layout = column(self)
        self.title = label("title")
        self.message = label("subtitle")
        layout.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.retranslate()

    def retranslate(self) -> None:
        if self.passed:
            self.title.setText(self.tr("Welcome"))
            self.message.setText(self.tr("Thank you. The gate is open: please walk through."))
        else:
            self.title.setText(self.tr("Please see an officer"))
            self.message.setText(
                self.tr("An officer will help you now. Please take your passport and wait here.")
            )

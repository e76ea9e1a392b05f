"""One-tap satisfaction survey (1-5)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from kiosk.ui.views.common import column, label


class SurveyView(QWidget):
    answered = Signal(int)  # 1-5, 0 when skipped

    def __init__(self) -> None:
        super().__init__()
        layout = column(self)
        self.title = label("title")
        row = QHBoxLayout()
        self.buttons: list[QPushButton] = []
        for score in range(1, 6):
            button = QPushButton(str(score))
            button.setObjectName("score")
            button.clicked.connect(lambda _=False, s=score: self.answered.emit(s))
            self.buttons.append(button)
            row.addWidget(button)
        self.skip = QPushButton()
        self.skip.clicked.connect(lambda: self.answered.emit(0))
        self.scale = label("subtitle")
        layout.addStretch(1)
        layout.addWidget(self.title)
        layout.addLayout(row)
        layout.addWidget(self.scale)
        layout.addWidget(self.skip)
        layout.addStretch(1)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("How was your experience today?"))
        self.scale.setText(self.tr("1 = very poor, 5 = very good"))
        self.skip.setText(self.tr("Skip"))

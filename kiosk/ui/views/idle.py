"""Attract screen: welcome and language choice."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from kiosk.ui.views.common import column, label


class IdleView(QWidget):
    language_chosen = Signal(str)  # "id" or "en"

    def __init__(self) -> None:
        super().__init__()
        layout = column(self)
        self.title = label("title")
        self.subtitle = label("subtitle")
        # Language names are shown in their own language and never translated.
        self.indonesian = QPushButton("Bahasa Indonesia")
        self.english = QPushButton("English")
        self.indonesian.clicked.connect(lambda: self.language_chosen.emit("id"))
        self.english.clicked.connect(lambda: self.language_chosen.emit("en"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.indonesian)
        buttons.addWidget(self.english)
        layout.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText("Selamat datang · Welcome")
        self.subtitle.setText(
            "Pemeriksaan mandiri paspor · Self-service passport check\n"
            "Pilih bahasa · Choose your language"
        )

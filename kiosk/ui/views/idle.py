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
        self.closed = False
        self.retranslate()

    def set_closed(self, closed: bool) -> None:
        """Officer-only mode (the offline policy): no self-service transaction starts."""
        self.closed = closed
        self.indonesian.setEnabled(not closed)
        self.english.setEnabled(not closed)
        self.retranslate()

    def retranslate(self) -> None:
        # Shown before a language is chosen: both languages at once, never translated.
        self.title.setText("Selamat datang · Welcome")
        if self.closed:
            self.subtitle.setText(
                "Kios ini tidak melayani pemeriksaan mandiri saat ini.\n"
                "Silakan menuju loket petugas.\n"
                "This kiosk is not serving self-service checks now.\n"
                "Please go to the officer's counter."
            )
            return
        self.subtitle.setText(
            "Pemeriksaan mandiri paspor · Self-service passport check\n"
            "Pilih bahasa · Choose your language"
        )

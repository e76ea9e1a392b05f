"""Document screen: place the passport, MRZ and chip read with progress."""

from __future__ import annotations

from PySide6.QtWidgets import QProgressBar, QWidget

from kiosk.ui.views.common import column, label


class DocumentView(QWidget):
    def __init__(self) -> None:
        super().__init__()
        layout = column(self)
        self.title = label("title")
        self.instruction = label("subtitle")
        self.status = label("guidance")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        layout.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(self.instruction)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.show_waiting()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Your passport"))
        self.instruction.setText(
            self.tr("Open your passport at the photo page and place it face down on the reader.")
        )

    def show_waiting(self) -> None:
        self.retranslate()
        self.progress.setValue(0)
        self.status.setText(self.tr("Waiting for your passport…"))

    def show_checks(self, passed: list[str]) -> None:
        """The document checks that passed (only shown when all did: a failure's reason is
        for the officer, never the traveller)."""
        texts = {
            "mrz": self.tr("Passport page read"),
            "chip_read": self.tr("Chip read"),
            "passive_authentication": self.tr("Chip data signed by the issuing country"),
            "chip_authentication": self.tr("Chip is genuine, not a copy"),
            "dg1_matches_mrz": self.tr("Chip data matches the passport page"),
        }
        self.progress.setValue(100)
        self.status.setText("\n".join(f"✓ {texts[c]}" for c in passed if c in texts))

    def show_progress(self, done: int, total: int) -> None:
        self.progress.setValue(int(100 * done / total) if total else 0)
        self.status.setText(self.tr("Reading the chip. Please do not move your passport."))

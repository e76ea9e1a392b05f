"""Fingerprint screen: which finger, attempts, quality feedback."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from kiosk.ui.views.common import column, label


class FingerprintView(QWidget):
    def __init__(self) -> None:
        super().__init__()
        layout = column(self)
        self.title = label("title")
        self.finger = label("subtitle")
        self.pad = label("guidance")  # what to do now (a retry reason)
        self.pulse = label("subtitle")  # the "scanning" animation
        self.feedback = label("subtitle")
        layout.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(self.finger)
        layout.addWidget(self.pad)
        layout.addWidget(self.pulse)
        layout.addWidget(self.feedback)
        layout.addStretch(1)
        self._pulse = 0
        self._timer = QTimer(self)
        self._timer.setInterval(500)
        self._timer.timeout.connect(self._animate)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Fingerprints"))
        self.feedback.setText("")

    def show_request(self, positions: list[str], attempt: int, retries: int) -> None:
        names = {
            "RIGHT_INDEX": self.tr("right index finger"),
            "LEFT_INDEX": self.tr("left index finger"),
            "RIGHT_THUMB": self.tr("right thumb"),
            "LEFT_THUMB": self.tr("left thumb"),
        }
        fingers = self.tr(" and ").join(
            names.get(p, p.replace("_", " ").lower()) for p in positions
        )
        self.finger.setText(self.tr("Place your %1 flat on the glass.").replace("%1", fingers))
        self.feedback.setText(
            self.tr("Attempt %1 of %2").replace("%1", str(attempt)).replace("%2", str(retries))
        )
        self._timer.start()

    def show_retry(self, reason: str) -> None:
        texts = {
            "no_finger": self.tr("No finger found. Press your finger flat on the glass."),
            "finger_moved": self.tr("Your finger moved. Please hold it still."),
            "finger_too_dry": self.tr("Your finger is too dry. Breathe on it and try again."),
            "finger_too_wet": self.tr("Your finger is too wet. Wipe it and try again."),
            "centre_finger": self.tr("Please centre your finger on the glass."),
            "low_quality": self.tr("The print was not clear. Please press a little harder."),
        }
        self.pad.setText(texts.get(reason, self.tr("Please try again.")))

    def stop(self) -> None:
        self._timer.stop()

    def _animate(self) -> None:
        self._pulse = (self._pulse + 1) % 4
        self.pulse.setText("● " * (self._pulse + 1))

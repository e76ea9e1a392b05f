"""Counter enrollment screen (layout only): document, face with its ICAO report, fingers, result."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.officer.style import DESK_STYLESHEET
from kiosk.officer.widgets import fill_list, photo, set_image
from kiosk.ui.views.common import label
from models.biometric import FingerPosition

# Slap positions in the finger list: from a slap scanner or a slap image file, segmented.
SLAPS = (
    FingerPosition.PLAIN_RIGHT_FOUR,
    FingerPosition.PLAIN_LEFT_FOUR,
    FingerPosition.PLAIN_THUMBS,
)


class EnrollmentView(QWidget):
    document_submitted = Signal(str)  # MRZ text
    face_requested = Signal()
    override_submitted = Signal(str, str, str)  # reason, supervisor id, supervisor secret
    finger_requested = Signal(int)  # FingerPosition
    missing_submitted = Signal(int, str)  # FingerPosition, reason
    finish_requested = Signal(bool)  # consent
    receipt_requested = Signal()
    restart_requested = Signal()
    passport_requested = Signal()  # read the passport: document scanner, then the chip
    camera_requested = Signal()  # capture the face from the camera
    scanner_requested = Signal(int)  # FingerPosition, from the fingerprint scanner
    device_cancel_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setStyleSheet(DESK_STYLESHEET)
        self.title = label("title")
        self.mrz = QPlainTextEdit()
        self.mrz.setFixedHeight(90)
        self.use_mrz = QPushButton()
        self.read_passport = QPushButton()
        self.document = label("subtitle")
        self.face_button = QPushButton()
        self.camera_button = QPushButton()
        self.face = photo()
        self.report = QListWidget()
        self.face_status = label("guidance")
        self.override_reason = QLineEdit()
        self.supervisor = QLineEdit()
        self.supervisor_secret = QLineEdit()
        self.supervisor_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.override_button = QPushButton()
        self.position = QComboBox()
        for position in FingerPosition:
            if 1 <= position <= 10 or position in SLAPS:
                self.position.addItem(position.name, int(position))
        self.position.setCurrentIndex(1)  # RIGHT_INDEX
        self.finger_button = QPushButton()
        self.scan_button = QPushButton()
        self.missing_reason = QLineEdit()
        self.missing_button = QPushButton()
        self.fingers = QListWidget()
        self.slap = QWidget()  # the fingertips segmented from the last slap
        self.slap_row = QHBoxLayout(self.slap)
        self.slap_row.setContentsMargins(0, 0, 0, 0)
        self.consent = QCheckBox()
        self.finish = QPushButton()
        self.result = label("guidance")
        self.candidate = photo()
        self.candidates = QListWidget()
        self.receipt = QPushButton()
        self.restart = QPushButton()
        self.device_status = label("guidance")
        self.cancel_device = QPushButton()
        self._devices = (False, False, False)
        self.set_device_busy(False)

        grid = QGridLayout(self)
        grid.addWidget(self.title, 0, 0, 1, 3)
        grid.addWidget(self.mrz, 1, 0, 1, 2)
        document = QVBoxLayout()
        document.addWidget(self.use_mrz)
        document.addWidget(self.read_passport)
        grid.addLayout(document, 1, 2)
        grid.addWidget(self.document, 2, 0, 1, 3)
        grid.addWidget(self.face, 3, 0, 3, 1)
        grid.addWidget(self.report, 3, 1, 2, 1)
        grid.addWidget(self.face_button, 3, 2)
        grid.addWidget(self.camera_button, 4, 2)
        grid.addWidget(self.face_status, 5, 1, 1, 2)
        override = QHBoxLayout()
        for widget in (self.override_reason, self.supervisor, self.supervisor_secret):
            override.addWidget(widget, 2 if widget is self.override_reason else 1)
        override.addWidget(self.override_button)
        grid.addLayout(override, 6, 0, 1, 3)
        finger = QHBoxLayout()
        for control in (
            self.position,
            self.finger_button,
            self.scan_button,
            self.missing_reason,
            self.missing_button,
        ):
            finger.addWidget(control)
        grid.addLayout(finger, 7, 0, 1, 3)
        grid.addWidget(self.fingers, 8, 0, 1, 2)
        grid.addWidget(self.slap, 8, 2)
        grid.addWidget(self.consent, 9, 0, 1, 2)
        grid.addWidget(self.finish, 9, 2)
        grid.addWidget(self.result, 10, 0, 1, 3)
        grid.addWidget(self.candidate, 11, 0)
        grid.addWidget(self.candidates, 11, 1)
        end = QHBoxLayout()
        end.addWidget(self.receipt)
        end.addWidget(self.restart)
        grid.addLayout(end, 11, 2)
        grid.addWidget(self.device_status, 12, 0, 1, 2)
        grid.addWidget(self.cancel_device, 12, 2)

        self.use_mrz.clicked.connect(lambda: self.document_submitted.emit(self.mrz.toPlainText()))
        self.face_button.clicked.connect(self.face_requested)
        self.read_passport.clicked.connect(self.passport_requested)
        self.camera_button.clicked.connect(self.camera_requested)
        self.scan_button.clicked.connect(
            lambda: self.scanner_requested.emit(int(self.position.currentData()))
        )
        self.cancel_device.clicked.connect(self.device_cancel_requested)
        self.override_button.clicked.connect(self._override)
        self.finger_button.clicked.connect(
            lambda: self.finger_requested.emit(int(self.position.currentData()))
        )
        self.missing_button.clicked.connect(
            lambda: self.missing_submitted.emit(
                int(self.position.currentData()), self.missing_reason.text()
            )
        )
        self.finish.clicked.connect(lambda: self.finish_requested.emit(self.consent.isChecked()))
        self.receipt.clicked.connect(self.receipt_requested)
        self.restart.clicked.connect(self.restart_requested)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Enrollment"))
        self.mrz.setPlaceholderText(self.tr("Type the MRZ lines (no chip)"))
        self.use_mrz.setText(self.tr("Use MRZ"))
        self.read_passport.setText(self.tr("Read passport"))
        self.camera_button.setText(self.tr("Capture face"))
        self.scan_button.setText(self.tr("Scan finger"))
        self.cancel_device.setText(self.tr("Stop"))
        self.face_button.setText(self.tr("Face photo…"))
        self.override_reason.setPlaceholderText(self.tr("Override reason (written)"))
        self.supervisor.setPlaceholderText(self.tr("Supervisor id"))
        self.supervisor_secret.setPlaceholderText(self.tr("Supervisor PIN"))
        self.override_button.setText(self.tr("Override"))
        self.finger_button.setText(self.tr("Fingerprint…"))
        self.missing_reason.setPlaceholderText(self.tr("Why the finger is missing"))
        self.missing_button.setText(self.tr("Mark missing"))
        self.consent.setText(self.tr("The traveller consents to the enrollment"))
        self.finish.setText(self.tr("Check duplicates and save"))
        self.receipt.setText(self.tr("Receipt (PDF)…"))
        self.restart.setText(self.tr("Next traveller"))

    # ------------------------------------------------------------------ display
    def show_image(self, target: QLabel, data: bytes | None) -> None:
        set_image(target, data)

    def show_list(self, target: QListWidget, rows: list[tuple[str, bool]]) -> None:
        fill_list(target, rows)

    def _override(self) -> None:
        self.override_submitted.emit(
            self.override_reason.text(), self.supervisor.text(), self.supervisor_secret.text()
        )
        self.supervisor_secret.clear()

    def show_slap(self, tips: list[tuple[str, bytes]]) -> None:
        """The segmented fingertips of a slap: (caption, encoded image) each, left to right."""
        while self.slap_row.count():
            item = self.slap_row.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for caption, data in tips:
            column = QVBoxLayout()
            image = QLabel()
            image.setFixedSize(72, 96)
            set_image(image, data)
            column.addWidget(image)
            text = QLabel(caption)
            text.setWordWrap(True)
            column.addWidget(text)
            cell = QWidget()
            cell.setLayout(column)
            self.slap_row.addWidget(cell)

    def reset(self) -> None:
        self.show_slap([])
        for edit in (self.override_reason, self.supervisor, self.supervisor_secret):
            edit.clear()
        for widget in (self.mrz, self.missing_reason):
            widget.clear()
        for target in (self.report, self.fingers, self.candidates):
            target.clear()
        for text in (
            self.document,
            self.face_status,
            self.result,
            self.face,
            self.candidate,
            self.device_status,
        ):
            text.clear()
        self.consent.setChecked(False)

    def set_devices(self, passport: bool, camera: bool, finger: bool) -> None:
        """Enable the device buttons of the devices the counter has."""
        self._devices = (passport, camera, finger)
        self.set_device_busy(False)

    def set_device_busy(self, busy: bool) -> None:
        """While a device works: only its Stop button; then the buttons of the devices present."""
        buttons = (self.read_passport, self.camera_button, self.scan_button)
        for button, present in zip(buttons, self._devices, strict=True):
            button.setEnabled(present and not busy)
        self.cancel_device.setEnabled(busy)

"""The technician window: login, then devices, camera and threshold calibration."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from kiosk.officer.login import LoginView
from kiosk.technician.camera_view import CameraView
from kiosk.technician.devices_view import DevicesView
from kiosk.technician.thresholds_view import ThresholdsView
from kiosk.ui.theme import STYLESHEET


class TechnicianWindow(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Gerbang — technician")
        self.setStyleSheet(STYLESHEET)
        self.login = LoginView()
        self.devices = DevicesView()
        self.camera = CameraView()
        self.thresholds = ThresholdsView()
        self.stack = QStackedWidget()
        for view in (self.login, self.devices, self.camera, self.thresholds):
            self.stack.addWidget(view)
        self.nav = QWidget()
        bar = QHBoxLayout(self.nav)
        self.to_devices, self.to_camera, self.to_thresholds, self.logout = (
            QPushButton() for _ in range(4)
        )
        for button in (self.to_devices, self.to_camera, self.to_thresholds, self.logout):
            bar.addWidget(button)
        self.to_devices.clicked.connect(lambda: self.stack.setCurrentWidget(self.devices))
        self.to_camera.clicked.connect(lambda: self.stack.setCurrentWidget(self.camera))
        self.to_thresholds.clicked.connect(lambda: self.stack.setCurrentWidget(self.thresholds))
        layout = QVBoxLayout(self)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack)
        self.nav.setVisible(False)
        self.resize(1280, 900)
        self.retranslate()

    def retranslate(self) -> None:
        self.login.retranslate()
        self.devices.retranslate()
        self.camera.retranslate()
        self.thresholds.retranslate()
        self.to_devices.setText(self.tr("Devices"))
        self.to_camera.setText(self.tr("Camera"))
        self.to_thresholds.setText(self.tr("Thresholds"))
        self.logout.setText(self.tr("Log out"))

    def show_login(self) -> None:
        self.nav.setVisible(False)
        self.stack.setCurrentWidget(self.login)

    def show_workbench(self) -> None:
        self.nav.setVisible(True)
        self.stack.setCurrentWidget(self.devices)

"""Camera calibration: live preview, measurement results, save."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from kiosk.ui.views.common import column, label

PREVIEW = (480, 360)


def to_pixmap(image: npt.NDArray[np.uint8], size: tuple[int, int]) -> QPixmap:
    rgb = np.ascontiguousarray(image[:, :, ::-1] if image.ndim == 3 else image)
    fmt = QImage.Format.Format_RGB888 if rgb.ndim == 3 else QImage.Format.Format_Grayscale8
    qimage = QImage(rgb.data, rgb.shape[1], rgb.shape[0], rgb.strides[0], fmt).copy()
    return QPixmap.fromImage(qimage).scaled(
        *size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


class CameraView(QWidget):
    calibrate_requested = Signal(str)  # device id
    save_requested = Signal()
    camera_changed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        layout = column(self)
        self.title = label("title")
        self.cameras = QComboBox()
        self.cameras.currentTextChanged.connect(self.camera_changed)
        self.preview = QLabel()
        self.preview.setFixedSize(*PREVIEW)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.results = label("details")
        self.results.setAlignment(Qt.AlignmentFlag.AlignLeft)
        self.message = label("guidance")
        self.calibrate = QPushButton()
        self.save = QPushButton()
        self.save.setEnabled(False)
        self.calibrate.clicked.connect(
            lambda: self.calibrate_requested.emit(self.cameras.currentText())
        )
        self.save.clicked.connect(self.save_requested)
        row = QHBoxLayout()
        row.addWidget(self.preview)
        row.addWidget(self.results, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.calibrate)
        buttons.addWidget(self.save)
        layout.addWidget(self.title)
        layout.addWidget(self.cameras)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Camera calibration"))
        self.calibrate.setText(self.tr("Measure"))
        self.save.setText(self.tr("Save recommended settings"))

    def advice_text(self, code: str) -> str:
        texts = {
            "increase_exposure": self.tr("Too dark: increase the exposure or the light."),
            "decrease_exposure": self.tr("Too bright: decrease the exposure."),
            "highlights_clipped": self.tr("Highlights are clipped."),
            "shadows_clipped": self.tr("Shadows are clipped."),
            "out_of_focus": self.tr("The picture is blurred: adjust the focus."),
            "white_balance": self.tr("Colour cast: adjust the white balance."),
            "face_too_small": self.tr("The face is too small: move the camera closer or zoom in."),
            "face_too_large": self.tr("The face is too large: move the camera back."),
        }
        return texts.get(code, code)

    def set_cameras(self, ids: list[str]) -> None:
        self.cameras.clear()
        self.cameras.addItems(ids)

    def show_frame(self, image: npt.NDArray[np.uint8]) -> None:
        self.preview.setPixmap(to_pixmap(image, PREVIEW))

    def show_busy(self) -> None:
        self.message.setText(self.tr("Measuring… keep the test chart in front of the camera."))
        self.calibrate.setEnabled(False)

    def show_result(self, result: dict[str, Any]) -> None:
        focus, exposure = result["focus"], result["exposure"]
        gains = result["white_balance"]["gains_bgr"]
        face = result["face"].get("inter_eye_px")
        lines = [
            self.tr("Sharpness: %1").replace("%1", f"{focus['sharpness_median']:.0f}"),
            self.tr("Best focus: %1").replace("%1", str(focus.get("best_focus", "-"))),
            self.tr("Brightness: %1 (clipped %2%)")
            .replace("%1", f"{exposure['mean']:.0f}")
            .replace("%2", f"{100 * (exposure['clipped_low'] + exposure['clipped_high']):.1f}"),
            self.tr("White balance gains B/G/R: %1").replace(
                "%1", " / ".join(f"{g:.2f}" for g in gains)
            ),
            self.tr("Inter-eye distance: %1 px").replace(
                "%1", "-" if face is None else f"{face:.0f}"
            ),
        ]
        self.results.setText("\n".join(lines))
        advice = [self.advice_text(code) for code in result["advice"]]
        self.message.setText("\n".join(advice) or self.tr("The camera is well set up."))
        self.calibrate.setEnabled(True)
        self.save.setEnabled(True)

    def show_error(self, code: str) -> None:
        self.message.setText(self.tr("Failed: %1").replace("%1", code))
        self.calibrate.setEnabled(True)

    def show_saved(self) -> None:
        self.message.setText(self.tr("Saved and recorded in the audit log."))
        self.save.setEnabled(False)

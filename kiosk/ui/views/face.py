"""Face screen: live preview with a framing guide and guidance prompts."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QLabel, QWidget

from kiosk.ui.views.common import column, label

PREVIEW_W, PREVIEW_H = 640, 480


class FaceView(QWidget):
    frame_shown = Signal()  # a camera frame is on the preview

    def __init__(self) -> None:
        super().__init__()
        layout = column(self)
        self.title = label("title")
        self.preview = QLabel()
        self.preview.setFixedSize(PREVIEW_W, PREVIEW_H)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.guidance = label("guidance")
        layout.addWidget(self.title)
        layout.addWidget(self.preview, alignment=Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.guidance)
        self.show_frame(np.zeros((PREVIEW_H, PREVIEW_W, 3), dtype=np.uint8))
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Look at the camera"))
        self.guidance.setText(self.tr("Keep your face inside the oval."))

    def show_frame(self, frame: npt.NDArray[np.uint8]) -> None:
        rgb = (
            np.ascontiguousarray(frame[:, :, ::-1])
            if frame.ndim == 3
            else np.ascontiguousarray(frame)
        )
        height, width = rgb.shape[:2]
        fmt = QImage.Format.Format_RGB888 if rgb.ndim == 3 else QImage.Format.Format_Grayscale8
        image = QImage(rgb.data, width, height, rgb.strides[0], fmt).copy()
        pixmap = QPixmap.fromImage(image).scaled(
            PREVIEW_W,
            PREVIEW_H,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        painter = QPainter(pixmap)
        painter.setPen(QPen(QColor("#ffd23f"), 6))
        w, h = pixmap.width(), pixmap.height()
        painter.drawEllipse(QRectF(w * 0.3, h * 0.12, w * 0.4, h * 0.7))
        painter.end()
        self.preview.setPixmap(pixmap)
        self.frame_shown.emit()

    def show_guidance(self, codes: list[str]) -> None:
        texts = self.texts()
        shown = [texts[c] for c in codes if c in texts]
        self.guidance.setText(shown[0] if shown else self.tr("Keep your face inside the oval."))

    def texts(self) -> dict[str, str]:
        """The prompt of each guidance code the face step sends (kiosk.traveller.face_step)."""
        return {
            "come_closer": self.tr("Please come a little closer."),
            "move_back": self.tr("Please step back a little."),
            "look_straight": self.tr("Please look straight at the screen."),
            "more_light": self.tr("Please face the light."),
            "less_light": self.tr("Too much light: please step out of the bright light."),
            "even_light": self.tr("Please turn so that your whole face is lit evenly."),
            "open_eyes": self.tr("Please keep your eyes open."),
            "close_mouth": self.tr("Please close your mouth."),
            "keep_still": self.tr("Please keep still."),
            "remove_glasses": self.tr("Please take off your glasses."),
            "remove_hat": self.tr("Please take off your hat."),
            "centre_face": self.tr("Please move your face into the oval."),
            "blink": self.tr("Please blink."),
            "turn_left": self.tr("Please turn your head slowly to the left."),
            "turn_right": self.tr("Please turn your head slowly to the right."),
            "one_person": self.tr("Only one person in front of the camera, please."),
        }

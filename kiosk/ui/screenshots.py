"""Render every traveller screen in both languages to PNG (for the README and reviews)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PySide6.QtWidgets import QApplication

from kiosk.traveller.flow import Screen
from kiosk.ui.i18n import Translations
from kiosk.ui.window import KioskWindow
from models.settings import Language


def synthetic_frame() -> npt.NDArray[np.uint8]:
    """A drawn stand-in for a camera frame (never a real person's face)."""
    frame = np.full((480, 640, 3), (70, 60, 50), dtype=np.uint8)
    cv2.ellipse(frame, (320, 250), (95, 125), 0, 0, 360, (150, 175, 205), -1)
    for x in (285, 355):
        cv2.circle(frame, (x, 225), 11, (60, 40, 30), -1)
    cv2.ellipse(frame, (320, 305), (35, 14), 0, 0, 180, (70, 70, 140), 4)
    return frame


def render_all(out_dir: Path, *, size: tuple[int, int] = (1280, 1024)) -> list[Path]:
    app = QApplication.instance() or QApplication([])
    out_dir.mkdir(parents=True, exist_ok=True)
    window = KioskWindow()
    window.resize(*size)
    translations = Translations()
    written: list[Path] = []
    for language in (Language.INDONESIAN, Language.ENGLISH):
        translations.install(language)
        window.retranslate()
        window.document.show_progress(12_000, 20_000)
        window.face.show_frame(synthetic_frame())
        window.face.show_guidance(["come_closer"])
        window.fingerprint.show_request(["RIGHT_INDEX", "LEFT_INDEX"], 1, 3)
        window.fingerprint.stop()
        window.fingerprint.show_retry("finger_moved")
        for screen in Screen:
            window.show_screen(screen)
            app.processEvents()
            path = out_dir / f"{screen.value}_{language.value}.png"
            if not window.grab().save(str(path)):
                raise OSError(f"cannot write {path}")
            written.append(path)
    window.close()
    return written

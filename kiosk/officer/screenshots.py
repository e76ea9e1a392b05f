"""Render the officer screens in both languages to PNG, filled with made-up sample data.

The faces shown are the drawn stand-in of the traveller screenshots, never a
real person's photo; names and ids are invented.
"""

from __future__ import annotations

from pathlib import Path

import cv2
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QWidget

from kiosk.officer.window import OfficerWindow
from kiosk.ui.i18n import Translations
from kiosk.ui.screenshots import synthetic_frame
from models.settings import Language

_REPORT = [
    ("single_face: 1.00 (exactly 1)", True),
    ("eye_distance: 112.40 (>= 90 px)", True),
    ("yaw: 1.80 (|yaw| <= 5°)", True),
    ("pitch: 7.20 (|pitch| <= 5°)", False),
    ("eye_line_height: 0.41 (0.3 to 0.5 of the image)", True),
    ("sharp: 88.00 (score >= 50)", True),
]
_ENTRIES = [
    ("e1", ["BUDI SANTOSO", "wanted", "POLRI", "2027-01-31", "yes", "1"]),
    ("e2", ["RINA WULANDARI", "narcotics", "BNN", "-", "yes", "1"]),
    ("e3", ["JOKO PRASETYO", "travel_ban", "IMIGRASI", "2026-10-01", "no", "0"]),
]


def _png(frame_bgr: object) -> bytes:
    ok, encoded = cv2.imencode(".png", frame_bgr)  # type: ignore[call-overload]
    if not ok:
        raise OSError("cannot encode the sample face")
    return bytes(encoded.tobytes())


def _fill(window: OfficerWindow) -> None:
    def translated(context: str, text: str) -> str:
        return QCoreApplication.translate(context, text)

    face = _png(cv2.cvtColor(synthetic_frame(), cv2.COLOR_RGB2BGR))
    view = window.enrollment
    view.mrz.setPlainText(
        "P<IDNSIREGAR<<MARIA<ULINA<<<<<<<<<<<<<<<<<<<\nC7777777<9IDN8803148X3101090<<<<<<<<<<<<<<04"
    )
    view.document.setText("SIREGAR, MARIA ULINA · IDN · IDN C7777777")
    view.show_image(view.face, face)
    view.show_image(view.candidate, face)
    view.show_list(view.report, _REPORT)
    view.face_status.setText(translated("EnrollmentController", "Override approved."))
    view.override_reason.setText("neck brace after an accident")
    view.show_list(
        view.fingers,
        [("RIGHT_INDEX #1: retry (22.0)", False), ("RIGHT_INDEX #2: accepted (64.0)", True)],
    )
    view.consent.setChecked(True)
    view.result.setText(
        translated(
            "EnrollmentController",
            "Possible duplicate: held for a supervisor. Compare the faces side by side.",
        )
    )
    view.show_list(view.candidates, [("travellers · 6ea5b7e1 · 0.981", False)])
    wl = window.watchlist
    wl.show_entries(_ENTRIES)
    wl.source.setText("POLRI")
    wl.progress.setRange(0, 100)
    wl.progress.setValue(100)
    wl.summary.setText(
        translated(
            "WatchlistController", "%1 persons, %2 faces, %3 fingerprints imported; %4 rejected"
        )
        .replace("%1", "14")
        .replace("%2", "5")
        .replace("%3", "15")
        .replace("%4", "64")
    )
    wl.rejected.addItem("valid1.10.an2 · Type-17 record 2: Type-17 iris image")
    dup = window.duplicates
    dup.show_held([("h1", "2026-11-25 09:14 · budi · 1c2d8534")])
    dup.show_case(face, face, ["travellers · 6ea5b7e1 · 0.981"])
    dup.message.setText("MARIA ULINA SIREGAR")


def render_officer(out_dir: Path, *, size: tuple[int, int] = (1280, 1024)) -> list[Path]:
    app = QApplication.instance() or QApplication([])
    out_dir.mkdir(parents=True, exist_ok=True)
    window = OfficerWindow()
    window.resize(*size)
    translations = Translations()
    written: list[Path] = []
    screens: list[tuple[str, QWidget]] = [
        ("officer_login", window.login),
        ("officer_enrollment", window.enrollment),
        ("officer_watchlist", window.watchlist),
        ("officer_duplicates", window.duplicates),
    ]
    for language in (Language.INDONESIAN, Language.ENGLISH):
        translations.install(language)
        window.retranslate()
        _fill(window)
        for name, screen in screens:
            window.nav.setVisible(screen is not window.login)
            window.stack.setCurrentWidget(screen)
            app.processEvents()
            path = out_dir / f"{name}_{language.value}.png"
            if not window.grab().save(str(path)):
                raise OSError(f"cannot write {path}")
            written.append(path)
        window.enrollment.reset()
        window.watchlist.rejected.clear()
        window.duplicates.show_held([])
    window.close()
    return written

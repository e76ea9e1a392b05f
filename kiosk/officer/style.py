"""Denser styling for the officer's desk screens (seen up close, many controls)."""

from __future__ import annotations

from kiosk.ui.theme import ACCENT, BACKGROUND, FOREGROUND

DESK_STYLESHEET = f"""
QWidget {{ font-size: 18px; }}
QLabel#title {{ font-size: 30px; font-weight: bold; }}
QLabel#subtitle {{ font-size: 20px; }}
QLabel#guidance {{ font-size: 20px; font-weight: bold; color: {ACCENT}; }}
QPushButton {{
    background: {FOREGROUND};
    color: {BACKGROUND};
    border-radius: 8px;
    padding: 8px 16px;
    min-height: 40px;
    min-width: 120px;
    font-size: 18px;
    font-weight: bold;
}}
QPushButton#nav {{ min-width: 160px; }}
QProgressBar {{ min-height: 28px; font-size: 16px; }}
QLabel#photo {{ border: 2px solid {FOREGROUND}; min-width: 240px; min-height: 300px; }}
"""

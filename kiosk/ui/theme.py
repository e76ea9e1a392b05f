"""High-contrast, large-type styling readable at arm's length."""

from __future__ import annotations

BACKGROUND = "#0b1f3a"
FOREGROUND = "#ffffff"
ACCENT = "#ffd23f"
PASSED_GREEN = "#1b7f3b"
REFERRED_AMBER = "#b35c00"

STYLESHEET = f"""
QWidget {{
    background: {BACKGROUND};
    color: {FOREGROUND};
    font-family: "DejaVu Sans";
    font-size: 28px;
}}
QLabel#title {{ font-size: 54px; font-weight: bold; }}
QLabel#subtitle {{ font-size: 34px; }}
QLabel#guidance {{ font-size: 40px; font-weight: bold; color: {ACCENT}; }}
QPushButton {{
    background: {FOREGROUND};
    color: {BACKGROUND};
    border-radius: 18px;
    padding: 24px 40px;
    min-height: 96px;
    min-width: 220px;
    font-size: 34px;
    font-weight: bold;
}}
QPushButton:pressed {{ background: {ACCENT}; }}
QPushButton#score {{ min-width: 120px; padding: 24px 10px; font-size: 48px; }}
QPushButton#officer {{ background: {ACCENT}; color: #000000; min-height: 80px; font-size: 28px; }}
QProgressBar {{
    border: 3px solid {FOREGROUND};
    border-radius: 12px;
    min-height: 48px;
    text-align: center;
    font-size: 26px;
}}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 8px; }}
QWidget#pass {{ background: {PASSED_GREEN}; }}
QWidget#refer {{ background: {REFERRED_AMBER}; }}
"""

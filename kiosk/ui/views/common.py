"""Small layout helpers shared by the screens."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


def label(name: str, *, wrap: bool = True) -> QLabel:
    widget = QLabel()
    widget.setObjectName(name)
    widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
    widget.setWordWrap(wrap)
    return widget


def column(parent: QWidget) -> QVBoxLayout:
    layout = QVBoxLayout(parent)
    layout.setContentsMargins(60, 40, 60, 40)
    layout.setSpacing(30)
    return layout

"""Small display helpers shared by the officer's desk screens."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem

from kiosk.ui.views.common import label


def photo() -> QLabel:
    """A fixed-size frame for a face (portrait proportions)."""
    widget = label("photo")
    widget.setFixedSize(240, 300)
    return widget


def set_image(target: QLabel, data: bytes | None) -> None:
    """Show encoded image bytes (JPEG, PNG ...) scaled into ``target``; clear it if none."""
    pixmap = QPixmap()
    if data is None or not pixmap.loadFromData(data):
        target.clear()
        return
    target.setPixmap(pixmap.scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio))


def fill_list(target: QListWidget, rows: list[tuple[str, bool]]) -> None:
    """Rows of (text, good): the bad ones are marked and stand out."""
    target.clear()
    for text, good in rows:
        item = QListWidgetItem(("✓ " if good else "✗ ") + text)
        if not good:
            item.setForeground(Qt.GlobalColor.yellow)
        target.addItem(item)

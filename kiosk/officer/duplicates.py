"""Possible duplicates screen (layout only): held enrollments, faces side by side, the decision."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from kiosk.officer.style import DESK_STYLESHEET
from kiosk.officer.widgets import photo, set_image
from kiosk.ui.views.common import label


class DuplicatesView(QWidget):
    selected = Signal(str)  # enrollment id
    decided = Signal(str, bool, str)  # enrollment id, same person, note

    def __init__(self) -> None:
        super().__init__()
        self.setStyleSheet(DESK_STYLESHEET)
        self.title = label("title")
        self.held = QListWidget()
        self.new_face = photo()
        self.old_face = photo()
        self.candidates = QListWidget()
        self.message = label("guidance")
        self.note = QPlainTextEdit()
        self.note.setFixedHeight(80)
        self.same = QPushButton()
        self.different = QPushButton()
        grid = QGridLayout(self)
        grid.addWidget(self.title, 0, 0, 1, 3)
        grid.addWidget(self.held, 1, 0, 1, 3)
        grid.addWidget(self.new_face, 2, 0)
        grid.addWidget(self.old_face, 2, 1)
        grid.addWidget(self.candidates, 2, 2)
        grid.addWidget(self.message, 3, 0, 1, 3)
        grid.addWidget(self.note, 4, 0, 1, 3)
        grid.addWidget(self.same, 5, 0)
        grid.addWidget(self.different, 5, 1)
        self.held.currentItemChanged.connect(self._changed)
        self.same.clicked.connect(lambda: self._decide(True))
        self.different.clicked.connect(lambda: self._decide(False))
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Possible duplicates"))
        self.note.setPlaceholderText(self.tr("Your note (required)"))
        self.same.setText(self.tr("Same person: revoke"))
        self.different.setText(self.tr("Different people: activate"))

    def show_held(self, rows: list[tuple[str, str]]) -> None:
        """``rows``: (enrollment id, text)."""
        self.held.clear()
        for enrollment_id, text in rows:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, enrollment_id)
            self.held.addItem(item)
        self.new_face.clear()
        self.old_face.clear()
        self.candidates.clear()

    def show_case(self, new: bytes | None, old: bytes | None, candidates: list[str]) -> None:
        set_image(self.new_face, new)
        set_image(self.old_face, old)
        self.candidates.clear()
        self.candidates.addItems(candidates)

    def _changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is not None:
            self.selected.emit(str(current.data(Qt.ItemDataRole.UserRole)))

    def _decide(self, same: bool) -> None:
        current = self.held.currentItem()
        if current is not None:
            self.decided.emit(
                str(current.data(Qt.ItemDataRole.UserRole)), same, self.note.toPlainText()
            )
            self.note.clear()

"""Watchlist screen (layout only): the entries, an import with progress, expire and remove."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk.officer.style import DESK_STYLESHEET
from kiosk.ui.views.common import label
from models.watchlist import WatchlistCategory


class WatchlistView(QWidget):
    import_requested = Signal(str, str)  # source agency, category
    expire_requested = Signal(str)  # entry id
    remove_requested = Signal(str, str)  # entry id, reason

    def __init__(self) -> None:
        super().__init__()
        self.setStyleSheet(DESK_STYLESHEET)
        self.title = label("title")
        self.table = QTableWidget(0, 6)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.source = QLineEdit()
        self.category = QComboBox()
        for category in WatchlistCategory:
            self.category.addItem(category.value, category.value)
        self.import_button = QPushButton()
        self.progress = QProgressBar()
        self.summary = label("subtitle")
        self.rejected = QListWidget()
        self.reason = QLineEdit()
        self.expire = QPushButton()
        self.remove = QPushButton()

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 3)
        actions = QHBoxLayout()
        for widget in (self.reason, self.expire, self.remove):
            actions.addWidget(widget)
        layout.addLayout(actions)
        importing = QHBoxLayout()
        for control in (self.source, self.category, self.import_button):
            importing.addWidget(control)
        layout.addLayout(importing)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addWidget(self.rejected, 1)

        self.import_button.clicked.connect(
            lambda: self.import_requested.emit(self.source.text(), str(self.category.currentData()))
        )
        self.expire.clicked.connect(self._expire)
        self.remove.clicked.connect(self._remove)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Watchlist"))
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Name"),
                self.tr("Category"),
                self.tr("Source"),
                self.tr("Valid until"),
                self.tr("Active"),
                self.tr("Faces"),
            ]
        )
        self.source.setPlaceholderText(self.tr("Source agency"))
        self.import_button.setText(self.tr("Import files…"))
        self.reason.setPlaceholderText(self.tr("Reason for removal"))
        self.expire.setText(self.tr("Expire"))
        self.remove.setText(self.tr("Remove"))

    def show_entries(self, rows: list[tuple[str, list[str]]]) -> None:
        """``rows``: (entry id, the six column texts)."""
        self.table.setRowCount(len(rows))
        for r, (entry_id, cells) in enumerate(rows):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, entry_id)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()

    def selected(self) -> str | None:
        item = self.table.item(self.table.currentRow(), 0)
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def _expire(self) -> None:
        entry_id = self.selected()
        if entry_id is not None:
            self.expire_requested.emit(entry_id)

    def _remove(self) -> None:
        entry_id = self.selected()
        if entry_id is not None:
            self.remove_requested.emit(entry_id, self.reason.text())
            self.reason.clear()

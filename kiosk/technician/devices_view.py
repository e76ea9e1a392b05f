"""Device list with health: id, kind, backend, state, detail, driver."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHeaderView, QPushButton, QTableWidget, QTableWidgetItem, QWidget

from kiosk.ui.views.common import column, label

COLUMNS = ("id", "kind", "backend", "state", "detail", "driver")


class DevicesView(QWidget):
    refresh_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        layout = column(self)
        self.title = label("title")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.status = label("guidance")
        self.refresh = QPushButton()
        self.refresh.clicked.connect(self.refresh_requested)
        for widget in (self.title, self.table, self.status, self.refresh):
            layout.addWidget(widget)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Devices"))
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Device"),
                self.tr("Kind"),
                self.tr("Backend"),
                self.tr("State"),
                self.tr("Detail"),
                self.tr("Driver"),
            ]
        )
        self.refresh.setText(self.tr("Check again"))

    def show_devices(self, rows: list[dict[str, Any]]) -> None:
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, key in enumerate(COLUMNS):
                self.table.setItem(r, c, QTableWidgetItem(str(row.get(key) or "")))
        ready = sum(1 for row in rows if row.get("state") in ("ready", "busy"))
        self.status.setText(
            self.tr("Ready: %1 of %2").replace("%1", str(ready)).replace("%2", str(len(rows)))
        )

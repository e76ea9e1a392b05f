"""Referral review screen: open referrals, their evidence and the officer's decision."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from kiosk.ui.views.common import column, label


class ReferralsView(QWidget):
    selected = Signal(str)  # referral id
    decided = Signal(str, str, str)  # referral id, status, note

    def __init__(self) -> None:
        super().__init__()
        layout = column(self)
        self.title = label("title")
        self.items = QListWidget()
        self.details = label("subtitle")
        self.note = QPlainTextEdit()
        self.clear = QPushButton()
        self.refuse = QPushButton()
        self.escalate = QPushButton()
        buttons = QHBoxLayout()
        for button, status in (
            (self.clear, "cleared"),
            (self.refuse, "refused"),
            (self.escalate, "escalated"),
        ):
            button.clicked.connect(lambda _=False, s=status: self._decide(s))
            buttons.addWidget(button)
        self.items.currentItemChanged.connect(self._changed)
        for widget in (self.title, self.items, self.details, self.note):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Referrals"))
        self.note.setPlaceholderText(self.tr("Your note (required)"))
        self.clear.setText(self.tr("Clear"))
        self.refuse.setText(self.tr("Refuse"))
        self.escalate.setText(self.tr("Escalate"))

    def show_queue(self, rows: list[tuple[str, str]]) -> None:
        """``rows``: (referral id, first reason code)."""
        self.items.clear()
        for referral_id, reason in rows:
            item = QListWidgetItem(f"{reason} · {referral_id[:8]}")
            item.setData(Qt.ItemDataRole.UserRole, referral_id)
            self.items.addItem(item)
        if not rows:
            self.details.setText(self.tr("No open referrals."))

    def show_details(self, lines: list[str]) -> None:
        self.details.setText("\n".join(lines))

    def _changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is not None:
            self.selected.emit(str(current.data(Qt.ItemDataRole.UserRole)))

    def _decide(self, status: str) -> None:
        current = self.items.currentItem()
        if current is not None:
            self.decided.emit(
                str(current.data(Qt.ItemDataRole.UserRole)), status, self.note.toPlainText()
            )
            self.note.clear()

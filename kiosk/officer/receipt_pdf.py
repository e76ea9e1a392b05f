"""The enrollment receipt as PDF (QTextDocument on a QPdfWriter)."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QGuiApplication, QPageLayout, QPageSize, QPdfWriter, QTextDocument
from PySide6.QtWidgets import QApplication

_apps: list[QApplication] = []  # keeps a CLI-made application alive


def write_pdf(html: str, path: Path) -> None:
    """Render the receipt's HTML to an A4 PDF at ``path`` (owner-only: personal data)."""
    if QGuiApplication.instance() is None:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        # a QApplication (not only a QGuiApplication): widgets may come later in this process
        _apps.append(QApplication([]))
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)
    writer.setTitle("Enrollment receipt")
    document = QTextDocument()
    document.setHtml(html)
    document.print_(writer)
    del writer  # flushes and closes the file
    path.chmod(0o600)

"""Threshold calibration: dataset folder, target FMR, results with the DET plot, save."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from kiosk.ui.views.common import column, label

TARGETS = (0.01, 0.001, 0.0001)
PLOT = (420, 420)


class ThresholdsView(QWidget):
    run_requested = Signal(str, float)  # dataset folder, target FMR
    save_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        layout = column(self)
        self.title = label("title")
        self.folder = QLineEdit()
        self.target = QComboBox()
        for fmr in TARGETS:
            self.target.addItem(f"{fmr * 100:g}%", fmr)
        self.target.setCurrentIndex(1)
        self.run = QPushButton()
        self.save = QPushButton()
        self.save.setEnabled(False)
        self.results = label("details")
        self.results.setAlignment(Qt.AlignmentFlag.AlignLeft)
        self.plot = QLabel()
        self.plot.setFixedSize(*PLOT)
        self.message = label("guidance")
        self.run.clicked.connect(
            lambda: self.run_requested.emit(
                self.folder.text().strip(), float(self.target.currentData())
            )
        )
        self.save.clicked.connect(self.save_requested)
        inputs = QHBoxLayout()
        inputs.addWidget(self.folder, 1)
        inputs.addWidget(self.target)
        inputs.addWidget(self.run)
        body = QHBoxLayout()
        body.addWidget(self.plot)
        body.addWidget(self.results, 1)
        layout.addWidget(self.title)
        layout.addLayout(inputs)
        layout.addLayout(body)
        layout.addWidget(self.message)
        layout.addWidget(self.save)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Threshold calibration"))
        self.folder.setPlaceholderText(self.tr("Dataset folder (one folder of images per person)"))
        self.run.setText(self.tr("Run evaluation"))
        self.save.setText(self.tr("Use as the kiosk's operating point"))

    def show_busy(self) -> None:
        self.message.setText(self.tr("Evaluating… this takes a while."))
        self.run.setEnabled(False)

    def show_result(self, report: dict[str, Any], plot: Path | None) -> None:
        accept, reject = report["accept"], report["reject"]
        lines = [
            self.tr("Pairs: %1 genuine, %2 impostor")
            .replace("%1", str(report["genuine_pairs"]))
            .replace("%2", str(report["impostor_pairs"])),
            self.tr("Equal error rate: %1%").replace("%1", f"{report['eer'] * 100:.2f}"),
            self.tr("Accept at %1 (FMR %2%, FNMR %3%)")
            .replace("%1", f"{accept['threshold']:.4f}")
            .replace("%2", f"{accept['fmr'] * 100:.3f}")
            .replace("%3", f"{accept['fnmr'] * 100:.2f}"),
            self.tr("Reject below %1 (FMR %2%, FNMR %3%)")
            .replace("%1", f"{reject['threshold']:.4f}")
            .replace("%2", f"{reject['fmr'] * 100:.3f}")
            .replace("%3", f"{reject['fnmr'] * 100:.2f}"),
        ]
        if report["resolution_limited"]:
            lines.append(
                self.tr(
                    "Too few impostor pairs to measure this FMR: the threshold is conservative."
                )
            )
        self.results.setText("\n".join(lines))
        if plot is not None:
            self.plot.setPixmap(
                QPixmap(str(plot)).scaled(*PLOT, Qt.AspectRatioMode.KeepAspectRatio)
            )
        self.message.setText("")
        self.run.setEnabled(True)
        self.save.setEnabled(True)

    def show_error(self, code: str) -> None:
        self.message.setText(self.tr("Failed: %1").replace("%1", code))
        self.run.setEnabled(True)

    def show_saved(self) -> None:
        self.message.setText(self.tr("Saved and recorded in the audit log."))
        self.save.setEnabled(False)

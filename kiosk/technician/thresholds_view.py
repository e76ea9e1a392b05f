"""Threshold calibration: face or fingerprint, dataset folder(s), target FMR, results with the
DET plot, save. Fingerprint folders may be several, separated by ``;`` (pooled)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QWidget,
)

from kiosk.ui.views.common import column, label

TARGETS = (0.01, 0.001, 0.0001)
PLOT = (420, 420)
FACE, FINGERPRINT = "face", "fingerprint"


def _rated(text: str, result: dict[str, Any], digits: int) -> str:
    """``text`` (translated) with %1 threshold, %2 FMR and %3 FNMR (in %) of ``result``."""
    return (
        text.replace("%1", f"{result['threshold']:.{digits}f}")
        .replace("%2", f"{result['fmr'] * 100:.3f}")
        .replace("%3", f"{result['fnmr'] * 100:.2f}")
    )


class ThresholdsView(QWidget):
    run_requested = Signal(str, str, float)  # modality, dataset folder(s), target FMR
    save_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        layout = column(self)
        self.title = label("title")
        self.modality = QComboBox()
        self.modality.addItem("", FACE)
        self.modality.addItem("", FINGERPRINT)
        self.modality.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.modality.currentIndexChanged.connect(self._modality_changed)
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
                str(self.modality.currentData()),
                self.folder.text().strip(),
                float(self.target.currentData()),
            )
        )
        self.save.clicked.connect(self.save_requested)
        inputs = QHBoxLayout()
        inputs.addWidget(self.modality)
        inputs.addWidget(self.folder, 1)
        inputs.addWidget(self.target)
        inputs.addWidget(self.run)
        # the fingerprint report (two matchers, one and two fingers) is longer than the
        # page: it scrolls beside the plot instead of pushing the save button away
        self.results.setWordWrap(True)
        self.results_area = QScrollArea()
        self.results_area.setWidget(self.results)
        self.results_area.setWidgetResizable(True)
        self.results_area.setFrameShape(QFrame.Shape.NoFrame)
        self.results_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results_area.setStyleSheet(
            "QScrollArea, QScrollArea > QWidget > QWidget { background: transparent; }"
            "QScrollBar:vertical { width: 24px; background: rgba(255, 255, 255, 40); }"
            "QScrollBar::handle:vertical { background: white; min-height: 48px; }"
        )
        self.results_area.setMinimumHeight(PLOT[1])
        body = QHBoxLayout()
        body.addWidget(self.plot, 0, Qt.AlignmentFlag.AlignTop)
        body.addWidget(self.results_area, 1)
        layout.addWidget(self.title)
        layout.addLayout(inputs)
        layout.addLayout(body, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.save)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Threshold calibration"))
        self.modality.setItemText(0, self.tr("Face"))
        self.modality.setItemText(1, self.tr("Fingerprint"))
        self._placeholder()
        self.run.setText(self.tr("Run evaluation"))
        self.save.setText(self.tr("Use as the kiosk's operating point"))

    def _placeholder(self) -> None:
        if self.modality.currentData() == FINGERPRINT:
            self.folder.setPlaceholderText(
                self.tr("Print folders, separated by ';' (FVC layout or one folder per finger)")
            )
        else:
            self.folder.setPlaceholderText(
                self.tr("Dataset folder (one folder of images per person)")
            )

    def _modality_changed(self) -> None:
        self._placeholder()
        self.results.setText("")
        self.plot.clear()
        self.message.setText("")
        self.save.setEnabled(False)

    def show_busy(self) -> None:
        self.message.setText(self.tr("Evaluating… this takes a while."))
        self.run.setEnabled(False)
        self.save.setEnabled(False)

    def show_progress(self, stage: str, done: int, total: int) -> None:
        """Progress of the evaluation (``stage`` names the dataset and step, not translated)."""
        self.message.setText(
            self.tr("Evaluating… %1 of %2 images (%3)")
            .replace("%1", str(done))
            .replace("%2", str(total))
            .replace("%3", stage)
        )

    def show_result(self, report: dict[str, Any], plot: Path | None) -> None:
        accept, reject = report["accept"], report["reject"]
        lines = []
        finger = report.get("modality") == FINGERPRINT
        digits = 6 if finger else 4  # fingerprint scores are small (about 0.03 at FMR 0.1%)
        if finger:
            lines += [
                self.tr("Prints: %1 (%2 failed to extract); one finger:")
                .replace("%1", str(report["images"]))
                .replace("%2", str(report["failures_to_extract"]))
            ]
        lines += [
            self.tr("Pairs: %1 genuine, %2 impostor")
            .replace("%1", str(report["genuine_pairs"]))
            .replace("%2", str(report["impostor_pairs"])),
            self.tr("Equal error rate: %1%").replace("%1", f"{report['eer'] * 100:.2f}"),
            _rated(self.tr("Accept at %1 (FMR %2%, FNMR %3%)"), accept, digits),
            _rated(self.tr("Reject below %1 (FMR %2%, FNMR %3%)"), reject, digits),
        ]
        if report["resolution_limited"]:
            lines.append(
                self.tr(
                    "Too few impostor pairs to measure this FMR: the threshold is conservative."
                )
            )
        fused = report.get("fused")
        if fused is not None:
            lines += [
                self.tr("Two fingers (sum of scores): %1 genuine, %2 impostor pairs")
                .replace("%1", str(fused["pairs"]["genuine"]))
                .replace("%2", str(fused["pairs"]["impostor"])),
                _rated(
                    self.tr("Two fingers: accept at %1 (FMR %2%, FNMR %3%)"),
                    fused["accept"],
                    digits,
                ),
                _rated(
                    self.tr("Two fingers: reject below %1 (FMR %2%, FNMR %3%)"),
                    fused["reject"],
                    digits,
                ),
            ]
            if fused["resolution_limited"]:
                lines.append(
                    self.tr("Two fingers: too few impostor pairs for this FMR (conservative).")
                )
        dual = report.get("dual")
        if dual is not None:
            lines += [
                _rated(
                    self.tr(
                        "Both minutiae sets (1:1 at the kiosk): accept at %1 (FMR %2%, FNMR %3%)"
                    ),
                    dual["accept"],
                    digits,
                ),
                _rated(
                    self.tr("Both minutiae sets: reject below %1 (FMR %2%, FNMR %3%)"),
                    dual["reject"],
                    digits,
                ),
                _rated(
                    self.tr("Both minutiae sets, two fingers: accept at %1 (FMR %2%, FNMR %3%)"),
                    dual["fused"]["accept"],
                    digits,
                ),
                _rated(
                    self.tr("Both minutiae sets, two fingers: reject below %1 (FMR %2%, FNMR %3%)"),
                    dual["fused"]["reject"],
                    digits,
                ),
            ]
        self.results.setText("\n".join(lines))
        # a wrapped label does not claim its wrapped height itself: the scroll area would
        # clip it without a scroll bar
        width = max(self.results_area.viewport().width(), 500)
        self.results.setMinimumHeight(self.results.heightForWidth(width))
        self.results_area.verticalScrollBar().setValue(0)
        if plot is not None:
            self.plot.setPixmap(
                QPixmap(str(plot)).scaled(*PLOT, Qt.AspectRatioMode.KeepAspectRatio)
            )
        from enrollment.technician.fingerthresholds import save_blockers

        blocked = finger and bool(save_blockers(report))
        too_few = self.tr("Too few prints for this false-match rate: add prints, not saved.")
        self.message.setText(too_few if blocked else "")
        self.run.setEnabled(True)
        self.save.setEnabled(not blocked)

    def show_error(self, code: str) -> None:
        self.message.setText(self.tr("Failed: %1").replace("%1", code))
        self.run.setEnabled(True)

    def show_saved(self) -> None:
        self.message.setText(self.tr("Saved and recorded in the audit log."))
        self.save.setEnabled(False)

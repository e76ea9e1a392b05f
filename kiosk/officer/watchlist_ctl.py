"""Watchlist controller: list, import on a worker thread with progress, expire, remove."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QFileDialog

from enrollment.watchlist import FileReport, ImportOptions, WatchlistManager, totals
from kiosk.officer.watchlist import WatchlistView
from kiosk.ui.workers import JobRunner
from models.errors import GerbangError
from models.roles import Principal
from models.watchlist import WatchlistCategory

FilesChooser = Callable[[str], list[str]]

STEPS = 100  # progress steps per file


def files_dialog(title: str) -> list[str]:
    paths, _ = QFileDialog.getOpenFileNames(
        None, title, "", "ANSI/NIST-ITL, CSV (*.an2 *.an2k *.eft *.nist *.csv);;* (*)"
    )
    return list(paths)


class WatchlistController(QObject):
    progress = Signal(int, int)  # done, total (emitted from the worker; queued to the GUI)
    imported = Signal(object)  # list[FileReport]
    changed = Signal()
    error = Signal(str)

    def __init__(
        self,
        view: WatchlistView,
        manager: WatchlistManager,
        principal: Callable[[], Principal | None],
        *,
        choose: FilesChooser = files_dialog,
        jobs: JobRunner | None = None,
    ) -> None:
        super().__init__(view)
        self.view = view
        self.manager = manager
        self.principal = principal
        self.choose = choose
        self.jobs = jobs or JobRunner(self)
        self.jobs.done.connect(self._done)
        self.jobs.failed.connect(self._failed)
        self.progress.connect(self._progress)
        view.import_requested.connect(self._import)
        view.expire_requested.connect(self._expire)
        view.remove_requested.connect(self._remove)
        self._job = 0

    def stop(self) -> None:
        self.jobs.stop()

    def refresh(self) -> None:
        now = datetime.now(UTC)
        rows = []
        for e in self.manager.entries():
            until = e.valid_until.date().isoformat() if e.valid_until else "-"
            active = self.tr("yes") if e.is_active(now) else self.tr("no")
            cells = [
                e.full_name or "-",
                e.category.value,
                e.source_agency,
                until,
                active,
                str(len(e.face_template_ids)),
            ]
            rows.append((e.entry_id, cells))
        self.view.show_entries(rows)

    def _error(self, exc: GerbangError) -> None:
        self.view.summary.setText(exc.message)
        self.error.emit(exc.code)

    @Slot(str, str)
    def _import(self, source: str, category: str) -> None:
        actor = self.principal()
        if actor is None:
            return
        if not source.strip():
            self.view.summary.setText(self.tr("Enter the source agency first."))
            return
        paths = self.choose(self.tr("Watchlist files"))
        if not paths:
            return
        options = ImportOptions(source.strip(), WatchlistCategory(category))
        self.view.progress.setRange(0, len(paths) * STEPS)
        self.view.progress.setValue(0)
        self.view.import_button.setEnabled(False)
        self.view.summary.setText(self.tr("Importing…"))
        self._job = self.jobs.submit(
            lambda _cancelled: self._import_all(paths, options, actor), step=False
        )

    def _import_all(
        self, paths: Sequence[str], options: ImportOptions, actor: Principal
    ) -> list[FileReport]:
        """On the worker thread: one file after the other, progress after each subject."""
        reports = []
        total = len(paths) * STEPS
        for n, path in enumerate(paths):

            def step(done: int, count: int, base: int = n * STEPS) -> None:
                self.progress.emit(base + (done * STEPS) // max(count, 1), total)

            reports.append(self.manager.import_file(Path(path), options, actor, progress=step))
            self.progress.emit((n + 1) * STEPS, total)
        return reports

    @Slot(int, int)
    def _progress(self, done: int, total: int) -> None:
        self.view.progress.setRange(0, total)
        self.view.progress.setValue(done)

    @Slot(int, object)
    def _done(self, job_id: int, result: object) -> None:
        if job_id != self._job or not isinstance(result, list):
            return
        self.view.import_button.setEnabled(True)
        counts = totals(result)
        self.view.summary.setText(
            self.tr("%1 persons, %2 faces, %3 fingerprints imported; %4 rejected")
            .replace("%1", str(counts["persons"]))
            .replace("%2", str(counts["faces"]))
            .replace("%3", str(counts["fingerprints"]))
            .replace("%4", str(counts["rejected"]))
        )
        self.view.rejected.clear()
        for report in result:
            for rejection in report.rejected:
                name = Path(report.file).name
                self.view.rejected.addItem(f"{name} · {rejection.record}: {rejection.reason}")
        self.refresh()
        self.imported.emit(result)

    @Slot(int, object)
    def _failed(self, job_id: int, exc: object) -> None:
        self.view.import_button.setEnabled(True)
        if isinstance(exc, GerbangError):
            self._error(exc)
        else:
            self.view.summary.setText(self.tr("Unexpected error."))
            self.error.emit("internal")

    @Slot(str)
    def _expire(self, entry_id: str) -> None:
        actor = self.principal()
        if actor is None:
            return
        try:
            self.manager.expire(entry_id, actor)
        except GerbangError as exc:
            self._error(exc)
            return
        self.refresh()
        self.changed.emit()

    @Slot(str, str)
    def _remove(self, entry_id: str, reason: str) -> None:
        actor = self.principal()
        if actor is None:
            return
        try:
            self.manager.remove(entry_id, actor, reason=reason)
        except GerbangError as exc:
            self._error(exc)
            return
        self.refresh()
        self.changed.emit()

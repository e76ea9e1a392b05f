"""Device IO and matching off the GUI thread.

One worker object lives on its own ``QThread`` and runs jobs one after the
other; results come back to the GUI thread through queued signals. Each job has
an id: the controller ignores results of jobs it has cancelled or replaced.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from models.errors import GerbangError

log = logging.getLogger(__name__)


class _Worker(QObject):
    done = Signal(int, object)
    failed = Signal(int, object)

    @Slot(int, object)
    def run(self, job_id: int, job: Callable[[], Any]) -> None:
        try:
            result = job()
        except GerbangError as exc:
            self.failed.emit(job_id, exc)
            return
        except Exception as exc:  # the thread's top level: report to the GUI, never swallow
            # A bug must not freeze the kiosk: the traveller is referred and the bug is logged.
            log.exception("worker job failed", extra={"code": "internal"})
            self.failed.emit(job_id, exc)
            return
        self.done.emit(job_id, result)


class JobRunner(QObject):
    """Runs callables on a worker thread. ``cancel_event`` is set when the current job is cancelled."""

    done = Signal(int, object)
    failed = Signal(int, object)
    _submit = Signal(int, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("gerbang-device-worker")
        self._worker = _Worker()
        self._worker.moveToThread(self._thread)
        self._submit.connect(self._worker.run)
        self._worker.done.connect(self.done)
        self._worker.failed.connect(self.failed)
        self._next_id = 0
        self.current = 0
        self.cancel_event = threading.Event()
        self._thread.start()

    def submit(self, job: Callable[[Callable[[], bool]], Any], *, step: bool = True) -> int:
        """Queue ``job``, which is called with its own ``cancelled()`` check.

        A *step* (device IO the traveller waits for) becomes the current job and
        gets the fresh cancel event that :meth:`cancel` sets; bookkeeping jobs
        (record, gate, survey) get an event nobody cancels.
        """
        self._next_id += 1
        event = threading.Event()
        if step:
            self.current = self._next_id
            self.cancel_event = event
        self._submit.emit(self._next_id, lambda: job(event.is_set))
        return self._next_id

    def cancel(self) -> None:
        self.cancel_event.set()
        self.current = 0

    def stop(self, timeout_ms: int = 5000) -> None:
        self.cancel()
        self._thread.quit()
        self._thread.wait(timeout_ms)

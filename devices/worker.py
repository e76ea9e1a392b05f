"""A device's own IO thread: calls into a driver with a timeout the driver lacks.

Some driver calls block without a timeout of their own (``SCardTransmit``,
libfprint's sync API, a hung camera read). The device runs them on its worker
thread and waits for the result at most the call's timeout; when it expires
the caller gets ``DeviceTimeoutError`` and is free, whatever the driver does.
The worker is a daemon thread owned by the device object: started by
``start()``, stopped by ``stop()``; a driver call stuck forever cannot keep
the process alive.

A caller that gives up on a running call reports it (``call`` does so itself;
a caller waiting on ``submit``'s future calls :meth:`Worker.mark_stuck`): the
worker is ``stuck`` until that very call returns, so health checks and the
device manager see it. Each thread takes its work from its own queue, so a
thread left behind by ``stop()`` never comes back to take a newer run's work.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from models.errors import DeviceTimeoutError, DeviceUnavailableError

T = TypeVar("T")

_STOP = object()


class Worker:
    def __init__(self, name: str, device_id: str) -> None:
        self._name = name
        self._device_id = device_id
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._stuck_call: Future[Any] | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def stuck(self) -> bool:
        """A caller gave up on a call whose driver call has not returned yet."""
        call = self._stuck_call
        return call is not None and not call.done()

    def mark_stuck(self, future: Future[Any]) -> None:
        """The caller stops waiting for ``future``, which is still running: report it as stuck
        (until it returns: ``stuck`` follows the future, no race with its completion)."""
        if not future.done():
            self._stuck_call = future

    def start(self) -> None:
        if self.running:
            return
        self._queue = queue.SimpleQueue()
        self._stuck_call = None
        self._thread = threading.Thread(
            target=self._run, args=(self._queue,), name=self._name, daemon=True
        )
        self._thread.start()

    def stop(self, join_s: float = 2.0) -> None:
        thread = self._thread
        if thread is None:
            return
        self._queue.put(_STOP)
        if thread is not threading.current_thread():
            thread.join(join_s)
        self._thread = None

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        if not self.running:
            raise DeviceUnavailableError(
                f"device {self._device_id} is not open", device_id=self._device_id
            )
        future: Future[T] = Future()
        self._queue.put((fn, future))
        return future

    def call(self, fn: Callable[[], T], timeout_s: float, what: str = "call") -> T:
        """Run ``fn`` on the worker; DeviceTimeoutError when it takes longer than ``timeout_s``."""
        future = self.submit(fn)
        try:
            return future.result(timeout=max(timeout_s, 0.0))
        except FutureTimeout:
            if not future.cancel():  # it is running (or finished just now): maybe stuck
                self.mark_stuck(future)
            raise DeviceTimeoutError(
                f"device {self._device_id}: {what} did not finish within {timeout_s:.1f} s",
                device_id=self._device_id,
                timeout_s=timeout_s,
            ) from None

    @staticmethod
    def _run(work: queue.SimpleQueue[Any]) -> None:
        while True:
            item = work.get()
            if item is _STOP:
                return
            fn, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn()
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                future.set_exception(exc)
            else:
                future.set_result(result)

"""A device's own IO thread: calls into a driver with a timeout the driver lacks.

Some driver calls block without a timeout of their own (``SCardTransmit``,
libfprint's sync API, a hung camera read). The device runs them on its worker
thread and waits for the result at most the call's timeout; when it expires
the caller gets ``DeviceTimeoutError`` and is free, whatever the driver does.
The worker is a daemon thread owned by the device object: started by
``start()``, stopped by ``stop()``; a driver call stuck forever cannot keep
the process alive.
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
        self._stuck = False

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def stuck(self) -> bool:
        """A call timed out and its driver call has not returned yet."""
        return self._stuck

    def start(self) -> None:
        if self.running:
            return
        self._queue = queue.SimpleQueue()
        self._stuck = False
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
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
            if not future.cancel():  # it is running: the driver call is stuck
                self._stuck = True
            raise DeviceTimeoutError(
                f"device {self._device_id}: {what} did not finish within {timeout_s:.1f} s",
                device_id=self._device_id,
                timeout_s=timeout_s,
            ) from None

    def _run(self) -> None:
        while True:
            item = self._queue.get()
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
            finally:
                self._stuck = False

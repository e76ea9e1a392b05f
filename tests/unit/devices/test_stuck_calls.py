"""Stuck driver calls are reported (worker, libfprint capture) and never mis-reported."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import pytest

from devices import worker as worker_module
from devices.backends import libfprint
from devices.backends.libfprint import LibfprintScanner
from devices.worker import Worker
from models.errors import DeviceTimeoutError
from models.operations import DeviceState


class _LateFuture(Future[Any]):
    """Times out only once the call has finished: the race, made certain."""

    def result(self, timeout: float | None = None) -> Any:
        super().result()
        raise FutureTimeout


def test_a_call_that_finishes_as_it_times_out_is_not_stuck(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The call completes between the timeout and cancel(). cancel() then fails, which
    # used to mark the worker stuck for good (its "not stuck" had been set already).
    monkeypatch.setattr(worker_module, "Future", _LateFuture)
    worker = Worker("w", "dev")
    worker.start()
    try:
        with pytest.raises(DeviceTimeoutError):
            worker.call(lambda: 1, 0.01)
        assert not worker.stuck
    finally:
        worker.stop()


def test_stuck_follows_the_call_that_was_given_up() -> None:
    worker = Worker("w", "dev")
    worker.start()
    release = threading.Event()
    try:
        with pytest.raises(DeviceTimeoutError):
            worker.call(lambda: release.wait(5), 0.05)
        assert worker.stuck
        release.set()
        deadline = time.monotonic() + 2
        while worker.stuck and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not worker.stuck
        done: Future[int] = Future()
        done.set_result(1)
        worker.mark_stuck(done)  # a finished call is not stuck
        assert not worker.stuck
    finally:
        worker.stop()


def test_a_worker_thread_left_behind_does_not_take_new_work() -> None:
    worker = Worker("w", "dev")
    worker.start()
    release = threading.Event()
    names: list[str] = []
    with pytest.raises(DeviceTimeoutError):
        worker.call(lambda: release.wait(5), 0.05)
    old = worker._thread
    worker.stop(join_s=0.01)
    worker.start()
    release.set()
    for _ in range(20):
        worker.call(lambda: names.append(threading.current_thread().ident or 0) or None, 1.0)
    assert old is not None and old.ident not in names
    worker.stop()


class _FakeGio:
    class Cancellable:
        def cancel(self) -> None:
            return None


class _FakeGLib:
    @staticmethod
    def idle_add(fn: Any) -> None:
        return None  # the driver ignores cancellation


def test_a_capture_that_ignores_cancellation_marks_the_scanner_stuck(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(libfprint.params, "FPRINT_CANCEL_GRACE_S", 0.05)
    release = threading.Event()
    scanner = LibfprintScanner("fp")
    monkeypatch.setattr(
        scanner, "_open", lambda: scanner._worker.start(), raising=True
    )  # no libfprint here: the worker alone
    monkeypatch.setattr(scanner, "_close", lambda: scanner._worker.stop(0.01))
    scanner._gio, scanner._glib = _FakeGio(), _FakeGLib()
    monkeypatch.setattr(scanner, "_capture_sync", lambda cancellable: release.wait(5))
    scanner._driver = "fake"
    scanner.open()
    try:
        assert scanner.health().state is DeviceState.READY
        with pytest.raises(DeviceTimeoutError, match="ignores cancellation"):
            scanner.capture(timeout_s=0.05)
        health = scanner.health()
        assert (health.state, health.detail) == (DeviceState.ERROR, "driver_stuck")
        release.set()
        deadline = time.monotonic() + 2
        while scanner.health().state is not DeviceState.READY and time.monotonic() < deadline:
            time.sleep(0.01)
        assert scanner.health().state is DeviceState.READY
    finally:
        release.set()
        scanner.close()

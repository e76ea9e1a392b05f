"""The background sync loop: a thread owned by :class:`SyncLoop`, stoppable.

After a successful cycle the loop waits ``interval`` (+-20 % jitter, so a fleet
that came back online together does not hit the server in lockstep); after a
failure it backs off exponentially from ``RETRY_BASE_S`` to ``RETRY_CAP_S``
with "equal jitter" (half fixed, half random). :meth:`SyncLoop.trigger` runs a
cycle now (e.g. an officer pressing "sync"). A revoked kiosk stops trying.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass

from models.errors import GerbangError
from sync import params
from sync.engine import SyncEngine, SyncReport
from sync.errors import (
    KioskRevokedError,
    NotRegisteredError,
    ServerBusyError,
    SyncInternalError,
)

log = logging.getLogger(__name__)


def retry_delay(failures: int, rng: random.Random) -> float:
    """Exponential backoff with equal jitter, for the ``failures``-th failure in a row."""
    ceiling = min(params.RETRY_CAP_S, params.RETRY_BASE_S * 2.0 ** max(failures - 1, 0))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def regular_delay(interval_s: float, rng: random.Random) -> float:
    return interval_s * rng.uniform(1 - params.JITTER_FRACTION, 1 + params.JITTER_FRACTION)


@dataclass(frozen=True, slots=True)
class LoopState:
    running: bool
    cycles: int
    failures_in_row: int
    last_error: str | None
    next_delay_s: float | None
    last_report: SyncReport | None


class SyncLoop:
    def __init__(
        self,
        engine: SyncEngine,
        *,
        interval_s: float,
        rng: random.Random | None = None,
        on_cycle: Callable[[SyncReport | None, GerbangError | None], None] | None = None,
    ) -> None:
        self.engine = engine
        self.interval_s = interval_s
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._on_cycle = on_cycle
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._cycles = 0
        self._failures = 0
        self._last_error: str | None = None
        self._next_delay: float | None = None
        self._last_report: SyncReport | None = None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("sync loop already started")
        self._thread = threading.Thread(target=self._run, name="gerbang-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Ask the loop to stop (it finishes the current batch or page) and wait for it."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def trigger(self) -> None:
        self._wake.set()

    def state(self) -> LoopState:
        with self._lock:
            return LoopState(
                self._thread is not None and self._thread.is_alive(),
                self._cycles,
                self._failures,
                self._last_error,
                self._next_delay,
                self._last_report,
            )

    def cycle(self) -> float | None:
        """Run one cycle; returns the delay before the next (None: stop trying)."""
        report: SyncReport | None = None
        error: GerbangError | None = None
        try:
            report = self.engine.run_once(should_stop=self._stop.is_set)
        except GerbangError as exc:  # network, server, auth: retry later with backoff
            error = exc
        except Exception as exc:  # a bug or local fault must not end the thread for good
            log.exception("sync cycle failed unexpectedly")
            error = SyncInternalError(f"unexpected {type(exc).__name__} in a sync cycle")
            error.__cause__ = exc
        with self._lock:
            self._cycles += 1
            if error is None:
                self._failures, self._last_error, self._last_report = 0, None, report
                delay: float | None = regular_delay(self.interval_s, self._rng)
            else:
                self._failures += 1
                self._last_error = error.code
                delay = (
                    None
                    if isinstance(error, KioskRevokedError | NotRegisteredError)
                    else retry_delay(self._failures, self._rng)
                )
                if delay is not None and isinstance(error, ServerBusyError):
                    delay = max(delay, error.retry_after_s)  # the server's Retry-After
            self._next_delay = delay
        if error is not None:
            log.warning("sync failed", extra={"code": error.code, "attempt": self._failures})
        if self._on_cycle is not None:
            self._on_cycle(report, error)
        return delay

    def _run(self) -> None:
        while not self._stop.is_set():
            delay = self.cycle()
            self._wake.clear()
            # None: revoked or unregistered; wait for a trigger (e.g. after registering).
            self._wake.wait(delay)

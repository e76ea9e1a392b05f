from __future__ import annotations

import random
import threading
from typing import Any

import pytest

from sync import params
from sync.errors import KioskRevokedError, ServerBusyError, ServerUnreachableError
from sync.loop import SyncLoop, regular_delay, retry_delay


def test_backoff_grows_to_its_cap_with_jitter() -> None:
    rng = random.Random(1)  # noqa: S311 - jitter, not cryptography
    first = [retry_delay(1, rng) for _ in range(200)]
    assert min(first) >= params.RETRY_BASE_S / 2 and max(first) <= params.RETRY_BASE_S
    assert len({round(d, 3) for d in first}) > 100  # jittered, not lockstep
    assert retry_delay(3, rng) <= 4 * params.RETRY_BASE_S
    late = [retry_delay(30, rng) for _ in range(50)]
    assert all(params.RETRY_CAP_S / 2 <= d <= params.RETRY_CAP_S for d in late)
    regular = [regular_delay(300, rng) for _ in range(200)]
    assert min(regular) >= 240 and max(regular) <= 360


class FakeEngine:
    def __init__(self, outcomes: list[Exception | None]) -> None:
        self.outcomes = outcomes
        self.calls = 0
        self.ran = threading.Event()

    def run_once(self, *, should_stop: Any) -> Any:
        self.calls += 1
        outcome = self.outcomes[min(self.calls, len(self.outcomes)) - 1]
        self.ran.set()
        if outcome is not None:
            raise outcome
        return None


def test_failures_back_off_and_a_success_resets() -> None:
    engine = FakeEngine([ServerUnreachableError("down"), ServerUnreachableError("down"), None])
    loop = SyncLoop(engine, interval_s=300, rng=random.Random(2))  # type: ignore[arg-type]  # noqa: S311
    first, second, third = loop.cycle(), loop.cycle(), loop.cycle()
    assert first is not None and second is not None and third is not None
    assert first <= params.RETRY_BASE_S < second <= 2 * params.RETRY_BASE_S
    assert 240 <= third <= 360
    state = loop.state()
    assert (state.cycles, state.failures_in_row, state.last_error) == (3, 0, None)


def test_a_revoked_kiosk_stops_trying() -> None:
    seen: list[object] = []
    loop = SyncLoop(
        FakeEngine([KioskRevokedError("revoked")]),  # type: ignore[arg-type]
        interval_s=300,
        on_cycle=lambda report, error: seen.append(error),
    )
    assert loop.cycle() is None
    assert loop.state().last_error == "security.revoked"
    assert isinstance(seen[0], KioskRevokedError)


def test_the_thread_runs_is_triggered_and_stops() -> None:
    engine = FakeEngine([None])
    loop = SyncLoop(engine, interval_s=3600)  # type: ignore[arg-type]
    loop.start()
    assert engine.ran.wait(5)
    engine.ran.clear()
    loop.trigger()  # an officer pressed "sync now"
    assert engine.ran.wait(5)
    assert loop.state().running
    loop.stop(timeout_s=5)
    assert not loop.state().running
    with pytest.raises(RuntimeError, match="already"):
        loop.start()
        loop.start()
    loop.stop(timeout_s=5)


def test_an_unexpected_error_does_not_end_the_loop() -> None:
    """A bug or a local fault (the index hook failing, a full disk) is not a GerbangError:
    it must be logged and retried with backoff, not end the sync thread for good."""
    engine = FakeEngine([RuntimeError("index full"), None])
    loop = SyncLoop(engine, interval_s=3600, rng=random.Random(3))  # type: ignore[arg-type]  # noqa: S311
    loop.start()
    try:
        assert engine.ran.wait(5)
        for _ in range(100):  # the failed cycle's bookkeeping ends right after run_once
            if loop.state().cycles:
                break
            threading.Event().wait(0.01)
        state = loop.state()
        assert state.running and state.failures_in_row == 1
        assert state.last_error == "sync.internal"
        assert state.next_delay_s is not None and state.next_delay_s <= params.RETRY_BASE_S
        engine.ran.clear()
        loop.trigger()
        assert engine.ran.wait(5) and engine.calls == 2
    finally:
        loop.stop(timeout_s=5)


def test_a_busy_server_is_left_alone_for_as_long_as_it_asks() -> None:
    engine = FakeEngine([ServerBusyError("rate limited", retry_after_s=120.0)])
    loop = SyncLoop(engine, interval_s=300, rng=random.Random(4))  # type: ignore[arg-type]  # noqa: S311
    delay = loop.cycle()
    assert delay is not None and delay >= 120.0

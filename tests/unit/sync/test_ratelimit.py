"""The per-address token buckets of the server (the per-kiosk limit is tested on a server)."""

from __future__ import annotations

import pytest

from sync.server.ratelimit import TokenBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_sustained_rate() -> None:
    clock = Clock()
    buckets = TokenBuckets(2.0, 5, clock=clock)
    assert [buckets.take("10.0.0.1") for _ in range(5)] == [0.0] * 5
    wait = buckets.take("10.0.0.1")
    assert wait == pytest.approx(0.5)  # one token every 1/2 s
    assert buckets.take("10.0.0.2") == 0.0  # another address has its own bucket
    clock.now += 0.5
    assert buckets.take("10.0.0.1") == 0.0
    assert buckets.take("10.0.0.1") > 0
    clock.now += 60  # refills up to the burst, not beyond
    assert [buckets.take("10.0.0.1") for _ in range(6)].count(0.0) == 5


def test_refused_requests_do_not_earn_credit() -> None:
    clock = Clock()
    buckets = TokenBuckets(1.0, 1, clock=clock)
    assert buckets.take("a") == 0.0
    for _ in range(100):  # a flood without pause stays refused
        assert buckets.take("a") > 0
    clock.now += 1.0
    assert buckets.take("a") == 0.0


def test_memory_is_bounded_by_forgetting_the_least_recently_seen() -> None:
    clock = Clock()
    buckets = TokenBuckets(1.0, 1, max_tracked=3, clock=clock)
    for address in ("a", "b", "c"):
        buckets.take(address)
    buckets.take("a")  # "a" is seen again: "b" is now the oldest
    buckets.take("d")
    assert len(buckets) == 3
    assert buckets.take("b") == 0.0  # forgotten, starts full again
    assert buckets.take("a") > 0  # remembered, still empty


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="rate"):
        TokenBuckets(0.0, 1)
    with pytest.raises(ValueError, match="burst"):
        TokenBuckets(1.0, 0)

"""Rate limits of the central server.

Two limits, deliberately kept in two different places:

* **Per client address, per process** (:class:`TokenBuckets`, applied by
  :class:`sync.server.hardening.ClientRateLimit` before any other work). It
  protects the process and the database from a flood of requests that have not
  been authenticated yet, so it must cost no database round trip: a counter in
  the database would turn every flooded request into a write, the very load
  the limit is there to stop. Behind a load balancer with N instances the
  fleet-wide ceiling per address is N times the configured rate (the balancer
  spreads one address over the instances); the global per-address limit
  belongs to the edge proxy (``limit_req`` in nginx, ``rate_limit`` in Caddy),
  this one is the backstop of each instance.
* **Per kiosk, across every instance** (:func:`check_kiosk_rate`): after the
  signature check, the kiosk's requests of the last minute are counted in the
  ``request_nonces`` table, which every instance writes anyway for replay
  protection — a global, exact sliding window for one indexed ``COUNT``.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

from sync import params
from sync.server import schema as s
from sync.server.apierror import ApiError


class TokenBuckets:
    """One token bucket per key (``rate`` tokens/s, at most ``burst``), least recently
    seen keys forgotten beyond ``max_tracked`` (a forgotten key starts full again).

    Not thread-safe: the ASGI middleware calls it from the event loop only.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        max_tracked: int = params.RATE_IP_MAX_TRACKED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs rate > 0 and burst >= 1")
        self.rate = rate
        self.burst = float(burst)
        self.max_tracked = max_tracked
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str) -> float:
        """0.0 when a token was taken; else the seconds until one is available."""
        now = self._clock()
        tokens, last = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_tracked:
            self._buckets.popitem(last=False)
        return wait

    def __len__(self) -> int:
        return len(self._buckets)


def check_kiosk_rate(conn: Connection, kiosk_id: str, now: datetime, per_minute: int) -> None:
    """429 ``rate.kiosk`` when the kiosk made more than ``per_minute`` requests in the
    last minute (counted with the current one, whose nonce is stored already)."""
    if per_minute <= 0:
        return
    t = s.request_nonces
    since = now - timedelta(seconds=params.RATE_WINDOW_S)
    recent = conn.execute(
        select(func.count()).where(t.c.kiosk_id == kiosk_id, t.c.seen_at > since)
    ).scalar_one()
    if int(recent) > per_minute:
        raise ApiError(
            429,
            "rate.kiosk",
            f"more than {per_minute} requests in {params.RATE_WINDOW_S} s from this kiosk",
            headers={"Retry-After": str(params.RATE_RETRY_AFTER_S)},
        )

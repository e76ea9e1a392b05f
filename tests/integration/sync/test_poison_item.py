"""One outbox item the server refuses as a whole batch must not stop a kiosk's sync."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from sync.server.runner import ThreadedServer
from tests.integration.sync.conftest import KioskFactory
from tests.syncdata import enqueue_events, watchlist_change

pytestmark = pytest.mark.integration


def test_an_item_refused_with_its_batch_is_set_aside_and_the_feed_still_arrives(
    server: ThreadedServer, make_kiosk: KioskFactory
) -> None:
    """An item whose envelope the server refuses (here a key longer than 128 characters)
    makes the server answer its whole batch 400. Before, every cycle failed at push and
    never reached the feed: the watchlist went stale until the kiosk was officer-only."""
    store, engine = make_kiosk(server, "K-P")
    good = enqueue_events(store, "K-P", "WAYKANAN", 4)
    store.outbox.enqueue("device_status", "x" * 200, b'{"not":"reached"}')
    more = enqueue_events(store, "K-P", "WAYKANAN", 3, prefix="more-")
    rng = np.random.default_rng(3)
    server.central.publish([watchlist_change(f"wl-{i}", rng) for i in range(5)])
    report = engine.run_once()
    assert (report.push.accepted, report.push.rejected) == (7, 1)
    assert report.pull.upserts == 5 and store.watchlist.count() == 5
    assert server.central.counts()["distinct_events"] == len(good + more)
    (left,) = store.outbox.pending(limit=10, now=datetime.now(UTC) + timedelta(days=2))
    assert left.idempotency_key == "x" * 200 and left.last_error == "rejected:push.malformed"
    assert store.outbox.depth() == 1  # kept for a technician, not dropped
    again = engine.run_once()  # the refused item waits for its retry time
    # only the audit head (moved by the last pull's feed.apply record) goes up; the refused
    # item is not retried yet
    assert (again.push.accepted, again.push.rejected) == (1, 0)


def test_a_server_fault_during_ingest_is_a_server_failure_not_a_malformed_batch(
    server: ThreadedServer, make_kiosk: KioskFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any ValueError raised while storing a batch was answered `400 push.malformed`
    ("an idempotency key appears twice"): a fault of the server blamed on the kiosk's
    items. It is a 500 the kiosk retries; its items stay pending."""
    from sync.errors import ServerFailedError
    from sync.server import ingest

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValueError("a bug deep in a side effect")

    monkeypatch.setattr(ingest, "_side_effects", broken)
    store, engine = make_kiosk(server, "K-F")
    enqueue_events(store, "K-F", "WAYKANAN", 3)
    with pytest.raises(ServerFailedError):
        engine.run_once()
    assert len(store.outbox.pending(limit=10)) == 3

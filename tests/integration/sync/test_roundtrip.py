from __future__ import annotations

import numpy as np
import pytest

from models.errors import GerbangError, SyncError
from sync.apply import IndexDelta
from sync.server.config import ServerConfig
from sync.server.runner import ThreadedServer
from tests.integration.sync.conftest import KioskFactory
from tests.syncdata import enqueue_events, watchlist_change

pytestmark = pytest.mark.integration


def test_push_and_pull_round_trip(server: ThreadedServer, make_kiosk: KioskFactory) -> None:
    deltas: list[IndexDelta] = []
    store, engine = make_kiosk(server, "KIOSK-A", index_hook=deltas.append)
    ids = enqueue_events(store, "KIOSK-A", "WAYKANAN", 250)
    rng = np.random.default_rng(1)
    server.central.publish([watchlist_change(f"wl-{i}", rng) for i in range(30)])
    report = engine.run_once()
    assert report.push.accepted == 250 and report.push.batches == 3
    assert report.pull.upserts == 30
    assert store.outbox.depth() == 0
    assert store.watchlist.count() == 30 and store.face_templates.count() == 30
    assert sum(len(d.face_upserts) for d in deltas) == 30
    counts = server.central.counts()
    assert counts["pushed"] == {"verification_event": 250}
    assert counts["distinct_events"] == len(ids)
    # a retraction arrives as a tombstone and removes the entry and its template
    server.central.publish([{"kind": "watchlist", "id": "wl-3", "deleted": True}])
    again = engine.run_once()
    assert again.pull.deletes == 1 and store.watchlist.count() == 29
    assert store.face_templates.count() == 29
    assert deltas[-1].face_removed and not deltas[-1].face_upserts
    with pytest.raises(GerbangError):
        store.watchlist.get("wl-3")


def test_server_restart_between_cycles(
    server_config: ServerConfig, make_kiosk: KioskFactory
) -> None:
    """A graceful restart (deploy, reboot): the kiosk carries on where it was."""
    first = ThreadedServer(server_config).start()
    store, engine = make_kiosk(first, "KIOSK-R")
    before = enqueue_events(store, "KIOSK-R", "WAYKANAN", 30)
    first.central.publish([watchlist_change(f"wl-{i}", np.random.default_rng(i)) for i in range(5)])
    engine.run_once()
    first.stop()
    with pytest.raises(SyncError):
        engine.run_once()  # down: the cycle fails, nothing is lost
    after = enqueue_events(store, "KIOSK-R", "WAYKANAN", 30, prefix="after-")
    with ThreadedServer(server_config, port=first.port) as second:
        second.central.publish(
            [watchlist_change(f"wl-{i}", np.random.default_rng(i)) for i in range(5, 8)]
        )
        report = engine.run_once()
        counts = second.central.counts()
    # the 30 events, and the audit head the first cycle's feed.apply record moved
    assert report.push.accepted == 31 and report.pull.upserts == 3
    assert (
        counts["distinct_events"] == counts["pushed"]["verification_event"] == len(before + after)
    )
    assert store.watchlist.count() == 8 and store.outbox.depth() == 0

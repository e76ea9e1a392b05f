"""A kiosk checkpoint ahead of the centre's feed (the central database restored from an
older backup) must not make the kiosk skip the changes published after the restore."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import delete, update

from sync.server import schema as s
from sync.server.runner import ThreadedServer
from tests.integration.sync.conftest import KioskFactory
from tests.syncdata import watchlist_change

pytestmark = pytest.mark.integration


def test_a_centre_restored_behind_the_kiosk_is_caught_up_from_the_start(
    server: ThreadedServer, make_kiosk: KioskFactory
) -> None:
    central = server.central
    rng = np.random.default_rng(11)
    central.publish([watchlist_change(f"wl-{i}", rng) for i in range(6)])
    store, engine = make_kiosk(server, "K-R")
    engine.run_once()
    assert store.sync_state.checkpoint() == 6 and store.watchlist.count() == 6
    # The centre is restored from a backup taken when it held wl-0..wl-3 only.
    with central.engine.begin() as conn:
        conn.execute(delete(s.feed_records).where(s.feed_records.c.seq > 4))
        conn.execute(update(s.feed_counter).values(last_seq=4))
    # A change after the restore gets a sequence number the kiosk has passed already.
    central.publish([watchlist_change("new-0", rng)])  # seq 5
    report = engine.run_once()
    assert store.watchlist.exists("new-0")  # before: skipped, silently and for good
    assert store.sync_state.checkpoint() == 5 and report.pull.checkpoint == 5
    central.publish([{"kind": "watchlist", "id": "wl-0", "deleted": True}])  # seq 6
    engine.run_once()
    assert not store.watchlist.exists("wl-0") and store.sync_state.checkpoint() == 6

"""Faults against a real server on loopback, on SQLite and PostgreSQL.

After every fault the counts on both sides must match exactly: nothing lost,
nothing duplicated, tampering refused. Each test prints its tally (``-s``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from models.errors import SyncError
from models.keys import KeyStore
from models.store import Store
from models.store.outbox import OutboxItem
from sync.client import SyncClient
from sync.engine import SyncEngine
from sync.errors import FeedIntegrityError
from sync.protocol import ItemStatus, PushOutcome
from sync.server.config import ServerConfig
from sync.server.runner import ThreadedServer, free_port, spawn_server
from sync.server.service import Central
from tests.integration.sync.conftest import KioskFactory
from tests.integration.sync.proxy import FaultProxy
from tests.syncdata import enqueue_events, kiosk_settings, watchlist_change

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]


def _publish(central: Central, n: int, *, seed: int = 1, start: int = 0) -> None:
    rng = np.random.default_rng(seed)
    central.publish([watchlist_change(f"wl-{i}", rng) for i in range(start, start + n)])


def _sync_until_done(engine: SyncEngine, attempts: int = 12) -> tuple[int, int, int]:
    """run_once until it succeeds; returns (failures, accepted, duplicates) along the way."""
    failures = accepted = duplicates = 0
    for _ in range(attempts):
        try:
            report = engine.run_once()
        except SyncError:
            failures += 1
            time.sleep(0.05)
            continue
        accepted += report.push.accepted
        duplicates += report.push.duplicate
        return failures, accepted, duplicates
    raise AssertionError(f"sync did not complete in {attempts} attempts")


def _assert_exact(central: Central, store: Store, event_ids: list[str], watchlist: int) -> None:
    counts = central.counts()
    assert counts["pushed"].get("verification_event", 0) == len(event_ids)  # nothing duplicated
    assert counts["distinct_events"] == len(event_ids)  # nothing lost
    assert store.outbox.depth() == 0
    assert store.watchlist.count() == watchlist == store.face_templates.count()
    assert store.sync_state.checkpoint() == counts["feed_head"]


@pytest.fixture
def proxy(server: ThreadedServer) -> Iterator[FaultProxy]:
    p = FaultProxy(server.port)
    yield p
    p.close()


def test_connection_cut_mid_batch(
    server: ThreadedServer,
    proxy: FaultProxy,
    make_kiosk: KioskFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers: Counter[str] = Counter()
    original = SyncClient.push

    def tally(self: SyncClient, items: Sequence[OutboxItem]) -> list[PushOutcome]:
        outcomes = original(self, items)
        answers.update(o.status.value for o in outcomes)
        return outcomes

    monkeypatch.setattr(SyncClient, "push", tally)
    store, engine = make_kiosk(server, "KIOSK-CUT", url=proxy.url, push_batch=20, page_size=10)
    events = enqueue_events(store, "KIOSK-CUT", "WAYKANAN", 120)
    _publish(server.central, 35)
    proxy.faults.cut_push_requests = 2  # the client's own immediate retry is cut too
    proxy.faults.drop_push_responses = 3
    proxy.faults.cut_feed_responses = 2
    failures = 0
    for _ in range(6):
        failures += _sync_until_done(engine)[0]
        if proxy.faults.cut_feed_responses == 0 and proxy.faults.drop_push_responses == 0:
            break
    print(
        f"\ncut mid-batch: faults {dict(proxy.faults.done)}, failed cycles {failures}, "
        f"answers {dict(answers)}"
    )
    assert proxy.faults.done["cut_push_requests"] == 2
    assert proxy.faults.done["drop_push_responses"] == 3
    assert proxy.faults.done["cut_feed_responses"] == 2
    assert failures >= 2
    # the batches whose answers were lost had been stored: resent, they are duplicates
    assert answers["duplicate"] >= 20
    assert answers["accepted"] < len(events) <= answers["accepted"] + answers["duplicate"]
    _assert_exact(server.central, store, events, 35)


def test_duplicated_and_reordered_deliveries(
    server: ThreadedServer, make_kiosk: KioskFactory
) -> None:
    store, engine = make_kiosk(server, "KIOSK-DUP")
    events = enqueue_events(store, "KIOSK-DUP", "WAYKANAN", 60)
    items = store.outbox.pending(limit=100)
    first, second, third = items[:20], items[20:40], items[40:]
    with engine._client() as client:
        statuses = [
            [o.status for o in client.push(batch)]
            for batch in (third, first, third, first + second, items)
        ]
    assert statuses[0] == [ItemStatus.ACCEPTED] * 20
    assert statuses[1] == [ItemStatus.ACCEPTED] * 20
    assert statuses[2] == [ItemStatus.DUPLICATE] * 20
    assert statuses[3] == [ItemStatus.DUPLICATE] * 20 + [ItemStatus.ACCEPTED] * 20
    assert statuses[4] == [ItemStatus.DUPLICATE] * 60
    # the same key with another payload is refused, never applied twice
    changed = store.outbox.pending(limit=1)[0]
    tampered = type(changed)(
        **{
            **{f: getattr(changed, f) for f in changed.__slots__},
            "payload": changed.payload.replace(b"MYS", b"SGP"),
        }
    )  # type: ignore[attr-defined]
    with engine._client() as client:
        (outcome,) = client.push([tampered])
    assert (outcome.status, outcome.code) == (ItemStatus.REJECTED, "key_reused")
    report = engine.run_once()  # the kiosk's own resend: all already there
    print(
        f"\nduplicated/reordered: 5 deliveries of 60 events, then a full resend: "
        f"{report.push.duplicate} duplicates, 0 new"
    )
    assert (report.push.accepted, report.push.duplicate) == (0, 60)
    _assert_exact(server.central, store, events, 0)


def test_tampered_feed_payload_is_rejected(
    server: ThreadedServer, proxy: FaultProxy, make_kiosk: KioskFactory
) -> None:
    store, engine = make_kiosk(server, "KIOSK-MITM", url=proxy.url)
    _publish(server.central, 5)
    proxy.faults.force_identity = True
    proxy.faults.tamper = (b'"reason":"warrant"', b'"reason":"warrent"')
    with pytest.raises(FeedIntegrityError):
        engine.run_once()
    assert proxy.faults.done["tamper"] == 1
    assert store.watchlist.count() == 0 and store.sync_state.checkpoint() == 0
    proxy.faults.tamper = None
    engine.run_once()
    print("\ntampered feed: 1 page altered in transit, refused; 0 records applied until clean")
    _assert_exact(server.central, store, [], 5)


@pytest.fixture
def server_process(database_url: str, tmp_path: Path) -> Iterator[dict[str, object]]:
    data_dir = tmp_path / "server-data"
    central = Central(ServerConfig.from_key_dir(database_url, data_dir / "server" / "keys"))
    central.migrate()
    port = free_port()
    box: dict[str, object] = {
        "process": spawn_server(database_url, data_dir, port),
        "central": central,
    }

    def restart() -> None:
        box["process"] = spawn_server(database_url, data_dir, port)

    box["restart"] = restart
    box["url"] = f"http://127.0.0.1:{port}"
    yield box
    process = box["process"]
    assert isinstance(process, subprocess.Popen)
    process.kill()
    process.wait()
    central.close()


def _kiosk(
    tmp_path: Path, central: Central, url: str, kiosk_id: str, **kwargs: object
) -> tuple[Store, SyncEngine]:
    keys = KeyStore(tmp_path / kiosk_id / "keys")
    store = Store.open(tmp_path / kiosk_id / "kiosk.db", keys.store_key())
    engine = SyncEngine(
        store,
        kiosk_settings(tmp_path / kiosk_id, kiosk_id, "WAYKANAN", url),
        keys.signing_key(),
        **kwargs,
    )  # type: ignore[arg-type]
    engine.register(central.issue_code("WAYKANAN")["code"])
    return store, engine


def test_server_killed_mid_transfer(server_process: dict[str, object], tmp_path: Path) -> None:
    central = server_process["central"]
    assert isinstance(central, Central)
    store, engine = _kiosk(
        tmp_path, central, str(server_process["url"]), "KIOSK-KILL", push_batch=25, page_size=20
    )
    events = enqueue_events(store, "KIOSK-KILL", "WAYKANAN", 600)
    _publish(central, 100)
    errors: list[BaseException] = []
    worker = threading.Thread(target=lambda: _capture(engine.run_once, errors))
    worker.start()
    deadline = time.monotonic() + 60
    # kill once about a third of the batches are in: some stored, the rest not
    while (
        central.counts()["pushed"].get("verification_event", 0) < 200
        and time.monotonic() < deadline
    ):
        time.sleep(0.005)
    process = server_process["process"]
    assert isinstance(process, subprocess.Popen)
    process.send_signal(signal.SIGKILL)  # mid-transfer: some batches stored, others not
    process.wait()
    worker.join(60)
    stored_at_kill = central.counts()["pushed"].get("verification_event", 0)
    assert errors and isinstance(errors[0], SyncError), errors
    restart = server_process["restart"]
    assert callable(restart)
    restart()
    failures, _, duplicates = _sync_until_done(engine)
    print(
        f"\nserver killed: {stored_at_kill}/600 events stored at the kill; after the restart "
        f"{failures} failed cycles, {duplicates} duplicate answers"
    )
    assert 200 <= stored_at_kill < 600
    _assert_exact(central, store, events, 100)
    store.close()


def _capture(fn: object, errors: list[BaseException]) -> None:
    try:
        fn()  # type: ignore[operator]
    except SyncError as exc:
        errors.append(exc)


CHILD = """
import os, signal, sys
from pathlib import Path
from models.keys import KeyStore
from models.store import Store
from models.store.outbox import OutboxItem
from sync.client import SyncClient
from sync.engine import SyncEngine
from tests.syncdata import kiosk_settings
root, url = Path(sys.argv[1]), sys.argv[2]
keys = KeyStore(root / "keys")
store = Store.open(root / "kiosk.db", keys.store_key())
pages = []
def die(page):
    pages.append(page)
    if len(pages) == 2:
        os.kill(os.getpid(), signal.SIGKILL)  # records of page 2 written, checkpoint not
engine = SyncEngine(store, kiosk_settings(root, "KIOSK-CRASH", "WAYKANAN", url), keys.signing_key(),
                    before_checkpoint=die, page_size=10)
engine.run_once()
"""


def test_kiosk_killed_between_applying_a_page_and_its_checkpoint(
    server: ThreadedServer, make_kiosk: KioskFactory, tmp_path: Path
) -> None:
    store, engine = make_kiosk(server, "KIOSK-CRASH", page_size=10)
    store.close()  # the child process owns the store now
    _publish(server.central, 35)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "KIOSK-CRASH"), server.url],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]
    keys = KeyStore(tmp_path / "KIOSK-CRASH" / "keys")
    reopened = Store.open(tmp_path / "KIOSK-CRASH" / "kiosk.db", keys.store_key())
    try:
        # page 1 is there with its checkpoint; page 2's records rolled back with it
        assert reopened.sync_state.checkpoint() == 10
        assert reopened.watchlist.count() == 10
        resumed = SyncEngine(reopened, engine.settings, keys.signing_key(), page_size=10)
        report = resumed.run_once()
        print(
            f"\nkiosk killed after writing page 2: store held 10/35 with checkpoint 10; "
            f"resumed {report.pull.pages} pages, {report.pull.upserts} changes"
        )
        assert report.pull.upserts == 25
        _assert_exact(server.central, reopened, [], 35)
    finally:
        reopened.close()

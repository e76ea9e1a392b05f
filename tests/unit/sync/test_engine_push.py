"""The engine's push against httpx.MockTransport: isolating an item the server refuses
with its whole batch, without setting aside items for a refusal that is not theirs."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models.store import Store
from sync.client import SyncClient
from sync.engine import SyncEngine
from sync.errors import RequestRefusedError
from tests.syncdata import NOW, kiosk_settings

KEY = Ed25519PrivateKey.generate()


def _refused(code: str) -> httpx.Response:
    return httpx.Response(400, json={"error": {"code": code, "message": "refused"}})


def _keys(request: httpx.Request) -> list[str]:
    return [i["key"] for i in json.loads(gzip.decompress(request.content))["items"]]


def _push(store: Store, tmp_path: Path, handler: object) -> tuple[SyncEngine, SyncClient]:
    settings = kiosk_settings(tmp_path, "K-1", "O-1", "http://central.test")
    engine = SyncEngine(store, settings, KEY, clock=lambda: NOW, push_batch=8)
    client = SyncClient(
        "http://central.test",
        kiosk_id="K-1",
        signing_key=KEY,
        transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
        clock=lambda: NOW,
    )
    return engine, client


def _fill(store: Store, n: int) -> None:
    for i in range(n):
        store.outbox.enqueue("device_status", f"k{i}", b"{}", now=NOW)


def test_the_one_item_a_batch_is_refused_for_is_set_aside(store: Store, tmp_path: Path) -> None:
    _fill(store, 8)

    def handler(request: httpx.Request) -> httpx.Response:
        keys = _keys(request)
        if "k5" in keys:
            return _refused("push.malformed")
        return httpx.Response(
            200, json={"results": [{"key": k, "status": "accepted"} for k in keys]}
        )

    engine, client = _push(store, tmp_path, handler)
    report = engine.push(client)
    assert (report.accepted, report.rejected) == (7, 1)
    assert store.outbox.depth() == 1


def test_a_refusal_of_every_item_alone_is_not_blamed_on_the_items(
    store: Store, tmp_path: Path
) -> None:
    """A server that refuses every request (a bug, a proxy) must fail the cycle, leaving
    the items pending — not set the whole outbox aside for a day."""
    _fill(store, 4)
    engine, client = _push(store, tmp_path, lambda _request: _refused("push.malformed"))
    with pytest.raises(RequestRefusedError):
        engine.push(client)
    assert len(store.outbox.pending(limit=10, now=NOW)) == 4

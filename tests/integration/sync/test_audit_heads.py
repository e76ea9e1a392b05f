"""Audit-chain heads on a real server: each sync pushes the head, the centre verifies
and keeps them, refuses rollbacks, forks and forged heads as security alerts, and
the kiosk anchors verification at the heads the centre holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from models.audit import AuditLog, BreakKind, ChainHead, entry_hash
from models.store import Store
from models.store.outbox import OutboxItem
from sync.engine import SyncEngine
from sync.protocol import ItemStatus
from sync.server.runner import ThreadedServer
from sync.server.tokens import Role
from tests.integration.sync.conftest import KioskFactory

pytestmark = pytest.mark.integration


def _append(audit: AuditLog, n: int, tag: str) -> None:
    for i in range(n):
        audit.append("officer-1", "decision", f"{tag}-{i}", {"outcome": "pass"})


def _push_head(engine: SyncEngine, head: ChainHead, key: str) -> tuple[ItemStatus, str | None]:
    """Push one head as the kiosk would (signed request), outside its outbox."""
    item = OutboxItem(
        0,
        key,
        "audit_head",
        datetime.now(UTC),
        json.dumps(head.to_json()).encode(),
        0,
        None,
    )
    with engine._client() as client:
        (outcome,) = client.push([item])
    return outcome.status, outcome.code


def _held(server: ThreadedServer, kiosk_id: str) -> list[tuple[int, str]]:
    return [(h["seq"], h["entry_hash"]) for h in server.central.kiosk_audit_heads(kiosk_id)]


def _truncate(store: Store, after_seq: int) -> None:
    store.database.execute("DELETE FROM audit_log WHERE seq > ?", (after_seq,))


def test_heads_are_kept_and_replays_rollbacks_forks_and_forgeries_refused(
    server: ThreadedServer, make_kiosk: KioskFactory
) -> None:
    store, engine = make_kiosk(server, "K-AUD")
    audit = AuditLog(store, engine._key)
    _append(audit, 3, "a")
    assert engine.run_once().push.accepted == 1  # the head, enqueued before the push
    _append(audit, 2, "b")
    engine.run_once()
    engine.run_once()  # nothing new: the same head is not queued twice
    first, fifth = list(store.audit)[2], list(store.audit)[4]
    assert _held(server, "K-AUD") == [(3, first.entry_hash.hex()), (5, fifth.entry_hash.hex())]
    assert [h.seq for h in engine.held_audit_heads()] == [3, 5]
    with engine._client() as client:  # paging
        page, more = client.audit_heads(0, limit=1)
        assert [h.seq for h in page] == [3] and more
        page, more = client.audit_heads(3, limit=1)
        assert [h.seq for h in page] == [5] and not more

    # a replayed head the centre holds changes nothing
    old = ChainHead(3, first.entry_hash, first.signature)
    assert _push_head(engine, old, "audit_head:3") == (ItemStatus.DUPLICATE, None)
    assert _push_head(engine, old, "replayed-under-another-key") == (ItemStatus.DUPLICATE, None)

    # history truncated to 3 and continued (an old backup restored, or an insider):
    # the new record 4 is older than the held head 5 -> rollback
    _truncate(store, 3)
    _append(audit, 1, "c")
    report = engine.run_once()
    assert report.push.rejected == 1
    errors = store.database.query("SELECT last_error FROM outbox WHERE sent_at IS NULL")
    assert [r["last_error"] for r in errors] == ["rejected:audit_rollback"]
    # ... and record 5 of the rewritten history, at the held position -> fork
    _append(audit, 1, "d")
    rewritten = audit.head()
    assert rewritten is not None and rewritten.seq == 5
    assert _push_head(engine, rewritten, "audit_head:5") == (ItemStatus.REJECTED, "audit_fork")
    assert _push_head(engine, rewritten, "audit_head:5") == (ItemStatus.REJECTED, "audit_fork")

    # a head that the kiosk key did not sign
    forged_signature = Ed25519PrivateKey.generate().sign(b"\x01" * 32)
    forged = ChainHead(9, b"\x01" * 32, forged_signature)
    assert _push_head(engine, forged, "audit_head:9") == (ItemStatus.REJECTED, "bad_signature")

    # none of it replaced what the centre holds
    assert _held(server, "K-AUD") == [(3, first.entry_hash.hex()), (5, fifth.entry_hash.hex())]
    alerts = {(a["kind"], a["seq"]): a for a in server.central.security_alerts()}
    assert set(alerts) == {("audit_rollback", 4), ("audit_fork", 5), ("audit_bad_signature", 9)}
    assert alerts[("audit_fork", 5)]["count"] == 2  # the same finding again: counted, not repeated
    assert alerts[("audit_rollback", 4)]["held_seq"] == 5
    assert alerts[("audit_fork", 5)]["held_hash"] == fifth.entry_hash.hex()
    row = server.central.dashboard()["kiosks"][0]
    assert (row["audit_head_seq"], row["open_security_alerts"]) == (5, 3)
    assert server.central.dashboard()["open_security_alerts"] == 3

    # the rewritten chain grows past the held head: a head alone cannot show that it
    # does not descend from head 5, so the centre accepts it at push time ...
    _append(audit, 1, "e")
    engine.run_once()
    assert [seq for seq, _ in _held(server, "K-AUD")] == [3, 5, 6]
    # ... but verification anchored at every held head finds the rewrite
    report_anchored = audit.verify(anchors=engine.held_audit_heads())
    assert report_anchored.first_break is not None
    assert (report_anchored.first_break.seq, report_anchored.first_break.kind) == (
        5,
        BreakKind.FORK,
    )
    assert audit.verify(anchors=engine.held_audit_heads()[-1:]).valid  # the newest alone: not


def test_alerts_through_the_admin_api_record_the_token_name(
    server: ThreadedServer, make_kiosk: KioskFactory
) -> None:
    store, engine = make_kiosk(server, "K-ACK")
    audit = AuditLog(store, engine._key)
    _append(audit, 2, "a")
    engine.run_once()
    _truncate(store, 1)
    store.database.execute("DELETE FROM outbox")  # an older backup restored: no trace of head 2
    older = audit.head()
    assert older is not None and older.seq == 1
    assert _push_head(engine, older, "audit_head:1") == (ItemStatus.REJECTED, "audit_rollback")
    admin = server.central.create_token("security-desk", Role.ADMIN)
    viewer = server.central.create_token("wallboard", Role.VIEWER)
    url = f"{server.url}/admin/v1/security/alerts"
    listed = httpx.get(url, headers={"Authorization": f"Bearer {viewer}"}).json()
    assert [(a["kind"], a["kiosk_id"], a["seq"], a["held_seq"]) for a in listed] == [
        ("audit_rollback", "K-ACK", 1, 2)
    ]
    alert_id = listed[0]["alert_id"]
    ack = f"{url}/{alert_id}/acknowledge"
    assert httpx.post(ack, headers={"Authorization": f"Bearer {viewer}"}).status_code == 403
    assert httpx.post(ack, headers={"Authorization": f"Bearer {admin}"}).json() == {
        "acknowledged": True
    }
    assert httpx.post(ack, headers={"Authorization": f"Bearer {admin}"}).status_code == 404
    done = httpx.get(f"{url}?status=all", headers={"Authorization": f"Bearer {viewer}"}).json()
    assert (done[0]["status"], done[0]["acknowledged_by"]) == ("acknowledged", "security-desk")
    assert httpx.get(url, headers={"Authorization": f"Bearer {viewer}"}).json() == []
    heads = httpx.get(
        f"{server.url}/admin/v1/kiosks/K-ACK/audit-heads",
        headers={"Authorization": f"Bearer {viewer}"},
    ).json()
    assert [h["seq"] for h in heads] == [2]


def test_a_rekeyed_kiosk_starts_a_new_chain(
    server: ThreadedServer, make_kiosk: KioskFactory
) -> None:
    store, engine = make_kiosk(server, "K-DISK")
    audit = AuditLog(store, engine._key)
    _append(audit, 4, "a")
    engine.run_once()
    # the disk is replaced: new key, new store, re-registered with a code for this id
    _, replacement = make_kiosk(server, "K-DISK-2", register=False)
    replacement.kiosk_id = "K-DISK"
    replacement.register(server.central.issue_code("WAYKANAN", kiosk_id="K-DISK")["code"])
    fresh = AuditLog(replacement.store, replacement._key)
    _append(fresh, 1, "b")
    assert replacement.run_once().push.accepted == 1  # seq 1 of the new key: no rollback
    assert [h.seq for h in replacement.held_audit_heads()] == [1]
    assert server.central.security_alerts() == []
    with server.central.engine.connect() as conn:
        keys = conn.execute(text("SELECT count(DISTINCT key_id) FROM audit_heads")).scalar_one()
    assert keys == 2  # the old chain's heads are kept


def test_a_head_fabricated_with_the_stolen_key_shows_at_verification(
    server: ThreadedServer, make_kiosk: KioskFactory
) -> None:
    """A head signed with the right key over a hash that is not the chain's (a stolen
    key, a fabricated head) is accepted as a head, but verification finds the chain
    does not contain it."""
    store, engine = make_kiosk(server, "K-FAB")
    audit = AuditLog(store, engine._key)
    _append(audit, 2, "a")
    engine.run_once()
    fake_hash = entry_hash(datetime.now(UTC), "x", "y", "z", "{}", b"\0" * 32)
    fabricated = ChainHead(7, fake_hash, engine._key.sign(fake_hash))
    assert _push_head(engine, fabricated, "audit_head:7") == (ItemStatus.ACCEPTED, None)
    report = audit.verify(anchors=engine.held_audit_heads())
    assert report.first_break is not None and report.first_break.kind is BreakKind.TRUNCATION

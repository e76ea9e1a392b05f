"""Tampering cases of the audit chain: each is detected and classified."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models.audit import (
    GENESIS,
    AuditLog,
    BreakKind,
    ChainHead,
    HeadVerdict,
    check_head_progression,
    entry_hash,
)
from models.errors import SecurityError
from models.store import Store

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


@pytest.fixture
def signer() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def log(store: Store, signer: Ed25519PrivateKey) -> AuditLog:
    ticks = iter(range(1000))
    audit = AuditLog(store, signer, clock=lambda: T0 + timedelta(seconds=next(ticks)))
    for i in range(1, 7):
        audit.append("kiosk", "decision", f"ev-{i}", {"outcome": "pass" if i % 2 else "refer"})
    return audit


def _sql(store: Store, statement: str, *params: object) -> None:
    store.database.execute(statement, params)


def test_an_untouched_chain_verifies(log: AuditLog) -> None:
    report = log.verify()
    assert report.valid and report.records == 6
    head = log.head()
    assert head is not None and report.head == head and head.seq == 6
    assert report.to_json()["first_break"] is None


def test_records_are_linked_and_signed(store: Store, log: AuditLog) -> None:
    first, second = list(store.audit)[:2]
    assert first.prev_hash == GENESIS and second.prev_hash == first.entry_hash
    assert second.entry_hash == entry_hash(
        second.occurred_at,
        second.actor,
        second.action,
        second.subject,
        second.detail,
        second.prev_hash,
    )
    log.public_key.verify(second.signature, second.entry_hash)


def test_edit_is_detected(store: Store, log: AuditLog) -> None:
    _sql(store, "UPDATE audit_log SET detail = ? WHERE seq = 3", '{"outcome":"refer"}')
    first = log.verify().first_break
    assert first is not None and (first.seq, first.kind) == (3, BreakKind.EDIT)


def test_rehashed_edit_without_the_key_is_a_forged_signature(store: Store, log: AuditLog) -> None:
    record = list(store.audit)[2]
    forged = entry_hash(
        record.occurred_at,
        "officer-9",
        record.action,
        record.subject,
        record.detail,
        record.prev_hash,
    )
    _sql(store, "UPDATE audit_log SET actor = 'officer-9', entry_hash = ? WHERE seq = 3", forged)
    report = log.verify()
    assert report.first_break is not None
    assert (report.first_break.seq, report.first_break.kind) == (3, BreakKind.FORGED_SIGNATURE)
    # and the next record no longer links to it
    assert any(b.seq == 4 and b.kind is BreakKind.DELETION for b in report.breaks)


def test_re_signing_with_another_key_is_a_forged_signature(store: Store, log: AuditLog) -> None:
    other = Ed25519PrivateKey.generate()
    record = list(store.audit)[4]
    _sql(store, "UPDATE audit_log SET signature = ? WHERE seq = 5", other.sign(record.entry_hash))
    first = log.verify().first_break
    assert first is not None and (first.seq, first.kind) == (5, BreakKind.FORGED_SIGNATURE)


def test_deletion_is_detected(store: Store, log: AuditLog) -> None:
    _sql(store, "DELETE FROM audit_log WHERE seq = 4")
    first = log.verify().first_break
    assert first is not None and (first.seq, first.kind) == (5, BreakKind.DELETION)


def test_deleting_the_first_record_is_detected(store: Store, log: AuditLog) -> None:
    _sql(store, "DELETE FROM audit_log WHERE seq = 1")
    first = log.verify().first_break
    assert first is not None and (first.seq, first.kind) == (2, BreakKind.DELETION)


def test_reorder_is_detected(store: Store, log: AuditLog) -> None:
    _sql(store, "UPDATE audit_log SET seq = 100 WHERE seq = 3")
    _sql(store, "UPDATE audit_log SET seq = 3 WHERE seq = 5")
    _sql(store, "UPDATE audit_log SET seq = 5 WHERE seq = 100")
    first = log.verify().first_break
    assert first is not None and (first.seq, first.kind) == (3, BreakKind.REORDER)


def test_renumbering_is_detected(store: Store, log: AuditLog) -> None:
    _sql(store, "UPDATE audit_log SET seq = seq + 10 WHERE seq >= 4")
    first = log.verify().first_break
    assert first is not None and (first.seq, first.kind) == (14, BreakKind.RENUMBERED)


def test_truncation_is_detected_only_with_the_servers_head(store: Store, log: AuditLog) -> None:
    head = log.head()
    assert head is not None
    _sql(store, "DELETE FROM audit_log WHERE seq >= 5")
    assert log.verify().valid  # locally a shorter chain looks fine ...
    first = log.verify(anchors=[head]).first_break  # ... the central server's head shows it
    assert first is not None and first.kind is BreakKind.TRUNCATION


def test_consistent_rewrite_with_the_stolen_key_is_a_fork(
    store: Store, log: AuditLog, signer: Ed25519PrivateKey
) -> None:
    held = log.head()
    assert held is not None
    # An attacker with the disk and the key rewrites the chain from record 4 on, re-signing it.
    _sql(store, "DELETE FROM audit_log WHERE seq >= 4")
    forger = AuditLog(store, signer, clock=lambda: T0 + timedelta(hours=1))
    for i in range(4, 8):
        forger.append("kiosk", "decision", f"ev-{i}", {"outcome": "pass"})
    assert log.verify().valid  # internally consistent
    first = log.verify(anchors=[held]).first_break
    assert first is not None and (first.seq, first.kind) == (6, BreakKind.FORK)


def test_server_refuses_replayed_and_forked_heads(log: AuditLog) -> None:
    head = log.head()
    assert head is not None
    older = ChainHead(head.seq - 2, b"\x01" * 32, b"")
    assert check_head_progression(None, head) is HeadVerdict.ACCEPTED
    assert check_head_progression(head, head) is HeadVerdict.UNCHANGED
    assert check_head_progression(head, older) is HeadVerdict.ROLLBACK
    assert check_head_progression(head, ChainHead(head.seq, b"\x02" * 32, b"")) is HeadVerdict.FORK
    newer = log.append("kiosk", "login", "officer-1")
    assert (
        check_head_progression(head, ChainHead(newer.seq, newer.entry_hash, newer.signature))
        is HeadVerdict.ACCEPTED
    )


def test_head_signature_and_json(log: AuditLog, signer: Ed25519PrivateKey) -> None:
    head = log.head()
    assert head is not None
    assert ChainHead.from_json(head.to_json()) == head
    head.verify(signer.public_key())
    with pytest.raises(SecurityError):
        head.verify(Ed25519PrivateKey.generate().public_key())
    with pytest.raises(SecurityError):
        ChainHead.from_json({"seq": "x"})


def test_empty_chain_is_valid(store: Store, signer: Ed25519PrivateKey) -> None:
    report = AuditLog(store, signer).verify()
    assert report.valid and report.records == 0 and report.head is None

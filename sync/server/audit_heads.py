"""Audit-chain heads pushed by kiosks: verified, checked for progression, kept.

A kiosk pushes the head of its audit chain (``models.audit.ChainHead``: seq,
entry hash, Ed25519 signature over the hash) with each sync. The centre:

1. verifies the signature with the kiosk's registered key (the key that also
   signs its requests); a head it did not sign is refused and raises an
   ``audit_bad_signature`` alert;
2. compares the head with those it holds *for that key* (an officer re-keying a
   kiosk starts a new chain): a head it holds already is a ``duplicate``; one at
   a position it holds with another hash is a ``fork``; otherwise
   :func:`models.audit.check_head_progression` against the newest held head
   decides: newer is stored, older is a ``rollback``;
3. stores accepted heads as history (every accepted head, not only the newest),
   so ``gerbang audit verify --from-server`` can anchor at all of them;
4. records refused heads as :data:`schema.security_alerts` — never in place of
   the held head.

Heads are their own idempotency: (kiosk, key, seq) is unique, so they are not
stored in ``pushed_records`` (a kiosk re-keyed with a fresh store reuses the
keys ``audit_head:<seq>`` of its old chain).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, func, select, update

from models.audit import ChainHead, HeadVerdict, check_head_progression
from models.errors import MalformedDataError, SecurityError
from sync.protocol import ItemStatus
from sync.server import schema as s
from sync.server.api_models import AuditHeadIn
from sync.server.db import upsert
from sync.server.registry import Kiosk

log = logging.getLogger(__name__)

OPEN = "open"
ACKNOWLEDGED = "acknowledged"


class AlertKind(StrEnum):
    ROLLBACK = "audit_rollback"  # older than the held head: replay, truncation, old backup
    FORK = "audit_fork"  # a held position with another hash: history rewritten
    BAD_SIGNATURE = "audit_bad_signature"  # not signed by the kiosk's key


@dataclass(frozen=True, slots=True)
class PushedHead:
    key: str  # the outbox item's idempotency key
    head: ChainHead


def key_id(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()


def parse_head(payload: str) -> ChainHead:
    """The chain head of an ``audit_head`` payload; raises MalformedDataError."""
    try:
        data = AuditHeadIn.model_validate_json(payload)
    except ValueError as exc:
        raise MalformedDataError("audit head is not {seq, entry_hash, signature}") from exc
    return ChainHead(data.seq, bytes.fromhex(data.entry_hash), bytes.fromhex(data.signature))


def _head(row: Any) -> ChainHead:
    return ChainHead(int(row.seq), bytes.fromhex(row.entry_hash), bytes.fromhex(row.signature))


def newest(conn: Connection, kiosk_id: str, key: str) -> ChainHead | None:
    t = s.audit_heads
    row = conn.execute(
        select(t.c.seq, t.c.entry_hash, t.c.signature)
        .where(t.c.kiosk_id == kiosk_id, t.c.key_id == key)
        .order_by(t.c.seq.desc())
        .limit(1)
    ).first()
    return _head(row) if row is not None else None


def _held_at(conn: Connection, kiosk_id: str, key: str, seq: int) -> ChainHead | None:
    t = s.audit_heads
    row = conn.execute(
        select(t.c.seq, t.c.entry_hash, t.c.signature).where(
            t.c.kiosk_id == kiosk_id, t.c.key_id == key, t.c.seq == seq
        )
    ).first()
    return _head(row) if row is not None else None


def _alert(
    conn: Connection,
    kiosk: Kiosk,
    kind: AlertKind,
    head: ChainHead,
    held: ChainHead | None,
    now: datetime,
) -> None:
    t = s.security_alerts
    stmt = upsert(conn, t).values(
        kind=kind.value,
        kiosk_id=kiosk.kiosk_id,
        office_id=kiosk.office_id,
        seq=head.seq,
        entry_hash=head.entry_hash.hex(),
        held_seq=held.seq if held else None,
        held_hash=held.entry_hash.hex() if held else None,
        first_seen_at=now,
        last_seen_at=now,
        count=1,
        status=OPEN,
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["kiosk_id", "kind", "seq", "entry_hash"],
            set_={"last_seen_at": now, "count": t.c.count + 1},
        )
    )
    log.warning("audit head refused", extra={"kiosk_id": kiosk.kiosk_id, "code": kind.value})


def _result(key: str, status: ItemStatus, code: str | None = None) -> dict[str, str]:
    result = {"key": key, "status": status.value}
    if code is not None:
        result["code"] = code
    return result


def ingest_heads(
    conn: Connection, kiosk: Kiosk, pushed: list[PushedHead], *, now: datetime
) -> list[dict[str, str]]:
    """Screen and store pushed heads in the caller's transaction; one result per head."""
    kid = key_id(kiosk.public_key)
    public = Ed25519PublicKey.from_public_bytes(kiosk.public_key)
    held = newest(conn, kiosk.kiosk_id, kid)
    results = []
    for item in pushed:
        head = item.head
        try:
            head.verify(public)
        except SecurityError:
            _alert(conn, kiosk, AlertKind.BAD_SIGNATURE, head, held, now)
            results.append(_result(item.key, ItemStatus.REJECTED, "bad_signature"))
            continue
        same_position = _held_at(conn, kiosk.kiosk_id, kid, head.seq)
        if same_position is not None:
            if same_position.entry_hash == head.entry_hash:
                results.append(_result(item.key, ItemStatus.DUPLICATE))
            else:
                _alert(conn, kiosk, AlertKind.FORK, head, same_position, now)
                results.append(_result(item.key, ItemStatus.REJECTED, "audit_fork"))
            continue
        verdict = check_head_progression(held, head)
        if verdict is HeadVerdict.ACCEPTED:
            conn.execute(
                s.audit_heads.insert().values(
                    kiosk_id=kiosk.kiosk_id,
                    key_id=kid,
                    seq=head.seq,
                    entry_hash=head.entry_hash.hex(),
                    signature=head.signature.hex(),
                    received_at=now,
                )
            )
            held = head
            results.append(_result(item.key, ItemStatus.ACCEPTED))
        else:
            # UNCHANGED cannot reach here (the held position was found above).
            kind = AlertKind.ROLLBACK if verdict is HeadVerdict.ROLLBACK else AlertKind.FORK
            _alert(conn, kiosk, kind, head, held, now)
            results.append(_result(item.key, ItemStatus.REJECTED, kind.value))
    return results


# ---------------------------------------------------------------- reading
def history(
    conn: Connection, kiosk_id: str, key: str, *, after: int, limit: int
) -> list[dict[str, Any]]:
    """Held heads of ``kiosk_id`` under ``key`` with seq > ``after``, oldest first."""
    t = s.audit_heads
    rows = conn.execute(
        select(t.c.seq, t.c.entry_hash, t.c.signature, t.c.received_at)
        .where(t.c.kiosk_id == kiosk_id, t.c.key_id == key, t.c.seq > after)
        .order_by(t.c.seq)
        .limit(limit)
    )
    return [
        {
            "seq": int(r.seq),
            "entry_hash": r.entry_hash,
            "signature": r.signature,
            "received_at": r.received_at.isoformat(),
        }
        for r in rows
    ]


def newest_per_kiosk(conn: Connection) -> dict[str, dict[str, Any]]:
    """The newest held head of each kiosk (any key): seq and when it arrived."""
    t = s.audit_heads
    latest = (
        select(t.c.kiosk_id, func.max(t.c.row_id).label("row_id")).group_by(t.c.kiosk_id)
    ).subquery()
    rows = conn.execute(
        select(t.c.kiosk_id, t.c.seq, t.c.received_at).join(latest, t.c.row_id == latest.c.row_id)
    )
    return {r.kiosk_id: {"seq": int(r.seq), "received_at": r.received_at.isoformat()} for r in rows}


def list_alerts(
    conn: Connection, *, status: str | None = OPEN, kiosk_id: str | None = None
) -> list[dict[str, Any]]:
    t = s.security_alerts
    query = select(t).order_by(t.c.last_seen_at.desc(), t.c.alert_id.desc())
    if status:
        query = query.where(t.c.status == status)
    if kiosk_id:
        query = query.where(t.c.kiosk_id == kiosk_id)
    alerts = []
    for row in conn.execute(query):
        m = row._mapping
        alerts.append(
            {
                **{k: m[k] for k in ("alert_id", "kind", "kiosk_id", "office_id", "seq")},
                "entry_hash": m["entry_hash"],
                "held_seq": m["held_seq"],
                "held_hash": m["held_hash"],
                "count": int(m["count"]),
                "status": m["status"],
                "first_seen_at": m["first_seen_at"].isoformat(),
                "last_seen_at": m["last_seen_at"].isoformat(),
                "acknowledged_by": m["acknowledged_by"],
                "acknowledged_at": m["acknowledged_at"].isoformat()
                if m["acknowledged_at"]
                else None,
            }
        )
    return alerts


def open_alerts_per_kiosk(conn: Connection) -> dict[str, int]:
    t = s.security_alerts
    rows = conn.execute(
        select(t.c.kiosk_id, func.count()).where(t.c.status == OPEN).group_by(t.c.kiosk_id)
    )
    return {str(k): int(n) for k, n in rows}


def acknowledge(conn: Connection, alert_id: int, *, by: str, now: datetime) -> bool:
    t = s.security_alerts
    result = conn.execute(
        update(t)
        .where(t.c.alert_id == alert_id, t.c.status == OPEN)
        .values(status=ACKNOWLEDGED, acknowledged_by=by[:64], acknowledged_at=now)
    )
    return bool(result.rowcount)

"""The change feed: publishing changes with sequence numbers and reading pages.

Sequence numbers come from one counter row that each publishing transaction
updates first; the row lock makes publishers commit in sequence order, so a
reader that has seen sequence N can never later find a change numbered below
N appearing (the classic hole of ``SERIAL`` columns under concurrent writers).
Publishing is rare (watchlist updates, enrollments); reading is not locked.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update

from models import codec
from models.bundles import EnrollmentBundle, TrustAnchor, WatchlistBundle
from models.errors import MalformedDataError
from sync import params
from sync.policy import PolicyDocument
from sync.protocol import GLOBAL_SCOPE, FeedKind
from sync.server import schema as s
from sync.server.apierror import ApiError, bad_request
from sync.server.db import upsert


@dataclass(frozen=True, slots=True)
class Change:
    kind: str
    record_id: str
    scope: str  # "*" or an office id
    payload: str | None  # canonical JSON; None publishes a tombstone


def validate(kind: str, record_id: str, scope: str, payload: object) -> str:
    """Decode ``payload`` as the record of ``kind``; returns its canonical JSON."""
    try:
        feed_kind = FeedKind(kind)
    except ValueError as exc:
        raise bad_request("feed.unknown_kind", f"unknown feed kind {kind!r}") from exc
    try:
        if feed_kind is FeedKind.WATCHLIST:
            bundle = codec.from_json_value(WatchlistBundle, payload)
            _same_id(bundle.entry.entry_id, record_id)
            _templates_listed(
                bundle.entry.face_template_ids, [t.template_id for t in bundle.face_templates]
            )
            _templates_listed(
                bundle.entry.fingerprint_template_ids,
                [t.template_id for t in bundle.fingerprint_templates],
            )
            record: object = bundle
        elif feed_kind is FeedKind.TRAVELLER:
            enrolled = codec.from_json_value(EnrollmentBundle, payload)
            _same_id(enrolled.enrollment.enrollment_id, record_id)
            record = enrolled
        elif feed_kind is FeedKind.TRUST_ANCHOR:
            anchor = codec.from_json_value(TrustAnchor, payload)
            _same_id(anchor.anchor_id, record_id)
            record = anchor
        else:
            _policy_scope(record_id, scope)
            record = codec.from_json_value(PolicyDocument, payload)
    except MalformedDataError as exc:
        raise bad_request("feed.malformed", f"{kind} {record_id}: {exc}") from exc
    return codec.dumps(record).decode()


def _policy_scope(record_id: str, scope: str) -> None:
    if (record_id == "global") != (scope == GLOBAL_SCOPE) or (
        record_id != "global" and record_id != scope
    ):
        raise MalformedDataError("policy id is 'global' (scope '*') or the office id")


def _same_id(inside: str, record_id: str) -> None:
    if inside != record_id:
        raise MalformedDataError(f"record id {record_id!r} differs from the payload's {inside!r}")


def _templates_listed(listed: tuple[str, ...], carried: list[str]) -> None:
    if sorted(listed) != sorted(carried):
        raise MalformedDataError("the bundle's templates differ from the ids the entry lists")


def publish(conn: Connection, changes: Sequence[Change], *, now: datetime) -> tuple[int, int]:
    """Give each change the next sequence number; returns (first, last) assigned."""
    latest: dict[tuple[str, str], Change] = {}
    for change in changes:
        latest.pop((change.kind, change.record_id), None)
        latest[(change.kind, change.record_id)] = change  # keeps the last, in order
    ordered = list(latest.values())
    if not ordered:
        return (0, 0)
    counter = s.feed_counter
    last = conn.execute(
        update(counter)
        .where(counter.c.id == 1)
        .values(last_seq=counter.c.last_seq + len(ordered))
        .returning(counter.c.last_seq)
    ).scalar_one()
    first = int(last) - len(ordered) + 1
    table = s.feed_records
    for start in range(0, len(ordered), params.PUBLISH_CHUNK):
        chunk = ordered[start : start + params.PUBLISH_CHUNK]
        rows = [
            {
                "kind": c.kind,
                "record_id": c.record_id,
                "scope": c.scope,
                "seq": first + start + i,
                "deleted": c.payload is None,
                "payload": c.payload,
                "updated_at": now,
            }
            for i, c in enumerate(chunk)
        ]
        stmt = upsert(conn, table)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["kind", "record_id"],
                set_={
                    "scope": stmt.excluded.scope,
                    "seq": stmt.excluded.seq,
                    "deleted": stmt.excluded.deleted,
                    "payload": stmt.excluded.payload,
                    "updated_at": stmt.excluded.updated_at,
                },
            ),
            rows,
        )
    return first, int(last)


def head(conn: Connection) -> int:
    value = conn.execute(select(s.feed_counter.c.last_seq).where(s.feed_counter.c.id == 1)).scalar()
    return int(value or 0)


def scope_of(conn: Connection, kind: str, record_id: str) -> str | None:
    t = s.feed_records
    row = conn.execute(
        select(t.c.scope).where(t.c.kind == kind, t.c.record_id == record_id)
    ).first()
    return str(row[0]) if row else None


def page_body(
    conn: Connection,
    *,
    kiosk_id: str,
    office_id: str,
    nonce: str,
    since: int,
    limit: int,
    server_time: int,
) -> bytes:
    """One feed page as JSON bytes (the stored payloads are embedded without re-parsing)."""
    t = s.feed_records
    rows = conn.execute(
        select(t.c.seq, t.c.kind, t.c.record_id, t.c.deleted, t.c.payload)
        .where(t.c.seq > since, t.c.scope.in_((GLOBAL_SCOPE, office_id)))
        .order_by(t.c.seq)
        .limit(limit + 1)
    ).all()
    if not rows and since > 0 and since > head(conn):
        # The centre's feed is behind the kiosk: its database was restored from an
        # older backup. The kiosk must start again from 0, or it skips every change
        # numbered up to its checkpoint (see docs/sync.md, "Restoring the centre").
        raise ApiError(
            409, "feed.checkpoint_ahead", "checkpoint is ahead of this feed; resync from 0"
        )
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        '{"seq":%d,"kind":%s,"id":%s,"deleted":%s,"payload":%s}'  # noqa: UP031 - hot path
        % (
            seq,
            json.dumps(kind),
            json.dumps(record_id),
            "true" if deleted else "false",
            "null" if deleted or payload is None else payload,
        )
        for seq, kind, record_id, deleted, payload in rows
    ]
    header = {
        "kiosk_id": kiosk_id,
        "office_id": office_id,
        "nonce": nonce,
        "since": since,
        "next": int(rows[-1][0]) if rows else since,
        "more": more,
        "server_time": server_time,
    }
    head_json = json.dumps(header, separators=(",", ":"))
    return (head_json[:-1] + ',"items":[' + ",".join(items) + "]}").encode()

"""Ingest of pushed outbox items: validate, deduplicate, store, side effects.

Exactly-once effect: every item is stored under the unique pair (kiosk id,
idempotency key) with ``INSERT ... ON CONFLICT DO NOTHING``; only the rows this
statement really inserted get their side effects (enrollment de-duplication and
redistribution, device health, the dashboard's rollups), in the same transaction. A second delivery of
the same key is answered ``duplicate`` (done); the same key with a different
payload is ``rejected`` with ``key_reused``. Audit-chain heads are screened and
kept by :mod:`sync.server.audit_heads` (their own idempotency: kiosk, key, seq).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from models import codec
from models.bundles import EnrollmentBundle
from models.errors import MalformedDataError
from models.events import Referral, VerificationEvent
from models.operations import DeviceStatus
from sync.protocol import FeedKind, ItemStatus, PushKind, sha256_hex
from sync.server import audit_heads, dedup, feeds, rollups
from sync.server import schema as s
from sync.server.api_models import PushItemIn
from sync.server.db import upsert
from sync.server.registry import Kiosk


class DuplicateKeyError(ValueError):
    """A push batch names one idempotency key twice (the whole batch is malformed)."""


@dataclass(frozen=True, slots=True)
class _Valid:
    key: str
    kind: PushKind
    record_id: str | None
    created_at: datetime
    payload: str
    digest: str
    record: Any


def _reject(key: str, code: str) -> dict[str, str]:
    return {"key": key, "status": ItemStatus.REJECTED.value, "code": code}


def _decode(kind: PushKind, payload: str, kiosk: Kiosk) -> tuple[Any, str | None]:
    """The decoded record and its id; raises MalformedDataError or PermissionError."""
    if kind is PushKind.AUDIT_HEAD:
        return audit_heads.parse_head(payload), None
    if kind is PushKind.VERIFICATION_EVENT:
        event = codec.loads(VerificationEvent, payload)
        _own(event.kiosk_id == kiosk.kiosk_id and event.office_id == kiosk.office_id)
        return event, event.event_id
    if kind is PushKind.REFERRAL:
        referral = codec.loads(Referral, payload)
        _own(referral.kiosk_id == kiosk.kiosk_id)
        return referral, referral.referral_id
    if kind is PushKind.ENROLLMENT:
        bundle = codec.loads(EnrollmentBundle, payload)
        e = bundle.enrollment
        _own(e.kiosk_id == kiosk.kiosk_id and e.office_id == kiosk.office_id)
        return bundle, e.enrollment_id
    device = codec.loads(DeviceStatus, payload)
    return device, device.device_id


def _created_at(created_raw: str) -> datetime:
    created_at = datetime.fromisoformat(created_raw)
    if created_at.tzinfo is None:
        raise MalformedDataError("created_at has no timezone")
    return created_at


def _own(ok: bool) -> None:
    if not ok:
        raise PermissionError("record names another kiosk or office")


def validate_items(
    raw_items: Sequence[PushItemIn], kiosk: Kiosk
) -> tuple[list[_Valid], list[dict[str, str]]]:
    """Items whose envelope (``PushBatchIn``) is valid: decode each payload as its record."""
    valid: list[_Valid] = []
    rejected: list[dict[str, str]] = []
    seen: set[str] = set()
    for raw in raw_items:
        key = raw.key
        if key in seen:
            raise DuplicateKeyError("an idempotency key appears twice in one batch")
        seen.add(key)
        try:
            kind = PushKind(raw.kind)
        except ValueError:
            rejected.append(_reject(key, "unknown_kind"))
            continue
        payload = raw.payload
        try:
            created_at = _created_at(raw.created_at)
            record, record_id = _decode(kind, payload, kiosk)
        except PermissionError:
            rejected.append(_reject(key, "not_own_record"))
            continue
        except (MalformedDataError, ValueError):
            rejected.append(_reject(key, "malformed"))
            continue
        valid.append(
            _Valid(key, kind, record_id, created_at, payload, sha256_hex(payload.encode()), record)
        )
    return valid, rejected


def ingest(
    conn: Connection,
    kiosk: Kiosk,
    raw_items: Sequence[PushItemIn],
    *,
    now: datetime,
    index_key: bytes,
) -> list[dict[str, str]]:
    """Store a batch in the caller's transaction; returns one result per item."""
    checked, results = validate_items(raw_items, kiosk)
    heads = [
        audit_heads.PushedHead(v.key, v.record) for v in checked if v.kind is PushKind.AUDIT_HEAD
    ]
    if heads:
        results.extend(audit_heads.ingest_heads(conn, kiosk, heads, now=now))
    valid = [v for v in checked if v.kind is not PushKind.AUDIT_HEAD]
    taken = _enrollments_of_others(conn, kiosk, valid)
    if taken:
        results.extend(_reject(v.key, "not_own_record") for v in valid if v.key in taken)
        valid = [v for v in valid if v.key not in taken]
    if not valid:
        return results
    t = s.pushed_records
    inserted = _insert_new(conn, kiosk, valid, now)
    earlier = [v for v in valid if v.key not in inserted]
    stored: dict[str, str] = {}
    if earlier:
        stored = {
            str(k): str(d)
            for k, d in conn.execute(
                select(t.c.idempotency_key, t.c.payload_sha256).where(
                    t.c.kiosk_id == kiosk.kiosk_id,
                    t.c.idempotency_key.in_([v.key for v in earlier]),
                )
            )
        }
    events: list[rollups.Version] = []
    for v in valid:
        if v.key in inserted:
            _side_effects(conn, kiosk, v, now=now, index_key=index_key)
            if v.kind is PushKind.VERIFICATION_EVENT:
                events.append(rollups.Version(kiosk.kiosk_id, v.key, v.created_at, v.record))
            results.append({"key": v.key, "status": ItemStatus.ACCEPTED.value})
        elif stored.get(v.key) == v.digest:
            results.append({"key": v.key, "status": ItemStatus.DUPLICATE.value})
        else:
            results.append(_reject(v.key, "key_reused"))
    rollups.enqueue(conn, events)  # counted into the dashboard's rollups by the folder
    return results


def _enrollments_of_others(conn: Connection, kiosk: Kiosk, valid: list[_Valid]) -> set[str]:
    """Keys of enrollments whose id the centre holds for another kiosk: a kiosk may
    update its own enrollments only, never take over another kiosk's."""
    ids = {v.record_id for v in valid if v.kind is PushKind.ENROLLMENT and v.record_id}
    if not ids:
        return set()
    e = s.central_enrollments
    others = {
        str(r)
        for r in conn.execute(
            select(e.c.enrollment_id).where(
                e.c.enrollment_id.in_(sorted(ids)), e.c.kiosk_id != kiosk.kiosk_id
            )
        ).scalars()
    }
    return {v.key for v in valid if v.kind is PushKind.ENROLLMENT and v.record_id in others}


_PG_INSERT = (
    "INSERT INTO pushed_records (kiosk_id, office_id, idempotency_key, kind, record_id, "
    "created_at, received_at, payload_sha256, payload) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (kiosk_id, idempotency_key) DO NOTHING RETURNING idempotency_key"
)


def _insert_new(conn: Connection, kiosk: Kiosk, valid: list[_Valid], now: datetime) -> set[str]:
    """Insert the batch; the keys really inserted now (not stored before)."""
    if conn.dialect.name == "postgresql":
        # The hot path of ingest: psycopg's pipelined executemany of one short
        # prepared statement, in the same transaction. (A multi-row VALUES list is
        # too long for the driver's statement cache; text arrays cost escaping.)
        driver: Any = conn.connection.driver_connection
        inserted: set[str] = set()
        with driver.cursor() as cursor:
            cursor.executemany(
                _PG_INSERT,
                [
                    (
                        kiosk.kiosk_id,
                        kiosk.office_id,
                        v.key,
                        v.kind.value,
                        v.record_id,
                        v.created_at,
                        now,
                        v.digest,
                        v.payload,
                    )
                    for v in valid
                ],
                returning=True,
            )
            while True:
                row = cursor.fetchone()
                if row is not None:
                    inserted.add(str(row[0]))
                if not cursor.nextset():
                    break
        return inserted
    t = s.pushed_records
    stmt = upsert(conn, t).on_conflict_do_nothing(index_elements=["kiosk_id", "idempotency_key"])
    return set(
        conn.execute(
            stmt.returning(t.c.idempotency_key),
            [
                {
                    "kiosk_id": kiosk.kiosk_id,
                    "office_id": kiosk.office_id,
                    "idempotency_key": v.key,
                    "kind": v.kind.value,
                    "record_id": v.record_id,
                    "created_at": v.created_at,
                    "received_at": now,
                    "payload_sha256": v.digest,
                    "payload": v.payload,
                }
                for v in valid
            ],
        ).scalars()
    )


def _side_effects(
    conn: Connection, kiosk: Kiosk, v: _Valid, *, now: datetime, index_key: bytes
) -> None:
    if v.kind is PushKind.ENROLLMENT:
        _enrollment(conn, kiosk, v.record, now=now, index_key=index_key)
    elif v.kind is PushKind.DEVICE_STATUS:
        device: DeviceStatus = v.record
        values = {
            "kind": device.kind.value,
            "state": device.state.value,
            "observed_at": device.observed_at,
            "payload": v.payload,
        }
        stmt = upsert(conn, s.device_health).values(
            kiosk_id=kiosk.kiosk_id, device_id=device.device_id, **values
        )
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["kiosk_id", "device_id"],
                set_=values,
                where=s.device_health.c.observed_at <= device.observed_at,
            )
        )


def document_index(index_key: bytes, document_number: str) -> str:
    normalised = "".join(ch for ch in document_number.upper() if ch.isalnum())
    return hmac.new(index_key, normalised.encode(), hashlib.sha256).hexdigest()


def _enrollment(
    conn: Connection,
    kiosk: Kiosk,
    bundle: EnrollmentBundle,
    *,
    now: datetime,
    index_key: bytes,
) -> None:
    e = bundle.enrollment
    doc = document_index(index_key, e.document_number) if e.document_number else None
    values = {
        "kiosk_id": kiosk.kiosk_id,
        "office_id": kiosk.office_id,
        "traveller_id": e.traveller_id,
        "doc_index": doc,
        "enrolled_at": e.enrolled_at,
        "received_at": now,
        "status": e.status.value,
    }
    t = s.central_enrollments
    stmt = upsert(conn, t).values(enrollment_id=e.enrollment_id, **values)
    written = conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["enrollment_id"],
            set_=values,
            # Checked before (_enrollments_of_others); this covers two kiosks racing
            # with the same new id: the later one's record has no effect.
            where=t.c.kiosk_id == kiosk.kiosk_id,
        ).returning(t.c.enrollment_id)
    ).first()
    if written is None:
        return
    dedup.record_templates(conn, e.enrollment_id, bundle.face_templates)
    dedup.flag_exact(conn, e.enrollment_id, doc, bundle.face_templates, now=now)
    # Redistribute to the kiosks of the enrolling office (central copy is authoritative).
    feeds.publish(
        conn,
        [
            feeds.Change(
                FeedKind.TRAVELLER.value,
                e.enrollment_id,
                kiosk.office_id,
                codec.dumps(bundle).decode(),
            )
        ],
        now=now,
    )

"""The sync outbox: records waiting to go up to the central server.

Items are enqueued in the same transaction as the record they carry, each with
an idempotency key so that the server applies a delivery once however often it
arrives (at-least-once delivery, exactly-once effect).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from models.errors import DuplicateRecordError
from models.store.database import Database
from models.store.sealing import Sealer
from models.store.timefmt import utc_text


@dataclass(frozen=True, slots=True)
class OutboxItem:
    row_id: int
    idempotency_key: str
    kind: str  # "verification_event", "enrollment", "referral", "audit_head", "device_status"
    created_at: datetime
    payload: bytes  # the record's canonical JSON, opened
    attempts: int
    last_error: str | None


class Outbox:
    def __init__(self, database: Database, sealer: Sealer) -> None:
        self._db = database
        self._sealer = sealer

    def enqueue(
        self, kind: str, idempotency_key: str, payload: bytes, *, now: datetime | None = None
    ) -> int:
        created = utc_text(now or datetime.now(UTC))
        sealed = self._sealer.seal(payload, context=f"outbox:{idempotency_key}")
        try:
            with self._db.atomic():
                cursor = self._db.execute(
                    "INSERT INTO outbox(idempotency_key, kind, created_at, payload) VALUES (?, ?, ?, ?)",
                    (idempotency_key, kind, created, sealed),
                )
        except sqlite3.IntegrityError as exc:
            raise DuplicateRecordError("outbox item", idempotency_key) from exc
        return int(cursor.lastrowid or 0)

    def pending(self, *, limit: int = 100, now: datetime | None = None) -> list[OutboxItem]:
        """Unsent items whose retry time has come, oldest first."""
        at = utc_text(now or datetime.now(UTC))
        rows = self._db.query(
            "SELECT row_id, idempotency_key, kind, created_at, payload, attempts, last_error FROM outbox "
            "WHERE sent_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= ?) "
            "ORDER BY row_id LIMIT ?",
            (at, limit),
        )
        return [
            OutboxItem(
                row_id=int(row["row_id"]),
                idempotency_key=row["idempotency_key"],
                kind=row["kind"],
                created_at=datetime.fromisoformat(row["created_at"]),
                payload=self._sealer.open(
                    row["payload"], context=f"outbox:{row['idempotency_key']}"
                ),
                attempts=int(row["attempts"]),
                last_error=row["last_error"],
            )
            for row in rows
        ]

    def unsent_record_ids(self, kind: str) -> set[str]:
        """Ids of records of ``kind`` with an item not yet delivered.

        Idempotency keys are the record id, or ``<record id>:<suffix>`` for later
        versions of the same record (e.g. a referral's decision).
        """
        rows = self._db.query(
            "SELECT idempotency_key FROM outbox WHERE kind = ? AND sent_at IS NULL", (kind,)
        )
        return {str(r["idempotency_key"]).split(":", 1)[0] for r in rows}

    def depth(self) -> int:
        return int(self._db.query("SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL")[0]["n"])

    def mark_sent(self, row_ids: list[int], *, now: datetime | None = None) -> None:
        at = utc_text(now or datetime.now(UTC))
        with self._db.atomic():
            for row_id in row_ids:
                self._db.execute("UPDATE outbox SET sent_at = ? WHERE row_id = ?", (at, row_id))

    def mark_failed(self, row_id: int, error: str, *, retry_at: datetime) -> None:
        with self._db.atomic():
            self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
                "WHERE row_id = ?",
                (error[:500], utc_text(retry_at), row_id),
            )

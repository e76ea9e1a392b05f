"""State of the sync client, kept in the kiosk store.

``SyncState`` is a small key-value table: the feed checkpoint, the pinned server
key, the times of the last successful push and pull. The checkpoint is written
with :meth:`SyncState.set_checkpoint` *inside the same* ``Store.atomic()`` block
as the feed changes it covers, so a crash leaves either both or neither.

``FeedDocuments`` holds feed items that are documents rather than records
(policy, CSCA trust anchors, and kinds this version does not know yet), as the
server sent them. None of them is personal data, so they are not sealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from models.store.database import Database
from models.store.timefmt import utc_text

CHECKPOINT = "feed.checkpoint"


@dataclass(frozen=True, slots=True)
class FeedDocument:
    kind: str
    doc_id: str
    seq: int
    payload: bytes


class SyncState:
    def __init__(self, database: Database) -> None:
        self._db = database

    def get(self, key: str) -> str | None:
        rows = self._db.query("SELECT value FROM sync_state WHERE key = ?", (key,))
        return str(rows[0]["value"]) if rows else None

    def set(self, key: str, value: str, *, now: datetime | None = None) -> None:
        at = utc_text(now or datetime.now(UTC))
        with self._db.atomic():
            self._db.execute(
                "INSERT INTO sync_state(key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                (key, value, at),
            )

    def delete(self, key: str) -> None:
        with self._db.atomic():
            self._db.execute("DELETE FROM sync_state WHERE key = ?", (key,))

    def items(self) -> dict[str, str]:
        rows = self._db.query("SELECT key, value FROM sync_state ORDER BY key")
        return {str(r["key"]): str(r["value"]) for r in rows}

    def get_time(self, key: str) -> datetime | None:
        raw = self.get(key)
        return datetime.fromisoformat(raw) if raw else None

    def set_time(self, key: str, value: datetime) -> None:
        if value.tzinfo is None:
            raise ValueError("naive datetime: sync state holds timezone-aware times only")
        self.set(key, utc_text(value))

    def checkpoint(self) -> int:
        """The sequence number of the last feed change applied (0: none yet)."""
        raw = self.get(CHECKPOINT)
        return int(raw) if raw else 0

    def set_checkpoint(self, seq: int) -> None:
        if seq < 0:
            raise ValueError("checkpoint must be >= 0")
        self.set(CHECKPOINT, str(seq))


class FeedDocuments:
    def __init__(self, database: Database) -> None:
        self._db = database

    def put(self, kind: str, doc_id: str, seq: int, payload: bytes) -> None:
        with self._db.atomic():
            self._db.execute(
                "INSERT INTO feed_documents(kind, id, seq, payload) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(kind, id) DO UPDATE SET seq = excluded.seq, payload = excluded.payload",
                (kind, doc_id, seq, payload),
            )

    def delete(self, kind: str, doc_id: str) -> bool:
        with self._db.atomic():
            cursor = self._db.execute(
                "DELETE FROM feed_documents WHERE kind = ? AND id = ?", (kind, doc_id)
            )
        return cursor.rowcount > 0

    def get(self, kind: str, doc_id: str) -> FeedDocument | None:
        rows = self._db.query(
            "SELECT kind, id, seq, payload FROM feed_documents WHERE kind = ? AND id = ?",
            (kind, doc_id),
        )
        return _document(rows[0]) if rows else None

    def of_kind(self, kind: str) -> list[FeedDocument]:
        rows = self._db.query(
            "SELECT kind, id, seq, payload FROM feed_documents WHERE kind = ? ORDER BY id", (kind,)
        )
        return [_document(r) for r in rows]

    def count(self, kind: str | None = None) -> int:
        if kind is None:
            rows = self._db.query("SELECT count(*) AS n FROM feed_documents")
        else:
            rows = self._db.query(
                "SELECT count(*) AS n FROM feed_documents WHERE kind = ?", (kind,)
            )
        return int(rows[0]["n"])


def _document(row: dict[str, object]) -> FeedDocument:
    payload = row["payload"]
    return FeedDocument(
        kind=str(row["kind"]),
        doc_id=str(row["id"]),
        seq=int(str(row["seq"])),
        payload=bytes(payload) if isinstance(payload, bytes | bytearray | memoryview) else b"",
    )

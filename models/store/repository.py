"""A generic repository: one record type in one sealed table.

Each row holds an integer ``row_id`` (for templates, the FAISS id), the record's
public ``id``, a few plaintext index columns that carry no personal data (or a
blind index of it), and the whole record as a sealed JSON payload.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from models import codec
from models.errors import DuplicateRecordError, RecordNotFoundError, StoreError
from models.store.database import Database
from models.store.sealing import Sealer
from models.store.timefmt import utc_text

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TableSpec(Generic[T]):
    table: str
    kind: str  # human name used in errors, e.g. "traveller"
    record: type[T]
    id_of: Callable[[T, Sealer], str]  # the public id; may be a blind index
    columns: Callable[[T, Sealer], Mapping[str, Any]]


class Repository(Generic[T]):
    def __init__(self, database: Database, sealer: Sealer, spec: TableSpec[T]) -> None:
        self._db = database
        self._sealer = sealer
        self.spec = spec

    # ------------------------------------------------------------------ helpers
    def _context(self, record_id: str) -> str:
        return f"{self.spec.table}:{record_id}"

    def _row_values(self, record: T) -> dict[str, Any]:
        record_id = self.spec.id_of(record, self._sealer)
        values = {"id": record_id, **self.spec.columns(record, self._sealer)}
        values["payload"] = self._sealer.seal(codec.dumps(record), context=self._context(record_id))
        return values

    def _decode(self, row: Mapping[str, Any]) -> T:
        raw = self._sealer.open(row["payload"], context=self._context(row["id"]))
        return codec.loads(self.spec.record, raw)

    def _select(
        self, where: str = "1", params: tuple[Any, ...] = (), order: str = "row_id"
    ) -> list[T]:
        rows = self._db.query(
            f"SELECT id, payload FROM {self.spec.table} WHERE {where} ORDER BY {order}",
            params,
        )
        return [self._decode(row) for row in rows]

    # ------------------------------------------------------------------ API
    def add(self, record: T) -> int:
        """Insert a new record; returns its row id. Raises DuplicateRecordError if the id exists."""
        values = self._row_values(record)
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        try:
            with self._db.atomic():
                cursor = self._db.execute(
                    f"INSERT INTO {self.spec.table} ({names}) VALUES ({marks})",
                    tuple(values.values()),
                )
        except sqlite3.IntegrityError as exc:
            raise DuplicateRecordError(self.spec.kind, values["id"]) from exc
        row_id = cursor.lastrowid
        if row_id is None:
            raise StoreError(f"{self.spec.kind}: insert returned no row id")
        return row_id

    def put(self, record: T) -> int:
        """Insert or replace by id, keeping the row id of an existing record."""
        values = self._row_values(record)
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        updates = ", ".join(f"{name} = excluded.{name}" for name in values if name != "id")
        with self._db.atomic():
            self._db.execute(
                f"INSERT INTO {self.spec.table} ({names}) VALUES ({marks}) "
                f"ON CONFLICT(id) DO UPDATE SET {updates}",
                tuple(values.values()),
            )
            return self.row_id(values["id"])

    def put_many(self, records: Sequence[T], payloads: Sequence[bytes] | None = None) -> list[int]:
        """Insert or replace many records in one transaction; their row ids, in order.

        ``payloads``, when given, are the records' JSON as ``codec.dumps`` makes it,
        which the caller has already (the sync feed): they are sealed as they are.
        """
        if payloads is not None and len(payloads) != len(records):
            raise ValueError("one payload per record")
        row_ids: list[int] = []
        with self._db.atomic():
            for i, record in enumerate(records):
                record_id = self.spec.id_of(record, self._sealer)
                raw = payloads[i] if payloads is not None else codec.dumps(record)
                values = {"id": record_id, **self.spec.columns(record, self._sealer)}
                values["payload"] = self._sealer.seal(raw, context=self._context(record_id))
                names = ", ".join(values)
                marks = ", ".join("?" for _ in values)
                updates = ", ".join(f"{name} = excluded.{name}" for name in values if name != "id")
                row = self._db.execute(
                    f"INSERT INTO {self.spec.table} ({names}) VALUES ({marks}) "
                    f"ON CONFLICT(id) DO UPDATE SET {updates} RETURNING row_id",
                    tuple(values.values()),
                ).fetchone()
                row_ids.append(int(row[0]))
        return row_ids

    def existing(self, record_ids: Sequence[str]) -> set[str]:
        """Which of ``record_ids`` are stored."""
        found: set[str] = set()
        for start in range(0, len(record_ids), 500):
            chunk = tuple(record_ids[start : start + 500])
            marks = ", ".join("?" for _ in chunk)
            rows = self._db.query(f"SELECT id FROM {self.spec.table} WHERE id IN ({marks})", chunk)
            found.update(str(r["id"]) for r in rows)
        return found

    def get(self, record_id: str) -> T:
        found = self._select("id = ?", (record_id,))
        if not found:
            raise RecordNotFoundError(self.spec.kind, record_id)
        return found[0]

    def get_by_row_id(self, row_id: int) -> T:
        found = self._select("row_id = ?", (row_id,))
        if not found:
            raise RecordNotFoundError(self.spec.kind, f"row {row_id}")
        return found[0]

    def row_id(self, record_id: str) -> int:
        rows = self._db.query(f"SELECT row_id FROM {self.spec.table} WHERE id = ?", (record_id,))
        if not rows:
            raise RecordNotFoundError(self.spec.kind, record_id)
        return int(rows[0]["row_id"])

    def exists(self, record_id: str) -> bool:
        rows = self._db.query(f"SELECT 1 FROM {self.spec.table} WHERE id = ?", (record_id,))
        return bool(rows)

    def delete(self, record_id: str) -> None:
        with self._db.atomic():
            cursor = self._db.execute(f"DELETE FROM {self.spec.table} WHERE id = ?", (record_id,))
        if cursor.rowcount == 0:
            raise RecordNotFoundError(self.spec.kind, record_id)

    def ids_before(
        self, column: str, before: datetime, where: str = "1", params: tuple[Any, ...] = ()
    ) -> list[str]:
        """Ids of records whose index ``column`` is earlier than ``before`` (oldest first)."""
        rows = self._db.query(
            f"SELECT id FROM {self.spec.table} WHERE {column} < ? AND ({where}) ORDER BY row_id",
            (utc_text(before), *params),
        )
        return [str(r["id"]) for r in rows]

    def delete_ids(self, ids: Iterable[str]) -> int:
        deleted = 0
        with self._db.atomic():
            for record_id in ids:
                deleted += self._db.execute(
                    f"DELETE FROM {self.spec.table} WHERE id = ?", (record_id,)
                ).rowcount
        return deleted

    def count(self) -> int:
        return int(self._db.query(f"SELECT count(*) AS n FROM {self.spec.table}")[0]["n"])

    def _row_stats(self, where: str, params: tuple[Any, ...]) -> tuple[int, int]:
        """Count and highest row id of the rows matching ``where`` (code-supplied SQL)."""
        rows = self._db.query(
            f"SELECT count(*) AS n, coalesce(max(row_id), 0) AS m FROM {self.spec.table} WHERE {where}",
            params,
        )
        return int(rows[0]["n"]), int(rows[0]["m"])

    def _row_ids(self, where: str, params: tuple[Any, ...]) -> list[int]:
        """Row ids matching ``where``, ascending; reads no payload."""
        rows = self._db.query(
            f"SELECT row_id FROM {self.spec.table} WHERE {where} ORDER BY row_id", params
        )
        return [int(row["row_id"]) for row in rows]

    def max_row_id(self) -> int:
        """The high-water mark of row ids (0 when empty)."""
        rows = self._db.query(f"SELECT coalesce(max(row_id), 0) AS m FROM {self.spec.table}")
        return int(rows[0]["m"])

    def __iter__(self) -> Iterator[T]:
        """All records in row-id order, decoded one page at a time."""
        for _, record in self._iter_where("1", ()):
            yield record

    def _iter_where(
        self, where: str, params: tuple[Any, ...], page: int = 500
    ) -> Iterator[tuple[int, T]]:
        """(row id, record) of the rows matching ``where``, in row-id order, page by page."""
        last = 0
        while True:
            rows = self._db.query(
                f"SELECT row_id, id, payload FROM {self.spec.table} "
                f"WHERE row_id > ? AND ({where}) ORDER BY row_id LIMIT {int(page)}",
                (last, *params),
            )
            if not rows:
                return
            for row in rows:
                yield int(row["row_id"]), self._decode(row)
            last = int(rows[-1]["row_id"])

"""Storage of the audit chain. Records are plaintext by design: they carry no
personal data and must be verifiable without the data key."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from models.errors import DuplicateRecordError
from models.operations import AuditRecord
from models.store.database import Database

_COLUMNS = "seq, occurred_at, actor, action, subject, detail, prev_hash, entry_hash, signature"


def _record(row: dict[str, Any]) -> AuditRecord:
    return AuditRecord(
        seq=int(row["seq"]),
        occurred_at=datetime.fromisoformat(str(row["occurred_at"])),
        actor=str(row["actor"]),
        action=str(row["action"]),
        subject=str(row["subject"]),
        detail=str(row["detail"]),
        prev_hash=bytes(row["prev_hash"]),
        entry_hash=bytes(row["entry_hash"]),
        signature=bytes(row["signature"]),
    )


class AuditTable:
    def __init__(self, database: Database) -> None:
        self._db = database

    def append(self, record: AuditRecord) -> None:
        try:
            with self._db.atomic():
                self._db.execute(
                    f"INSERT INTO audit_log({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        record.seq,
                        record.occurred_at.isoformat(),
                        record.actor,
                        record.action,
                        record.subject,
                        record.detail,
                        record.prev_hash,
                        record.entry_hash,
                        record.signature,
                    ),
                )
        except sqlite3.IntegrityError as exc:
            raise DuplicateRecordError("audit record", str(record.seq)) from exc

    def last(self) -> AuditRecord | None:
        rows = self._db.query(f"SELECT {_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1")
        return _record(rows[0]) if rows else None

    def __iter__(self) -> Iterator[AuditRecord]:
        last = -1
        while True:
            rows = self._db.query(
                f"SELECT {_COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 1000", (last,)
            )
            if not rows:
                return
            for row in rows:
                yield _record(row)
            last = int(rows[-1]["seq"])

    def count(self) -> int:
        return int(self._db.query("SELECT count(*) AS n FROM audit_log")[0]["n"])

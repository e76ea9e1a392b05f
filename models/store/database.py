"""The SQLite connection of the kiosk store: WAL mode, transactions, migrations."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from models.errors import MigrationError, StoreError
from models.store.migrations import MIGRATIONS, Migration


class Database:
    """One SQLite connection guarded by a lock, with nestable ``atomic()`` blocks.

    ``path`` may be ``":memory:"`` (tests). File databases use WAL journaling and
    ``synchronous=FULL`` so that a power cut never loses a committed transaction.
    """

    def __init__(self, path: Path | str, *, timeout_s: float = 10.0) -> None:
        self.path = str(path)
        try:
            conn = sqlite3.connect(
                self.path, timeout=timeout_s, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open store {self.path}: {exc}") from exc
        self._conn = conn
        self.db = sqlite_utils.Database(conn)
        self._lock = threading.RLock()
        self._depth = 0
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            if self.path != ":memory:":
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StoreError(f"store {self.path}: WAL mode refused (got {mode})")
                conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as exc:
            conn.close()
            raise StoreError(f"cannot open store {self.path}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @property
    def journal_mode(self) -> str:
        return str(self._conn.execute("PRAGMA journal_mode").fetchone()[0])

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """A transaction; nested calls become savepoints. Rolls back on any exception."""
        with self._lock:
            depth = self._depth
            begin, commit, rollback = (
                ("BEGIN IMMEDIATE", "COMMIT", "ROLLBACK")
                if depth == 0
                else (
                    f"SAVEPOINT sp{depth}",
                    f"RELEASE sp{depth}",
                    f"ROLLBACK TO sp{depth}; RELEASE sp{depth}",
                )
            )
            self._exec_script(begin)
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                self._exec_script(rollback)
                raise
            self._depth -= 1
            self._exec_script(commit)

    def _exec_script(self, sql: str) -> None:
        try:
            for statement in sql.split("; "):
                self._conn.execute(statement)
        except sqlite3.Error as exc:
            raise StoreError(f"store transaction failed: {exc}") from exc

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            try:
                return self._conn.execute(sql, params)
            except sqlite3.IntegrityError:
                raise
            except sqlite3.Error as exc:
                raise StoreError(f"store query failed: {exc}") from exc

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        with self._lock:
            try:
                return list(self.db.query(sql, params))
            except sqlite3.Error as exc:
                raise StoreError(f"store query failed: {exc}") from exc

    def backup_to(self, target: Path) -> None:
        """An online, consistent copy of the database (SQLite backup API) while it stays in use."""
        with self._lock:
            try:
                dest = sqlite3.connect(target)
                try:
                    self._conn.backup(dest)
                finally:
                    dest.close()
            except sqlite3.Error as exc:
                raise StoreError(f"backup of {self.path} failed: {exc}") from exc

    # ------------------------------------------------------------------ migrations
    def applied_migrations(self) -> list[str]:
        if "_migrations" not in self.db.table_names():
            return []
        return [row["name"] for row in self.query("SELECT name FROM _migrations ORDER BY seq")]

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self, migrations: Sequence[Migration] = MIGRATIONS) -> list[str]:
        """Apply pending migrations in order; returns the names applied.

        Each migration runs in its own ``BEGIN IMMEDIATE`` transaction that first
        re-reads what is applied, so two processes opening a new store at once
        do not both try to apply the same migration.
        """
        done: list[str] = []
        with self._lock:
            while True:
                name = "?"
                try:
                    with self.atomic():
                        index = self._next_migration(migrations)
                        if index is None:
                            return done
                        name = migrations[index - 1].name
                        self._apply(index, migrations[index - 1])
                except (sqlite3.Error, StoreError) as exc:
                    if isinstance(exc, MigrationError):
                        raise
                    raise MigrationError(f"migration {name} failed: {exc}") from exc
                done.append(name)

    def _next_migration(self, migrations: Sequence[Migration]) -> int | None:
        """The 1-based index of the next migration to apply, None when up to date."""
        applied = self.applied_migrations()
        known = [m.name for m in migrations]
        if applied != known[: len(applied)]:
            unknown = [name for name in applied if name not in known]
            raise MigrationError(
                f"store {self.path} has migrations this version does not know: "
                f"{unknown or applied}; it was written by a newer Gerbang"
            )
        return None if len(applied) == len(migrations) else len(applied) + 1

    def _apply(self, index: int, migration: Migration) -> None:
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS _migrations ("
            "seq INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, applied_at TEXT NOT NULL)"
        )
        for statement in migration.statements:
            self._conn.execute(statement)
        self._conn.execute(
            "INSERT INTO _migrations(seq, name, applied_at) VALUES (?, ?, ?)",
            (index, migration.name, datetime.now(UTC).isoformat()),
        )
        self._conn.execute(f"PRAGMA user_version = {index:d}")


def check_database_file(path: Path) -> int:
    """Open a database file read-only, run SQLite's integrity check, return its schema version."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: not a database ({exc})") from exc
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise StoreError(f"{path}: integrity check failed: {result}")
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: not a database ({exc})") from exc
    finally:
        conn.close()

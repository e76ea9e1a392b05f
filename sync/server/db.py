"""Engines, dialect-aware upserts, Alembic migrations run from code, test databases."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, Table, create_engine, event, make_url, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry

from models.errors import ConfigError
from sync.server.schema import metadata
from sync.server.store_errors import CentralStoreError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK = 847_001  # pg_advisory_xact_lock key: one migrating instance at a time


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for ``url``: SQLite (WAL, busy timeout) or PostgreSQL through psycopg."""
    try:
        parsed = make_url(url)
    except (SQLAlchemyError, ValueError) as exc:
        raise ConfigError(
            f"server.database_url is not a database URL: {exc}", key="server.database_url"
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            raise ConfigError(
                "server.database_url: use the psycopg driver (postgresql+psycopg://...)",
                key="server.database_url",
            )
        return create_engine(
            url, pool_size=pool_size, max_overflow=2 * pool_size, pool_pre_ping=True
        )
    raise ConfigError(
        f"server.database_url: unsupported database {backend!r} (sqlite or postgresql)",
        key="server.database_url",
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def upsert(conn: Connection, table: Table) -> Any:
    """The dialect's INSERT with ``on_conflict_do_nothing/do_update`` (PostgreSQL, SQLite)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


@contextmanager
def translate_errors(what: str) -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as exc:
        raise CentralStoreError(f"{what}: database error ({type(exc).__name__})") from exc


# ---------------------------------------------------------------- migrations
def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:  # pragma: no cover - the package ships its revisions
        raise CentralStoreError("no migrations found")
    return head


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine, destination: str = "head") -> list[str]:
    """Upgrade the database to the newest revision (or ``destination``); returns the
    revisions applied.

    Runs Alembic in-process (no ``alembic.ini``/``env.py``). On PostgreSQL an
    advisory lock makes instances that start together migrate one at a time.
    """
    config = _config()
    script = ScriptDirectory.from_config(config)
    applied: list[str] = []

    def upgrade(rev: Any, _context: Any) -> Any:
        # What alembic.command.upgrade does; ScriptDirectory has no public equivalent.
        steps = script._upgrade_revs(destination, rev)
        applied.extend(step.revision.revision for step in steps)
        return steps

    with translate_errors("migration"), engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        with EnvironmentContext(config, script, fn=upgrade, destination_rev=destination) as env:
            env.configure(connection=conn, target_metadata=metadata)
            with env.begin_transaction():
                env.run_migrations()
    return applied


# ---------------------------------------------------------------- throw-away databases
def create_scratch_database(admin_url: str, prefix: str = "gerbang_scratch") -> str:
    """Create a uniquely named PostgreSQL database; returns its URL (tests, benchmark)."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with translate_errors("create database"), engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_scratch_database(url: str, admin_url: str) -> None:
    name = make_url(url).database
    if not name or not name.startswith("gerbang_"):
        raise ConfigError(f"refusing to drop database {name!r}: not a scratch database")
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with translate_errors("drop database"), engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()

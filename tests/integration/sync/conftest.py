"""Fixtures of the sync integration tests: a central server on loopback over
SQLite and PostgreSQL, and kiosks registered with it."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models.keys import KeyStore
from models.store import Store
from sync.engine import SyncEngine
from sync.server.config import ServerConfig
from sync.server.runner import ThreadedServer
from tests.syncdata import kiosk_settings

PG_ADMIN_URL = os.environ.get(
    "GERBANG_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_available() -> str | None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return f"{type(exc).__name__}"
    finally:
        engine.dispose()
    return None


def require_postgres() -> None:
    """PostgreSQL is required in CI (fail); elsewhere its tests skip, saying why."""
    problem = _postgres_available()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is required in CI: {problem}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL} ({problem})")


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """One scratch PostgreSQL database per test session (dropped at the end)."""
    from sync.server.db import create_scratch_database, drop_scratch_database

    require_postgres()
    url = create_scratch_database(PG_ADMIN_URL, prefix="gerbang_test")
    yield url
    drop_scratch_database(url, PG_ADMIN_URL)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty central database on each backend (PostgreSQL: a schema of its own)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'central.db'}"
        return
    from sqlalchemy import create_engine, text

    base: str = request.getfixturevalue("postgres_database")
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{base}?options=-csearch_path%3D{schema}"
    with admin.connect() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def server_config(database_url: str, tmp_path: Path) -> ServerConfig:
    return ServerConfig.from_key_dir(database_url, tmp_path / "server-keys")


@pytest.fixture
def server(server_config: ServerConfig) -> Iterator[ThreadedServer]:
    with ThreadedServer(server_config) as running:
        yield running


KioskFactory = Callable[..., tuple[Store, SyncEngine]]


@pytest.fixture
def make_kiosk(tmp_path: Path) -> Iterator[KioskFactory]:
    """Build a kiosk with its own store and key, registered with ``url``."""
    stores: list[Store] = []

    def build(
        server: ThreadedServer,
        kiosk_id: str,
        office_id: str = "WAYKANAN",
        *,
        url: str | None = None,
        register: bool = True,
        **engine_kwargs: object,
    ) -> tuple[Store, SyncEngine]:
        root = tmp_path / kiosk_id
        keys = KeyStore(root / "keys")
        store = Store.open(root / "kiosk.db", keys.store_key())
        stores.append(store)
        settings = kiosk_settings(root, kiosk_id, office_id, url or server.url)
        signing: Ed25519PrivateKey = keys.signing_key()
        engine = SyncEngine(store, settings, signing, **engine_kwargs)  # type: ignore[arg-type]
        if register:
            code = server.central.issue_code(office_id)["code"]
            engine.register(code)
        return store, engine

    yield build
    for store in stores:
        store.close()

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from models.errors import MigrationError
from models.store import Store
from models.store.database import Database
from models.store.migrations import MIGRATIONS, SCHEMA_VERSION, Migration

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "store"


def _load_fixture(version: int, path: Path) -> None:
    sql = (FIXTURES / f"v{version}.sql").read_text()
    conn = sqlite3.connect(path)
    conn.executescript(sql)
    conn.close()


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_released_schema_upgrades_to_current(
    tmp_path: Path, store_key: bytes, version: int
) -> None:
    path = tmp_path / "kiosk.db"
    _load_fixture(version, path)
    database = Database(path)
    assert database.schema_version == version
    applied = database.migrate()
    assert applied == [m.name for m in MIGRATIONS[version:]]
    assert database.schema_version == SCHEMA_VERSION
    columns = {c.name for c in database.db["outbox"].columns}
    assert {"attempts", "last_error", "next_attempt_at"} <= columns
    # the fixture's queued item keeps its data and gets the new columns' defaults
    rows = database.query("SELECT idempotency_key, attempts FROM outbox")
    assert rows == [{"idempotency_key": "fixture-item-1", "attempts": 0}]
    database.close()
    # and the upgraded store works
    store = Store.open(path, store_key)
    assert store.outbox.depth() == 1
    # sync starts from the beginning of the feed, or goes on from the fixture's checkpoint
    assert store.sync_state.checkpoint() == (42 if version >= 3 else 0)
    assert store.staff.count() == 0 and store.holds.count() == 0
    store.close()


def test_v3_fixture_keeps_its_checkpoint(tmp_path: Path, store_key: bytes) -> None:
    path = tmp_path / "kiosk.db"
    _load_fixture(3, path)
    store = Store.open(path, store_key)
    assert store.sync_state.checkpoint() == 42
    assert store.feed_documents.count() == 0
    store.close()


def test_fixture_of_every_released_version_exists() -> None:
    for version in range(1, SCHEMA_VERSION + 1):
        assert (FIXTURES / f"v{version}.sql").is_file(), f"add tests/fixtures/store/v{version}.sql"


def test_fixture_matches_what_the_migrations_create(tmp_path: Path) -> None:
    """The current fixture's schema equals a fresh database's: migrations were not edited."""
    fresh = Database(":memory:")
    fresh.migrate()
    _load_fixture(SCHEMA_VERSION, tmp_path / "f.db")
    fixture = Database(tmp_path / "f.db")

    def schema(db: Database) -> list[tuple[str, str]]:
        rows = db.query("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
        return [(r["name"], r["sql"]) for r in rows]

    assert schema(fixture) == schema(fresh)


def test_migrating_twice_is_a_no_op() -> None:
    db = Database(":memory:")
    assert len(db.migrate()) == SCHEMA_VERSION
    assert db.migrate() == []


def test_a_failing_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    db = Database(tmp_path / "k.db")
    broken = (
        *MIGRATIONS,
        Migration("0099_broken", ("CREATE TABLE ok_table (x)", "THIS IS NOT SQL")),
    )
    with pytest.raises(MigrationError, match="0099_broken"):
        db.migrate(broken)
    assert db.schema_version == SCHEMA_VERSION
    assert "ok_table" not in db.db.table_names()


def test_a_store_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    db = Database(tmp_path / "k.db")
    db.migrate((*MIGRATIONS, Migration("0099_future", ("CREATE TABLE future (x)",))))
    db.close()
    with pytest.raises(MigrationError, match="newer Gerbang"):
        Database(tmp_path / "k.db").migrate()


def test_two_processes_opening_a_new_store_at_once(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = (
        "import sys; sys.path.insert(0, sys.argv[2]);"
        "from models.store.database import Database;"
        "Database(sys.argv[1]).migrate()"
    )
    repo = str(Path(__file__).resolve().parents[2])
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path / "k.db"), repo], stderr=subprocess.PIPE
        )
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=60)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    assert Database(tmp_path / "k.db").schema_version == SCHEMA_VERSION

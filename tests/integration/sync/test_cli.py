"""`gerbang server ...`, `gerbang sync ...` and `gerbang bench sync` end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kiosk.cli import main
from kiosk.cli.exitcodes import ExitCode
from models.audit import AuditLog
from models.keys import KeyStore
from models.store import Store
from sync.server.config import ServerConfig
from sync.server.runner import ThreadedServer
from tests.integration.sync.conftest import PG_ADMIN_URL, require_postgres
from tests.syncdata import watchlist_change

pytestmark = pytest.mark.integration


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, object]:
    code = main(list(args))
    out, _ = capsys.readouterr()
    return code, json.loads(out) if out.strip().startswith(("{", "[")) else out


@pytest.fixture
def cli_server(tmp_path: Path) -> Iterator[ThreadedServer]:
    """A SQLite server whose keys are where `gerbang server key` looks (the CLI flow is
    backend-independent; the backends are covered by the other integration tests)."""
    url = f"sqlite:///{tmp_path / 'central.db'}"
    with ThreadedServer(
        ServerConfig.from_key_dir(url, tmp_path / "kiosk" / "server" / "keys")
    ) as running:
        yield running


def _audit_records(data_dir: Path, n: int, *, truncate_to: int | None = None) -> None:
    keys = KeyStore(data_dir / "keys")
    store = Store.open(data_dir / "kiosk.db", keys.store_key())
    try:
        audit = AuditLog(store, keys.signing_key())
        for i in range(n):
            audit.append("officer-1", "decision", f"ev-{i}")
        if truncate_to is not None:
            store.database.execute("DELETE FROM audit_log WHERE seq > ?", (truncate_to,))
    finally:
        store.close()


def test_officer_registers_a_kiosk_which_syncs(
    cli_server: ThreadedServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = cli_server
    database_url = f"sqlite:///{tmp_path / 'central.db'}"
    monkeypatch.setenv("GERBANG_PATHS__DATA_DIR", str(tmp_path / "kiosk"))
    monkeypatch.setenv("GERBANG_KIOSK__ID", "KIOSK-CLI")
    monkeypatch.setenv("GERBANG_KIOSK__OFFICE_ID", "WAYKANAN")
    monkeypatch.setenv("GERBANG_SYNC__SERVER_URL", server.url)
    db = ("--database-url", database_url)
    code, issued = _run(capsys, "server", "code", "--office", "WAYKANAN", *db, "--json")
    assert code == 0 and isinstance(issued, dict)
    changes = tmp_path / "changes.jsonl"
    rng = np.random.default_rng(1)
    changes.write_text(
        "\n".join(json.dumps(watchlist_change(f"w{i}", rng)) for i in range(3)) + "\n"
    )
    code, published = _run(capsys, "server", "publish", str(changes), *db, "--json")
    assert published == {"published": 3, "first_seq": 1, "last_seq": 3}
    code, status = _run(capsys, "sync", "status", "--json")
    assert isinstance(status, dict) and not status["registered"]
    assert status["offline"]["mode"] == "officer_only"
    code, registered = _run(capsys, "sync", "register", "--code", str(issued["code"]), "--json")
    assert code == 0 and isinstance(registered, dict)
    code, key = _run(capsys, "server", "key", "--json")
    assert registered["server_key_fingerprint"] == key["fingerprint"]  # type: ignore[index]
    code, report = _run(capsys, "sync", "now", "--json")
    assert code == 0 and isinstance(report, dict)
    assert report["pull"]["upserts"] == 3 and report["offline"]["mode"] == "normal"
    code, status = _run(capsys, "sync", "status", "--json")
    assert isinstance(status, dict) and status["checkpoint"] == 3
    # the audit chain's head goes up with the next sync; verification anchors at it (seq 4:
    # the first pull's feed.apply record, then the three records added here)
    _audit_records(tmp_path / "kiosk", 3)
    code, report = _run(capsys, "sync", "now", "--json")
    assert code == 0 and report["push"]["accepted"] == 1  # type: ignore[index]
    code, verified = _run(capsys, "audit", "verify", "--from-server", "--json")
    assert code == 0 and verified["valid"]  # type: ignore[index]
    assert verified["anchors"]["server"] == 1 and verified["anchors"]["server_head"]["seq"] == 4  # type: ignore[index]
    _audit_records(tmp_path / "kiosk", 0, truncate_to=2)  # the newest record deleted
    code, verified = _run(capsys, "audit", "verify", "--json")
    assert code == 0  # without the server's head the shorter chain looks intact
    code, verified = _run(capsys, "audit", "verify", "--from-server", "--json")
    assert code == ExitCode.CHECK_FAILED
    assert verified["first_break"]["kind"] == "truncation"  # type: ignore[index]
    code, kiosks = _run(capsys, "server", "kiosks", *db, "--json")
    assert [k["kiosk_id"] for k in kiosks] == ["KIOSK-CLI"]  # type: ignore[union-attr]
    code, dashboard = _run(capsys, "server", "dashboard", *db, "--json")
    assert dashboard["kiosks"][0]["mode"] == "normal"  # type: ignore[index]
    code, _ = _run(capsys, "server", "revoke", "KIOSK-CLI", "--reason", "test", *db, "--json")
    code, error = _run(capsys, "sync", "now", "--json")
    assert code == ExitCode.SECURITY and error["error"]["code"] == "security.revoked"  # type: ignore[index]
    for command in ("flags", "dedup", "migrate"):
        assert _run(capsys, "server", command, *db, "--json")[0] == 0
    code, token = _run(capsys, "server", "token", "create", "--name", "ops", *db, "--json")
    assert code == 0 and token["token"].startswith("gbt_")  # type: ignore[index]
    assert token["role"] == "admin"  # type: ignore[index]
    code, _ = _run(capsys, "server", "token", "create", "--name", "ops", *db, "--json")
    assert code == ExitCode.USAGE  # names are never reused
    code, _ = _run(capsys, "server", "token", "revoke", "ops", *db, "--json")
    code, tokens = _run(capsys, "server", "token", "list", *db, "--json")
    assert [(t["name"], t["revoked_at"] is not None) for t in tokens] == [("ops", True)]  # type: ignore[index,union-attr]
    code, alerts = _run(capsys, "server", "alerts", *db, "--json")
    assert code == 0 and alerts == []
    code, ack = _run(capsys, "server", "alerts", "--ack", "1", "--by", "desk", *db, "--json")
    assert ack == {"alert_id": 1, "acknowledged": False}
    assert _run(capsys, "server", "alerts", "--ack", "1", *db)[0] == ExitCode.USAGE
    code, spec = _run(capsys, "server", "openapi")
    assert "/v1/feed" in spec["paths"]  # type: ignore[index]


def test_bench_sync_reports_exact_counts(capsys: pytest.CaptureFixture[str]) -> None:
    require_postgres()
    code, result = _run(
        capsys,
        "bench",
        "sync",
        "--kiosks",
        "4",
        "--events",
        "80",
        "--rate",
        "400",
        "--catchup",
        "60",
        "--server-workers",
        "1",
        "--postgres",
        PG_ADMIN_URL,
        "--json",
    )
    assert code == 0 and isinstance(result, dict)
    assert {
        "ingest_events_per_s",
        "p50_ms",
        "p99_ms",
        "lost",
        "duplicated",
        "catchup_changes",
        "catchup_s",
    } <= set(result)
    assert (result["lost"], result["duplicated"], result["outbox_left"]) == (0, 0, 0)
    assert (
        result["catchup_changes"]
        == result["catchup_store_count"]
        == result["catchup_index_count"]
        == 60
    )

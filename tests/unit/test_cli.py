from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest

from kiosk.cli import cli, main
from kiosk.cli.exitcodes import ExitCode
from tests import factories

REPO = Path(__file__).resolve().parents[2]
REQUIRED = [
    "demo",
    "kiosk",
    "officer",
    "technician",
    "server",
    "sync",
    "devices",
    "doc",
    "enroll",
    "watchlist",
    "eval",
    "bench",
    "audit",
    "backup",
    "config",
]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_every_subcommand_in_sections(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for name in REQUIRED:
        assert f"\n  {name} " in out, name
    assert "Kiosk and staff:" in out and "Administration:" in out
    assert "Exit codes:" in out


def test_config_check_accepts_the_shipped_sample(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "config", "check", str(REPO / "config" / "gerbang.example.toml"), "--json"
    )
    assert code == 0
    assert json.loads(out)["valid"] is True


def test_config_check_names_the_bad_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[kiosk]\nlanguage = "fr"\n')
    code, out, _ = run(capsys, "config", "check", str(bad), "--json")
    assert code == ExitCode.CONFIG
    assert json.loads(out) == {
        "valid": False,
        "key": "kiosk.language",
        "error": json.loads(out)["error"],
    }


def test_config_show_applies_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GERBANG_KIOSK__LANGUAGE", "en")
    code, out, _ = run(capsys, "config", "show", "--json")
    assert code == 0
    assert json.loads(out)["settings"]["kiosk"]["language"] == "en"


def test_bad_global_config_exits_with_config_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "--config", str(tmp_path / "absent.toml"), "config", "show")
    assert code == ExitCode.CONFIG
    assert "not found" in err


def test_every_listed_command_is_built(capsys: pytest.CaptureFixture[str]) -> None:
    """The commands the foundation issue names all exist and answer --help."""
    for name in (
        "demo",
        "kiosk",
        "officer",
        "technician",
        "server",
        "sync",
        "devices",
        "doc",
        "enroll",
        "watchlist",
        "eval",
        "bench",
        "audit",
        "backup",
        "config",
    ):
        assert name in cli.commands, name
        code, out, _ = run(capsys, name, "--help")
        assert code == 0 and "not available yet" not in out, name


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "no-such-command")[0] == ExitCode.USAGE


DEMO = (
    "demo",
    "--headless",
    "--scenario",
    "expired_document",
)  # refers before the face step: quick


def test_demo_records_a_transaction(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, *DEMO, "--data-dir", str(tmp_path / "demo"), "--json")
    assert code == 0
    (result,) = json.loads(out)["transactions"]
    assert result["outcome"] == "refer" and result["reasons"] == ["document_expired"]
    # the event, its referral and the event's new version carrying the survey score
    assert result["outbox_depth"] == 3
    assert (tmp_path / "demo" / "kiosk.db").is_file()
    code, out, _ = run(capsys, *DEMO, "--data-dir", str(tmp_path / "demo"), "--json")
    assert json.loads(out)["transactions"][0]["outbox_depth"] == 6  # a second one, same store


def test_command_groups_from_several_modules_merge() -> None:
    import click

    from kiosk.cli import add_commands

    root = click.Group("root")
    first, second = click.Group("doc"), click.Group("doc")
    first.add_command(click.Command("mrz"))
    second.add_command(click.Command("verify"))
    add_commands(root, [first, second])
    doc = root.commands["doc"]
    assert isinstance(doc, click.Group)
    assert sorted(doc.commands) == ["mrz", "verify"]
    with pytest.raises(RuntimeError, match="two CLI modules"):
        add_commands(root, [click.Command("doc")])


def _demo_settings(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    monkeypatch.setenv("GERBANG_PATHS__DATA_DIR", str(data_dir))
    monkeypatch.setenv("GERBANG_LOGGING__TO_FILE", "false")


def test_audit_verify_and_tail_on_the_configured_store(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _demo_settings(monkeypatch, tmp_path)
    assert run(capsys, *DEMO, "--data-dir", str(tmp_path), "--json")[0] == 0
    assert run(capsys, *DEMO, "--data-dir", str(tmp_path), "--json")[0] == 0
    code, out, _ = run(capsys, "audit", "verify", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["valid"] is True and report["records"] == 2
    heads = tmp_path / "heads.json"
    heads.write_text(json.dumps(report["head"]))
    code, out, _ = run(capsys, "audit", "tail", "--json")
    assert [r["action"] for r in json.loads(out)] == ["decision", "decision"]
    # delete the newest record: only the server's head reveals it
    import sqlite3

    conn = sqlite3.connect(tmp_path / "kiosk.db")
    conn.execute("DELETE FROM audit_log WHERE seq = 2")
    conn.commit()
    conn.close()
    assert run(capsys, "audit", "verify", "--json")[0] == 0
    code, out, _ = run(capsys, "audit", "verify", "--heads", str(heads), "--json")
    assert code == ExitCode.CHECK_FAILED
    assert json.loads(out)["first_break"]["kind"] == "truncation"


def _actors(capsys: pytest.CaptureFixture[str]) -> list[tuple[str, str]]:
    return [
        (r["action"], r["actor"]) for r in json.loads(run(capsys, "audit", "tail", "--json")[1])
    ]


def test_keys_rotate_keeps_the_store_readable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _demo_settings(monkeypatch, tmp_path)
    assert run(capsys, *DEMO, "--data-dir", str(tmp_path), "--json")[0] == 0
    code, out, _ = run(capsys, "keys", "status", "--json")
    before = json.loads(out)
    assert before["data_keys"] == ["index", "signing", "store"]  # the demo opens the face index
    assert len(before["kiosk_public_key"]) == 64 and len(before["kiosk_public_key_id"]) == 16
    code, out, _ = run(capsys, "keys", "rotate", "--json")
    assert code == 0
    rotated = json.loads(out)
    assert rotated["previous_kiosk_key_id"] == before["kiosk_key_id"] != rotated["kiosk_key_id"]
    code, out, _ = run(capsys, "audit", "verify", "--json")
    assert code == 0 and json.loads(out)["records"] == 2  # the decision and the rotation


def test_admin_commands_audit_the_os_user_not_a_made_up_role(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _demo_settings(monkeypatch, tmp_path)
    assert run(capsys, "keys", "rotate", "--json")[0] == 0
    assert run(capsys, "backup", "create", "--json")[0] == 0
    user = f"cli:{getpass.getuser()}"
    assert _actors(capsys) == [("keys.rotate", user), ("backup.create", user)]


def test_backup_create_verify_restore_and_recovery(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    _demo_settings(monkeypatch, data)
    monkeypatch.setenv("GERBANG_RECOVERY_PASSPHRASE", "a long enough passphrase")
    assert run(capsys, *DEMO, "--data-dir", str(data), "--json")[0] == 0
    code, out, _ = run(
        capsys, "keys", "recovery-init", "--out", str(tmp_path / "recovery.json"), "--json"
    )
    assert code == 0
    kiosk_public_key = json.loads(out)["kiosk_public_key"]
    code, out, _ = run(capsys, "backup", "create", "--json")
    assert code == 0
    made = json.loads(out)
    assert made["recovery_sealed"] is True and "store.db" in made["files"]
    code, out, _ = run(capsys, "backup", "verify", made["path"], "--json")
    assert code == 0 and json.loads(out)["valid"] is True
    assert json.loads(out)["integrity_checked"] is True
    user = f"cli:{getpass.getuser()}"
    assert _actors(capsys)[-2:] == [("keys.recovery_init", user), ("backup.create", user)]
    # a replacement kiosk with an empty data directory restores with the recovery key
    monkeypatch.setenv("GERBANG_PATHS__DATA_DIR", str(tmp_path / "replacement"))
    stranger = "11" * 32
    code, out, _ = run(
        capsys,
        "backup",
        "verify",
        made["path"],
        "--recovery",
        str(tmp_path / "recovery.json"),
        "--kiosk-public-key",
        stranger,
        "--json",
    )
    assert code == ExitCode.DATA and "differs" in json.loads(out)["error"]["message"]
    code, out, err = run(
        capsys,
        "backup",
        "restore",
        made["path"],
        "--recovery",
        str(tmp_path / "recovery.json"),
        "--kiosk-public-key",
        kiosk_public_key,
        "--yes",
        "--json",
    )
    assert code == 0, err
    assert json.loads(out)["kept"] is None  # the replacement kiosk had nothing to keep
    code, out, _ = run(capsys, "audit", "verify", "--json")
    assert code == 0
    assert _actors(capsys) == [
        ("decision", "kiosk"),
        ("keys.recovery_init", user),
        ("backup.restore", user),
    ]


def test_recovery_init_never_overwrites_a_recovery_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    _demo_settings(monkeypatch, data)
    monkeypatch.setenv("GERBANG_RECOVERY_PASSPHRASE", "a long enough passphrase")
    target = tmp_path / "recovery.json"
    assert run(capsys, "keys", "recovery-init", "--out", str(target), "--json")[0] == 0
    before = target.read_bytes()
    code, _, err = run(capsys, "keys", "recovery-init", "--out", str(target), "--json")
    assert code == ExitCode.USAGE
    assert "exists already" in err and "Traceback" not in err
    assert target.read_bytes() == before


def test_corrupted_backup_is_refused_with_data_exit_code(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _demo_settings(monkeypatch, tmp_path)
    assert run(capsys, *DEMO, "--data-dir", str(tmp_path), "--json")[0] == 0
    made = json.loads(run(capsys, "backup", "create", "--json")[1])
    raw = bytearray(Path(made["path"]).read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    Path(made["path"]).write_bytes(bytes(raw))
    code, out, _ = run(capsys, "backup", "verify", made["path"], "--json")
    assert code == ExitCode.DATA
    assert json.loads(out)["error"]["code"] == "store.backup"


def test_bench_backup_reports_a_complete_restore(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "bench", "backup", "--records", "300", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["restored_records"] == 300 and result["restored_sample_ok"] is True


def test_staff_bootstrap_and_retention_dry_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _demo_settings(monkeypatch, tmp_path)
    monkeypatch.setattr("click.prompt", lambda *a, **k: "correct-horse-9")
    code, out, _ = run(
        capsys, "staff", "add", "admin", "--name", "Admin", "--role", "admin", "--json"
    )
    assert code == 0 and json.loads(out)["roles"] == ["admin"]
    code, out, _ = run(
        capsys, "staff", "add", "budi", "--name", "Budi", "--role", "officer", "--json"
    )
    assert code == ExitCode.USAGE
    code, out, _ = run(
        capsys,
        "staff",
        "add",
        "budi",
        "--name",
        "Budi",
        "--role",
        "officer",
        "--as",
        "admin",
        "--json",
    )
    assert code == 0
    code, out, _ = run(capsys, "staff", "list", "--json")
    assert [a["user_id"] for a in json.loads(out)] == ["admin", "budi"]
    # an old, synced transaction: counted by the dry run, purged by the real run
    from datetime import UTC, datetime, timedelta

    from models.keys import KeyStore
    from models.store import Store

    store = Store.open(tmp_path / "kiosk.db", KeyStore(tmp_path / "keys").store_key())
    store.events.add(factories.event("ev-old", datetime.now(UTC) - timedelta(days=45)))
    store.close()
    code, out, _ = run(capsys, "retention", "run", "--dry-run", "--json")
    report = json.loads(out)
    assert code == 0 and report["dry_run"] is True
    assert report["kinds"]["verification_event"] == {
        "eligible": 1,
        "held": 0,
        "kept": 0,
        "purged": 0,
    }
    code, out, _ = run(capsys, "retention", "run", "--json")
    assert json.loads(out)["kinds"]["verification_event"]["purged"] == 1
    actions = json.loads(run(capsys, "audit", "tail", "--json")[1])
    assert actions[-1]["action"] == "retention.purge" and actions[-1]["actor"].startswith("cli:")


def test_kiosk_without_a_screen_says_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    code, _, err = run(capsys, "kiosk")
    assert code == ExitCode.DEVICE and "no screen" in err

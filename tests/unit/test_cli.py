from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.cli import cli, main
from kiosk.cli.exitcodes import ExitCode
from kiosk.cli.pending import COMMANDS as PENDING

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


# Only the names whose pending placeholder is still the registered command.
@pytest.mark.parametrize(
    "command", [c.name for c in PENDING if cli.commands.get(c.name or "") is c]
)
def test_unbuilt_commands_say_so_and_fail(capsys: pytest.CaptureFixture[str], command: str) -> None:
    code, out, err = run(capsys, command, "--json")
    assert code == ExitCode.NOT_AVAILABLE
    assert json.loads(out)["error"]["code"] == "not_available"
    assert "not available yet" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "no-such-command")[0] == ExitCode.USAGE


def test_demo_records_a_transaction(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "demo", "--data-dir", str(tmp_path / "demo"), "--json")
    assert code == 0
    result = json.loads(out)
    assert result["event"]["decision"]["outcome"] == "refer"
    assert result["outbox_depth"] == 2  # the event and its referral
    assert (tmp_path / "demo" / "kiosk.db").is_file()
    code, out, _ = run(capsys, "demo", "--data-dir", str(tmp_path / "demo"), "--json")
    assert json.loads(out)["outbox_depth"] == 4  # a second transaction adds to the same store


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

"""The ``gerbang`` command line.

Commands are grouped by who uses them. Every command that a script would read
takes ``--json``. Exit codes are listed in :mod:`kiosk.cli.exitcodes`.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from kiosk.cli.context import AppContext, emit_json
from kiosk.cli.exitcodes import EPILOG, ExitCode, exit_code_for
from models.errors import GerbangError

log = logging.getLogger(__name__)

SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Kiosk and staff", ("demo", "kiosk", "officer", "technician", "screenshots")),
    ("Documents and biometrics", ("doc", "enroll", "dedup", "watchlist", "index", "eval", "bench")),
    ("Devices", ("devices", "calibrate")),
    ("Central server and sync", ("server", "sync")),
    ("Administration", ("config", "staff", "keys", "audit", "backup", "retention")),
)


class SectionedGroup(click.Group):
    """A group whose ``--help`` lists commands under section headings."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        ordered = [name for _, names in SECTIONS for name in names if name in self.commands]
        return ordered + sorted(set(self.commands) - set(ordered))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        placed: set[str] = set()
        for title, names in SECTIONS:
            rows = []
            for name in names:
                command = self.commands.get(name)
                if command is None or command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(limit=70)))
                placed.add(name)
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)
        rest = [
            (n, c.get_short_help_str(limit=70)) for n, c in self.commands.items() if n not in placed
        ]
        if rest:
            with formatter.section("Other"):
                formatter.write_dl(rest)


@click.group(
    cls=SectionedGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="GERBANG_CONFIG",
    help="Settings file (TOML). Default: $XDG_CONFIG_HOME/gerbang/gerbang.toml.",
)
@click.option("-v", "--verbose", is_flag=True, help="Debug logging on stderr.")
@click.version_option(package_name="gerbang")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: bool) -> None:
    """Gerbang: offline-first biometric border-verification kiosk."""
    ctx.obj = AppContext(config_path=config_path, verbose=verbose)


def add_commands(group: click.Group, commands: Sequence[click.Command]) -> None:
    """Add commands; a group whose name exists already has its subcommands merged in."""
    for command in commands:
        name = command.name or ""
        existing = group.commands.get(name)
        if existing is None:
            group.add_command(command)
        elif isinstance(existing, click.Group) and isinstance(command, click.Group):
            add_commands(existing, list(command.commands.values()))
        else:
            raise RuntimeError(f"two CLI modules define the command {name!r}")


def _register(group: click.Group) -> None:
    """Every ``kiosk/cli/*_cmd.py`` module lists its commands in ``COMMANDS``.

    Command modules import heavy libraries inside the command functions, so that
    ``gerbang --help`` stays fast.
    """
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.endswith("_cmd"):
            module = importlib.import_module(f"{__name__}.{info.name}")
            add_commands(group, module.COMMANDS)


_register(cli)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: runs the CLI and turns errors into documented exit codes."""
    args = list(sys.argv[1:] if argv is None else argv)
    json_output = "--json" in args
    try:
        result = cli.main(args=args, prog_name="gerbang", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.Abort:
        click.echo("aborted", err=True)
        return int(ExitCode.ERROR)
    except click.ClickException as exc:
        exc.show()
        return int(ExitCode.USAGE)
    except GerbangError as exc:
        code = exit_code_for(exc)
        if json_output:
            emit_json({"error": {"code": exc.code, "message": exc.message, "exit_code": int(code)}})
        click.echo(f"gerbang: {exc.message}", err=True)
        log.debug("command failed", extra={"code": exc.code})
        return int(code)
    # With standalone_mode=False, click returns ctx.exit(n)'s code instead of raising.
    return result if isinstance(result, int) else int(ExitCode.OK)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

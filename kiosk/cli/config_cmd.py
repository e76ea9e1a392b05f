"""``gerbang config``: show and check settings."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from kiosk.cli.context import app, emit_json, json_option
from kiosk.cli.exitcodes import ExitCode
from models.errors import ConfigError
from models.settings import default_config_path, load_settings


@click.group()
def config() -> None:
    """Show and check settings."""


@config.command()
@json_option
@click.pass_context
def show(ctx: click.Context, as_json: bool) -> None:
    """Print the effective settings (file, then GERBANG_<SECTION>__<KEY> overrides)."""
    state = app(ctx)
    settings = state.settings()
    data = json.loads(settings.model_dump_json())
    source = str(state.settings_file) if state.settings_file else None
    if as_json:
        emit_json({"source": source, "settings": data})
        return
    click.echo(f"# source: {source or 'defaults (no settings file)'}")
    for section, values in data.items():
        click.echo(f"[{section}]")
        for key, value in values.items():
            click.echo(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        click.echo()


@config.command()
@click.argument("path", required=False, type=click.Path(path_type=Path, dir_okay=False))
@json_option
@click.pass_context
def check(ctx: click.Context, path: Path | None, as_json: bool) -> None:
    """Validate a settings file (default: the one in use). Exit 3 names the bad key."""
    state = app(ctx)
    target = path or state.config_path
    try:
        settings, used = load_settings(target, os.environ)
    except ConfigError as exc:
        if as_json:
            emit_json({"valid": False, "key": exc.key, "error": exc.message})
        else:
            click.echo(f"invalid: {exc.message}", err=True)
        ctx.exit(int(ExitCode.CONFIG))
    result = {
        "valid": True,
        "source": str(used) if used else None,
        "data_dir": str(settings.data_dir),
        "mode": settings.kiosk.mode.value,
    }
    if as_json:
        emit_json(result)
    else:
        click.echo(f"valid: {result['source'] or 'defaults'} (data in {result['data_dir']})")


@config.command()
def path() -> None:
    """Print the default settings file path."""
    click.echo(str(default_config_path()))


COMMANDS = (config,)

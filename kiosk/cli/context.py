"""Shared state and helpers of the CLI commands."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click

from kiosk import logsetup
from models.keys import KeyStore
from models.settings import Settings, load_settings
from models.store import Store

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class AppContext:
    config_path: Path | None = None
    verbose: bool = False
    json_output: bool = False
    _settings: Settings | None = field(default=None, repr=False)
    settings_file: Path | None = None

    def settings(self) -> Settings:
        """Load (once) and return the settings; raises ConfigError with the bad key named."""
        if self._settings is None:
            self._settings, self.settings_file = load_settings(self.config_path)
        return self._settings

    def start_logging(self, *, to_file: bool = True) -> Settings:
        settings = self.settings()
        logsetup.configure(
            level="DEBUG" if self.verbose else settings.logging.level,
            log_dir=settings.log_dir if (to_file and settings.logging.to_file) else None,
            max_bytes=settings.logging.max_bytes,
            backups=settings.logging.backups,
            json_stderr=settings.logging.json_stderr,
        )
        return settings


def open_store(settings: Settings) -> tuple[Store, KeyStore]:
    """The kiosk store of the configured data directory, with its key store.

    A restore that a crash interrupted is finished or undone first, before any
    key or store file is opened.
    """
    from models.backup import finish_interrupted_restore

    finish_interrupted_restore(settings.data_dir)
    keys = KeyStore(settings.key_dir)
    return Store.open(settings.store_path, keys.store_key()), keys


def cli_actor() -> str:
    """Who the audit log names for an admin command run without a staff login."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:uid{os.getuid()}"


def app(ctx: click.Context) -> AppContext:
    obj = ctx.find_object(AppContext)
    if obj is None:  # commands invoked outside the root group (tests)
        obj = ctx.ensure_object(AppContext)
    return obj


def json_option(func: F) -> F:
    """Add ``--json``: machine-readable output on stdout (errors too)."""

    def callback(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        if value:
            app(ctx).json_output = True
        return value

    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        expose_value=True,
        callback=callback,
        help="Print machine-readable JSON on stdout.",
    )(func)


def emit_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")

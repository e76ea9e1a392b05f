"""Who acts in the officer commands, and the face gallery they update.

Without ``--as`` a command acts as the machine's operator (``cli:<login>``, with
officer rights), like the other administration commands that run with the
kiosk's keys; with ``--as USER`` it logs that staff account in (secret from
the prompt, or one line on stdin with ``--secret-stdin``) and acts as them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from kiosk.cli.context import cli_actor
from models.audit import AuditLog
from models.keys import KeyStore
from models.roles import Principal, Role
from models.settings import Settings
from models.store import Store

F = TypeVar("F", bound=Callable[..., Any])
INDEX_KEY = "index"


def staff_options(func: F) -> F:
    func = click.option(
        "--secret-stdin", is_flag=True, help="Read the --as account's secret from stdin."
    )(func)
    return click.option(
        "--as", "as_user", metavar="USER", help="Act as this staff account (logs it in)."
    )(func)


def principal(
    store: Store, audit: AuditLog, as_user: str | None, secret_stdin: bool, *, role: Role
) -> Principal:
    if as_user is None:
        return Principal(cli_actor(), frozenset({role}))
    from enrollment.accounts import Accounts

    secret = (
        sys.stdin.readline().rstrip("\n")
        if secret_stdin
        else str(click.prompt(f"Secret of {as_user}", hide_input=True))
    )
    return Accounts(store, audit).login(as_user, secret)


def index_dir(settings: Settings) -> Path:
    return settings.data_dir / "index"


def index_key(settings: Settings) -> bytes:
    return KeyStore(settings.key_dir).load_or_create(INDEX_KEY)

"""``gerbang server user|rollups``: dashboard users and the dashboard's rollup tables.

Merged into the ``server`` group of :mod:`kiosk.cli.server_cmd`.
"""

from __future__ import annotations

import sys

import click

from kiosk.cli.context import json_option
from kiosk.cli.server_cmd import _DB_OPTION, _central, _operation, _out


@click.group()
def server() -> None:
    """Run the central server (API, sync) and administer it."""


@server.group()
def user() -> None:
    """People who sign in to the web dashboard (/dashboard): supervisors and analysts."""


@user.command("create")
@click.option("--id", "user_id", required=True, help="Login name (lower case, unique).")
@click.option("--name", "display_name", default="", help="Name shown on the pages.")
@click.option(
    "--role",
    type=click.Choice(["supervisor", "analyst"]),
    required=True,
    help="supervisor: every report, watchlist hits included; analyst: reports without watchlist hits.",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input (scripts); otherwise it is prompted for.",
)
@_DB_OPTION
@json_option
@click.pass_context
def user_create(
    ctx: click.Context,
    user_id: str,
    display_name: str,
    role: str,
    password_stdin: bool,
    database_url: str | None,
    as_json: bool,
) -> None:
    """Create a dashboard user (the password is stored as an argon2id hash)."""
    from models.roles import Role

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    with _operation(ctx, database_url) as central:
        made = central.create_dashboard_user(user_id, display_name, Role(role), password)
    _out(made, as_json, f"dashboard user {made['user_id']} ({made['role']}) created")


@user.command("list")
@_DB_OPTION
@json_option
@click.pass_context
def user_list(ctx: click.Context, database_url: str | None, as_json: bool) -> None:
    """Dashboard users: id, name, role (never the password hashes)."""
    central = _central(ctx, database_url)
    try:
        rows = central.dashboard_users()
    finally:
        central.close()
    _out(
        rows,
        as_json,
        "\n".join(f"{r['user_id']:<20} {r['role']:<10} {r['display_name']}" for r in rows)
        or "no dashboard users",
    )


@server.group()
def rollups() -> None:
    """The dashboard's rollup tables (kept up to date as events arrive)."""


@rollups.command("rebuild")
@_DB_OPTION
@json_option
@click.pass_context
def rollups_rebuild(ctx: click.Context, database_url: str | None, as_json: bool) -> None:
    """Recount every rollup from the stored events (after an upgrade, or to check them)."""
    with _operation(ctx, database_url) as central:
        events = central.rebuild_rollups()
    _out({"events": events}, as_json, f"rollups rebuilt from {events} events")


COMMANDS = (server,)

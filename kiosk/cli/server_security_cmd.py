"""``gerbang server token|alerts``: named API tokens and security alerts of the central server.

Merged into the ``server`` group of :mod:`kiosk.cli.server_cmd`.
"""

from __future__ import annotations

import click

from kiosk.cli.context import json_option
from kiosk.cli.server_cmd import _DB_OPTION, _central, _operation, _out


@click.group()
def server() -> None:
    """Run the central server (API, sync) and administer it."""


@server.group()
def token() -> None:
    """Named API tokens of the admin API: create, list, revoke."""


@token.command("create")
@click.option("--name", required=True, help="Who or what uses it (unique, never reused).")
@click.option(
    "--role",
    type=click.Choice(["admin", "viewer"]),
    default="admin",
    show_default=True,
    help="admin: everything; viewer: read only.",
)
@_DB_OPTION
@json_option
@click.pass_context
def token_create(
    ctx: click.Context, name: str, role: str, database_url: str | None, as_json: bool
) -> None:
    """Create a token (shown once; only its hash is stored)."""
    from sync.server.tokens import Role

    with _operation(ctx, database_url) as central:
        secret = central.create_token(name, Role(role))
    _out({"name": name, "role": role, "token": secret}, as_json, secret)


@token.command("list")
@_DB_OPTION
@json_option
@click.pass_context
def token_list(ctx: click.Context, database_url: str | None, as_json: bool) -> None:
    """Tokens: name, role, created, last used, revoked (never the tokens)."""
    central = _central(ctx, database_url)
    try:
        rows = central.list_tokens()
    finally:
        central.close()
    _out(
        rows,
        as_json,
        "\n".join(
            f"{r['name']:<24} {r['role']:<7} last used {r['last_used_at'] or 'never'}"
            + (f"  REVOKED {r['revoked_at']}" if r["revoked_at"] else "")
            for r in rows
        )
        or "no tokens",
    )


@token.command("revoke")
@click.argument("name")
@_DB_OPTION
@json_option
@click.pass_context
def token_revoke(ctx: click.Context, name: str, database_url: str | None, as_json: bool) -> None:
    """Revoke a token: the admin API refuses it from the next request on."""
    with _operation(ctx, database_url) as central:
        central.revoke_token(name)
    _out({"name": name, "revoked": True}, as_json, f"{name} revoked")


@server.command()
@click.option("--all", "show_all", is_flag=True, help="Acknowledged alerts too.")
@click.option("--kiosk", "kiosk_id", help="Only this kiosk's alerts.")
@click.option("--ack", "ack_id", type=int, help="Acknowledge this alert (needs --by).")
@click.option("--by", help="Who acknowledges (recorded with the alert).")
@_DB_OPTION
@json_option
@click.pass_context
def alerts(
    ctx: click.Context,
    show_all: bool,
    kiosk_id: str | None,
    ack_id: int | None,
    by: str | None,
    database_url: str | None,
    as_json: bool,
) -> None:
    """Security alerts: audit-chain heads refused as rollback, fork or bad signature."""
    if ack_id is not None and not by:
        raise click.UsageError("--ack needs --by NAME")
    central = _central(ctx, database_url)
    try:
        if ack_id is not None and by:
            done = central.acknowledge_alert(ack_id, by=by)
            _out(
                {"alert_id": ack_id, "acknowledged": done},
                as_json,
                "acknowledged" if done else "no open alert with that id",
            )
            return
        rows = central.security_alerts(None if show_all else "open", kiosk_id=kiosk_id)
    finally:
        central.close()
    _out(
        rows,
        as_json,
        "\n".join(
            f"#{r['alert_id']} {r['kind']}: {r['kiosk_id']} head {r['seq']} "
            f"(held {r['held_seq']}) x{r['count']} {r['status']}"
            for r in rows
        )
        or "no alerts",
    )


COMMANDS = (server,)

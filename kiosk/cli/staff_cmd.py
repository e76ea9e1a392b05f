"""``gerbang staff``: officer, supervisor and technician accounts of this kiosk."""

from __future__ import annotations

import click

from enrollment.accounts import Accounts
from kiosk.cli.context import app, emit_json, json_option, open_store
from models.audit import AuditLog
from models.roles import Role


@click.group()
def staff() -> None:
    """Staff accounts: add and list (passwords/PINs hashed with argon2id)."""


def _secret() -> str:
    return str(click.prompt("Password or PIN", hide_input=True, confirmation_prompt=True))


@staff.command()
@click.argument("user_id")
@click.option("--name", "display_name", required=True)
@click.option(
    "--role", "roles", multiple=True, required=True, type=click.Choice([r.value for r in Role])
)
@click.option(
    "--as", "admin_id", help="Admin user id authorising this (not needed for the first account)."
)
@json_option
@click.pass_context
def add(
    ctx: click.Context,
    user_id: str,
    display_name: str,
    roles: tuple[str, ...],
    admin_id: str | None,
    as_json: bool,
) -> None:
    """Add an account. The first account of a kiosk must be an admin and needs no authorisation."""
    settings = app(ctx).start_logging()
    store, keys = open_store(settings)
    try:
        accounts = Accounts(store, AuditLog(store, keys.signing_key()))
        if store.staff.count() == 0:
            account = accounts.create(
                user_id, display_name, [Role(r) for r in roles], _secret(), by=None, bootstrap=True
            )
        else:
            if not admin_id:
                raise click.UsageError("--as ADMIN_ID is required once accounts exist")
            admin = accounts.login(
                admin_id, str(click.prompt(f"Secret of {admin_id}", hide_input=True))
            )
            account = accounts.create(
                user_id, display_name, [Role(r) for r in roles], _secret(), by=admin
            )
    finally:
        store.close()
    if as_json:
        emit_json({"user_id": account.user_id, "roles": [r.value for r in account.roles]})
    else:
        click.echo(f"account {account.user_id} added ({', '.join(r.value for r in account.roles)})")


@staff.command("list")
@json_option
@click.pass_context
def list_accounts(ctx: click.Context, as_json: bool) -> None:
    """List accounts (ids and roles only)."""
    settings = app(ctx).start_logging()
    store, _ = open_store(settings)
    try:
        accounts = list(store.staff)
    finally:
        store.close()
    if as_json:
        emit_json(
            [
                {"user_id": a.user_id, "roles": [r.value for r in a.roles], "active": a.active}
                for a in accounts
            ]
        )
        return
    for a in accounts:
        roles = ",".join(r.value for r in a.roles)
        click.echo(f"{a.user_id:<20} {roles:<30} {'active' if a.active else 'inactive'}")


COMMANDS = (staff,)

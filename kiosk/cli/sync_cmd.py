"""``gerbang sync``: register this kiosk with the central server, show status, sync now."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from kiosk.cli.context import app, emit_json, json_option

if TYPE_CHECKING:
    from models.store import Store
    from sync.engine import SyncEngine


def _engine(ctx: click.Context) -> tuple[Store, SyncEngine]:
    from models.keys import KeyStore
    from models.store import Store
    from sync.engine import SyncEngine

    settings = app(ctx).start_logging()
    keys = KeyStore(settings.key_dir)
    store = Store.open(settings.store_path, keys.store_key())
    return store, SyncEngine(store, settings, keys.signing_key())


@click.group()
def sync() -> None:
    """Sync with the central server: register, status, now."""


@sync.command()
@click.option("--code", required=True, help="One-time registration code from an officer.")
@click.option("--server", "server_url", help="Central server URL (default: sync.server_url).")
@click.option(
    "--fingerprint",
    help="Expected server key fingerprint (from `gerbang server key`); refuse a different one.",
)
@json_option
@click.pass_context
def register(
    ctx: click.Context, code: str, server_url: str | None, fingerprint: str | None, as_json: bool
) -> None:
    """Register this kiosk (its Ed25519 key) and pin the server's key."""
    store, engine = _engine(ctx)
    try:
        registration = engine.register(code, server_url=server_url, expect_fingerprint=fingerprint)
    finally:
        store.close()
    result = {
        "kiosk_id": registration.kiosk_id,
        "office_id": registration.office_id,
        "server_key_fingerprint": registration.server_key_fingerprint,
        "registered_at": registration.registered_at.isoformat(),
    }
    if as_json:
        emit_json(result)
        return
    click.echo(f"Registered {result['kiosk_id']} (office {result['office_id']}).")
    click.echo(f"Server key fingerprint: {result['server_key_fingerprint']}")


@sync.command()
@json_option
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Registration, checkpoint, outbox depth and offline-policy state (no network)."""
    store, engine = _engine(ctx)
    try:
        result = engine.status()
    finally:
        store.close()
    if as_json:
        emit_json(result)
        return
    offline = result["offline"]
    click.echo(f"Kiosk {result['kiosk_id']} (office {result['office_id']})")
    click.echo(f"  registered: {result['registered']}  server: {result['server_url'] or '-'}")
    click.echo(f"  checkpoint: {result['checkpoint']}  outbox: {result['outbox_depth']} item(s)")
    click.echo(
        f"  last sync: {result['last_success_at'] or 'never'}  error: {result['last_error'] or '-'}"
    )
    click.echo(f"  mode: {offline['mode']}  reasons: {', '.join(offline['reasons']) or '-'}")
    if offline["warnings"]:
        click.echo(f"  warnings: {', '.join(offline['warnings'])}")


@sync.command()
@json_option
@click.pass_context
def now(ctx: click.Context, as_json: bool) -> None:
    """Run one sync cycle now: push the outbox, pull the feed, report health."""
    store, engine = _engine(ctx)
    try:
        report = engine.run_once()
    finally:
        store.close()
    result = report.as_json()
    if as_json:
        emit_json(result)
        return
    push, pull = result["push"], result["pull"]
    click.echo(
        f"Pushed {push['accepted']} new, {push['duplicate']} already there, "
        f"{push['rejected']} refused; pulled {pull['upserts']} change(s), "
        f"{pull['deletes']} deletion(s) in {result['duration_ms']:.0f} ms."
    )
    click.echo(f"Mode: {result['offline']['mode']}")


COMMANDS = (sync,)

"""``gerbang demo``: run a traveller transaction on virtual devices and print the outcome."""

from __future__ import annotations

from pathlib import Path

import click

from kiosk.cli.context import app, emit_json, json_option
from kiosk.demo import TRANSACTION_CHECKS, run_transaction
from models import codec
from models.audit import AuditLog
from models.keys import KeyStore
from models.store import Store


@click.command()
@click.option(
    "--headless", is_flag=True, default=True, help="Run without a window (the only mode for now)."
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the demo keeps its store and keys. Default: <data_dir>/demo.",
)
@json_option
@click.pass_context
def demo(ctx: click.Context, headless: bool, data_dir: Path | None, as_json: bool) -> None:
    """Run a complete demo traveller transaction and print its outcome."""
    state = app(ctx)
    settings = state.start_logging()
    root = data_dir or settings.data_dir / "demo"
    keys = KeyStore(root / "keys")
    store = Store.open(root / "kiosk.db", keys.store_key())
    try:
        audit = AuditLog(store, keys.signing_key())
        result = run_transaction(
            store, audit, kiosk_id=settings.kiosk.id, office_id=settings.kiosk.office_id
        )
    finally:
        store.close()
    event = result.event
    if as_json:
        emit_json(
            {
                "event": codec.to_json_value(event),
                "referral_id": result.referral.referral_id if result.referral else None,
                "outbox_depth": result.outbox_depth,
                "store": str(root / "kiosk.db"),
            }
        )
        return
    providers = dict(TRANSACTION_CHECKS)
    click.echo(f"Gerbang demo transaction {event.event_id}")
    for check in event.checks:
        note = f"  (needs {providers[check.name]})" if check.name in result.unavailable else ""
        click.echo(f"  {check.name:<24} {check.outcome.value}{note}")
    reasons = ", ".join(r.value for r in event.decision.reasons)
    click.echo(f"Decision: {event.decision.outcome.value.upper()} ({reasons})")
    if result.referral:
        click.echo(f"Referred to an officer: referral {result.referral.referral_id}")
    click.echo(f"Stored in {root / 'kiosk.db'}; {result.outbox_depth} item(s) waiting for sync.")


COMMANDS = (demo,)

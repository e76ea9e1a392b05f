"""``gerbang retention``: purge traveller data past its retention period."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from kiosk.cli.context import app, cli_actor, emit_json, json_option, open_store
from models.audit import AuditLog
from models.retention import RetentionPolicy, run_retention


@click.group()
def retention() -> None:
    """Purge traveller data past its retention period (holds and unsynced data stay)."""


@retention.command()
@click.option("--dry-run", is_flag=True, help="Count what would be purged; change nothing.")
@json_option
@click.pass_context
def run(ctx: click.Context, dry_run: bool, as_json: bool) -> None:
    """Purge now (or count with --dry-run)."""
    settings = app(ctx).start_logging()
    policy = RetentionPolicy(
        settings.retention.events_days,
        settings.retention.referrals_days,
        settings.retention.images_days,
    )
    store, keys = open_store(settings)
    try:
        report = run_retention(
            store,
            AuditLog(store, keys.signing_key()),
            policy,
            now=datetime.now(UTC),
            dry_run=dry_run,
            actor=cli_actor(),
        )
    finally:
        store.close()
    if as_json:
        emit_json(report.to_json())
        return
    verb = "would purge" if dry_run else "purged"
    for kind, counts in report.kinds.items():
        amount = counts.eligible - counts.held - counts.kept if dry_run else counts.purged
        click.echo(f"{kind:<20} {verb} {amount} (held {counts.held}, kept {counts.kept})")


COMMANDS = (retention,)

"""``gerbang audit``: verify and show the tamper-evident audit log."""

from __future__ import annotations

import json
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.cli.context import app, emit_json, json_option, open_store
from kiosk.cli.exitcodes import ExitCode
from models.audit import AuditLog, ChainHead
from models.errors import ConfigError
from models.settings import Settings
from models.store import Store


def _load_heads(path: Path | None) -> list[ChainHead]:
    if path is None:
        return []
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read chain heads from {path}: {exc}") from exc
    items = data if isinstance(data, list) else [data]
    return [ChainHead.from_json(item) for item in items]


@click.group()
def audit() -> None:
    """Verify and show the tamper-evident audit log."""


def _server_heads(store: Store, settings: Settings, signer: Ed25519PrivateKey) -> list[ChainHead]:
    """The heads the central server holds for this kiosk, each checked against our key."""
    from sync.engine import SyncEngine

    heads = SyncEngine(store, settings, signer).held_audit_heads()
    public = signer.public_key()
    for head in heads:
        head.verify(public)  # SecurityError: the server's copy is not this kiosk's chain
    return heads


@audit.command()
@click.option(
    "--heads",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="JSON chain head(s) held by the central server, to detect truncation and rewrites.",
)
@click.option(
    "--from-server",
    is_flag=True,
    help="Fetch every chain head the central server holds for this kiosk and anchor at them.",
)
@json_option
@click.pass_context
def verify(ctx: click.Context, heads: Path | None, from_server: bool, as_json: bool) -> None:
    """Check every link of the audit chain; exit 5 and name the first break if one is found."""
    settings = app(ctx).start_logging()
    store, keys = open_store(settings)
    try:
        signer = keys.signing_key()
        anchors = _load_heads(heads)
        held = _server_heads(store, settings, signer) if from_server else []
        report = AuditLog(store, signer).verify(anchors=[*anchors, *held])
    finally:
        store.close()
    if as_json:
        emit_json(
            {
                **report.to_json(),
                "anchors": {
                    "file": len(anchors),
                    "server": len(held),
                    "server_head": held[-1].to_json() if held else None,
                },
            }
        )
    elif (first := report.first_break) is None:
        click.echo(f"audit log intact: {report.records} records")
    else:
        click.echo(f"audit log BROKEN at record {first.seq}: {first.kind.value} ({first.detail})")
    if not report.valid:
        ctx.exit(int(ExitCode.CHECK_FAILED))


@audit.command()
@click.option("-n", "--last", "count", default=20, show_default=True, help="How many records.")
@json_option
@click.pass_context
def tail(ctx: click.Context, count: int, as_json: bool) -> None:
    """Show the newest audit records (they hold ids and codes, no personal data)."""
    settings = app(ctx).start_logging()
    store, _ = open_store(settings)
    try:
        records = list(store.audit)[-count:]
    finally:
        store.close()
    rows = [
        {
            "seq": r.seq,
            "at": r.occurred_at.isoformat(),
            "actor": r.actor,
            "action": r.action,
            "subject": r.subject,
            "detail": json.loads(r.detail),
        }
        for r in records
    ]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        click.echo(
            f"{row['seq']:>6} {row['at']} {row['actor']:<12} {row['action']:<20} {row['subject']}"
        )


COMMANDS = (audit,)

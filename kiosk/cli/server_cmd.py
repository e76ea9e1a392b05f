"""``gerbang server``: run the central server and administer it."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kiosk.cli.context import app, emit_json, json_option

if TYPE_CHECKING:
    from sync.server.service import Central

_DB_OPTION = click.option(
    "--database-url",
    help="Database URL (default: server.database_url, else SQLite in the data directory).",
)


def _central(ctx: click.Context, database_url: str | None) -> Central:
    from sync.server.config import ServerConfig
    from sync.server.service import Central

    settings = app(ctx).start_logging()
    return Central(ServerConfig.from_settings(settings, url=database_url))


@contextlib.contextmanager
def _operation(ctx: click.Context, database_url: str | None) -> Iterator[Central]:
    """A Central for one command; an API refusal (unknown name, exists) is a usage error."""
    from sync.server.apierror import ApiError

    central = _central(ctx, database_url)
    try:
        yield central
    except ApiError as exc:
        raise click.UsageError(f"{exc.message} ({exc.code})") from exc
    finally:
        central.close()


def _out(data: Any, as_json: bool, text: str) -> None:
    if as_json:
        emit_json(data)
    else:
        click.echo(text)


@click.group(invoke_without_command=True)
@click.pass_context
def server(ctx: click.Context) -> None:
    """Run the central server (API, sync) and administer it. Alone: `server run`."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(run)


@server.command()
@click.option("--host", help="Listen address (default: server.host).")
@click.option("--port", type=int, help="Port (default: server.port).")
@click.option("--workers", type=int, help="Worker processes (default: server.workers).")
@_DB_OPTION
@click.pass_context
def run(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    workers: int | None,
    database_url: str | None,
) -> None:
    """Migrate the database, then serve the API with uvicorn."""
    from kiosk import logsetup
    from sync.server.runner import serve

    context = app(ctx)
    settings = context.start_logging()
    if database_url:
        settings = settings.model_copy(
            update={"server": settings.server.model_copy(update={"database_url": database_url})}
        )
    serve(
        settings,
        host=host or settings.server.host,
        port=port or settings.server.port,
        workers=workers or settings.server.workers,
        log_config=logsetup.server_log_config(
            level="DEBUG" if context.verbose else settings.logging.level,
            json_stderr=settings.logging.json_stderr,
        ),
    )


@server.command()
@_DB_OPTION
@json_option
@click.pass_context
def migrate(ctx: click.Context, database_url: str | None, as_json: bool) -> None:
    """Bring the central database schema to the newest revision."""
    central = _central(ctx, database_url)
    try:
        applied = central.migrate()
        _, revision = central.ready()
    finally:
        central.close()
    _out(
        {"applied": applied, "revision": revision},
        as_json,
        f"schema at {revision}; applied {applied or 'nothing'}",
    )


@server.command()
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to a file.")
def openapi(output: Path | None) -> None:
    """Print the OpenAPI document of the API."""
    from sync.server.openapi import document

    text = json.dumps(document(), indent=2, sort_keys=True)
    if output:
        output.write_text(text + "\n")
    else:
        click.echo(text)


@server.command()
@json_option
@click.pass_context
def key(ctx: click.Context, as_json: bool) -> None:
    """The server's feed-signing key fingerprint (officers compare it at registration)."""
    from models.keys import KeyStore
    from sync import protocol
    from sync.server.config import server_dir

    settings = app(ctx).start_logging()
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    raw = KeyStore(server_dir(settings) / "keys").load_or_create("feed_signing")
    public = protocol.public_key_bytes(Ed25519PrivateKey.from_private_bytes(raw))
    data = {"public_key": protocol.b64(public), "fingerprint": protocol.fingerprint(public)}
    _out(data, as_json, data["fingerprint"])


@server.command()
@click.option("--office", "office_id", required=True, help="Office the kiosk belongs to.")
@click.option(
    "--kiosk-id", help="Bind the code to one kiosk id (needed to re-key an active kiosk)."
)
@click.option("--ttl-hours", type=float, default=24.0, show_default=True)
@_DB_OPTION
@json_option
@click.pass_context
def code(
    ctx: click.Context,
    office_id: str,
    kiosk_id: str | None,
    ttl_hours: float,
    database_url: str | None,
    as_json: bool,
) -> None:
    """Issue a one-time registration code for a kiosk of an office."""
    central = _central(ctx, database_url)
    try:
        issued = central.issue_code(office_id, kiosk_id=kiosk_id, ttl_hours=ttl_hours)
    finally:
        central.close()
    _out(
        issued,
        as_json,
        f"{issued['code']}  (office {office_id}, valid until {issued['expires_at']})",
    )


@server.command()
@click.option("--office", "office_id", help="Only this office's kiosks.")
@_DB_OPTION
@json_option
@click.pass_context
def kiosks(
    ctx: click.Context, office_id: str | None, database_url: str | None, as_json: bool
) -> None:
    """List registered kiosks."""
    central = _central(ctx, database_url)
    try:
        rows = central.kiosks(office_id)
    finally:
        central.close()
    _out(
        rows,
        as_json,
        "\n".join(f"{r['kiosk_id']:<24} {r['office_id']:<16} {r['status']}" for r in rows),
    )


@server.command()
@click.argument("kiosk_id")
@click.option("--reason", required=True)
@_DB_OPTION
@json_option
@click.pass_context
def revoke(
    ctx: click.Context, kiosk_id: str, reason: str, database_url: str | None, as_json: bool
) -> None:
    """Revoke a kiosk: the server refuses all its requests from now on."""
    with _operation(ctx, database_url) as central:
        row = central.revoke(kiosk_id, reason=reason)
    _out(row, as_json, f"{kiosk_id} revoked")


@server.command()
@click.argument("changes_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@_DB_OPTION
@json_option
@click.pass_context
def publish(
    ctx: click.Context, changes_file: Path, database_url: str | None, as_json: bool
) -> None:
    """Publish feed changes from a JSON-lines file.

    One change per line: {"kind": "watchlist|traveller|trust_anchor|policy", "id": ...,
    "scope": "*"|OFFICE, "payload": {...}} or {"kind", "id", "deleted": true}.
    """
    from models.errors import MalformedDataError

    changes = []
    for number, line in enumerate(changes_file.read_text().splitlines(), start=1):
        if line.strip():
            try:
                changes.append(json.loads(line))
            except ValueError as exc:
                raise MalformedDataError(f"{changes_file}:{number}: not JSON") from exc
    central = _central(ctx, database_url)
    try:
        result = central.publish(changes)
    finally:
        central.close()
    _out(
        result,
        as_json,
        f"published {result['published']} change(s), sequence {result['first_seq']}-{result['last_seq']}",
    )


@server.command()
@click.option("--threshold", type=float, default=0.92, show_default=True, help="Cosine similarity.")
@_DB_OPTION
@json_option
@click.pass_context
def dedup(ctx: click.Context, threshold: float, database_url: str | None, as_json: bool) -> None:
    """Flag enrollments whose faces are near-duplicates of others (new since the last run)."""
    central = _central(ctx, database_url)
    try:
        result = central.run_dedup(threshold)
    finally:
        central.close()
    _out(result, as_json, f"compared {result['new']} new template(s); flagged {result['flagged']}")


@server.command()
@click.option("--all", "show_all", is_flag=True, help="Resolved flags too.")
@_DB_OPTION
@json_option
@click.pass_context
def flags(ctx: click.Context, show_all: bool, database_url: str | None, as_json: bool) -> None:
    """Possible duplicate enrollments for officers to review."""
    central = _central(ctx, database_url)
    try:
        rows = central.flags(None if show_all else "open")
    finally:
        central.close()
    _out(
        rows,
        as_json,
        "\n".join(
            f"#{r['flag_id']} {r['reason']}: {r['enrollment_id']} ({r['office_id']}) ~ "
            f"{r['other_enrollment_id']} ({r['other_office_id']}) {r['status']}"
            for r in rows
        )
        or "no flags",
    )


@server.command()
@_DB_OPTION
@json_option
@click.pass_context
def dashboard(ctx: click.Context, database_url: str | None, as_json: bool) -> None:
    """Per-kiosk sync health (the data of the central dashboard)."""
    central = _central(ctx, database_url)
    try:
        data = central.dashboard()
    finally:
        central.close()
    lines = [
        f"feed head {data['feed_head']}; open dedup flags {data['open_dedup_flags']}; "
        f"open security alerts {data['open_security_alerts']}"
    ]
    lines += [
        f"{k['kiosk_id']:<24} {k['status']:<8} mode={k['mode']} lag={k['feed_lag']} outbox={k['outbox_depth']}"
        for k in data["kiosks"]
    ]
    _out(data, as_json, "\n".join(lines))


COMMANDS = (server,)

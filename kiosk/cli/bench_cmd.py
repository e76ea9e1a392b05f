"""``gerbang bench sync``: sync ingest and catch-up benchmark (PostgreSQL)."""

from __future__ import annotations

import click

from kiosk.cli.context import emit_json, json_option


@click.group()
def bench() -> None:
    """Benchmarks: face, fingerprint, index, sync, transaction."""


@bench.command("sync")
@click.option("--kiosks", type=click.IntRange(1, 2000), default=200, show_default=True)
@click.option(
    "--events", type=click.IntRange(1), default=20_000, show_default=True, help="In total."
)
@click.option(
    "--catchup",
    type=click.IntRange(0),
    default=100_000,
    show_default=True,
    help="Watchlist changes a fresh kiosk catches up.",
)
@click.option(
    "--rate",
    type=click.FloatRange(1),
    default=2500.0,
    show_default=True,
    help="Events/s offered in total (open loop).",
)
@click.option(
    "--batch",
    type=click.IntRange(1, 1000),
    default=25,
    show_default=True,
    help="Events per push request.",
)
@click.option("--server-workers", type=click.IntRange(1, 16), default=2, show_default=True)
@click.option(
    "--postgres",
    default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
    show_default=True,
    help="An existing database to create the scratch database from.",
)
@json_option
def sync_bench(
    kiosks: int,
    events: int,
    catchup: int,
    rate: float,
    batch: int,
    server_workers: int,
    postgres: str,
    as_json: bool,
) -> None:
    """Push events from simulated kiosks, then catch a fresh kiosk up; prints figures."""
    from sync.bench import run

    result = run(
        kiosks=kiosks,
        events=events,
        catchup=catchup,
        rate=rate,
        batch=batch,
        admin_url=postgres,
        server_workers=server_workers,
        progress=lambda message: click.echo(message, err=True),
    )
    if as_json:
        emit_json(result)
        return
    for name, value in result.items():
        click.echo(f"{name:<22} {value}")


COMMANDS = (bench,)

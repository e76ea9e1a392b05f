"""``gerbang bench dashboard``: the dashboard's page queries at millions of events
(PostgreSQL; see :mod:`sync.server.dashboard.bench`)."""

from __future__ import annotations

import os

import click

from kiosk.cli.context import emit_json, json_option

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@click.group()
def bench() -> None:
    """Benchmarks: face, fingerprint, index, sync, transaction, MRZ."""


@bench.command("dashboard")
@click.option("--events", type=click.IntRange(min=1000), default=1_000_000, show_default=True)
@click.option("--days", type=click.IntRange(min=30, max=1000), default=365, show_default=True)
@click.option("--repeat", type=click.IntRange(min=1, max=20), default=3, show_default=True)
@click.option(
    "--admin-url",
    default=lambda: os.environ.get("GERBANG_TEST_POSTGRES", DEFAULT_ADMIN_URL),
    show_default="$GERBANG_TEST_POSTGRES or " + DEFAULT_ADMIN_URL,
    help="A PostgreSQL database from which a scratch database is created (and dropped).",
)
@click.option("--keep", is_flag=True, help="Keep the scratch database (its URL is printed).")
@json_option
def bench_dashboard(
    events: int, days: int, repeat: int, admin_url: str, keep: bool, as_json: bool
) -> None:
    """Seed synthetic events in PostgreSQL, build the rollups, time each page's queries."""
    from sync.server.dashboard import bench as dashboard_bench

    result = dashboard_bench.run(admin_url, events=events, days=days, repeat=repeat, keep=keep)
    if as_json:
        emit_json(result)
        return
    click.echo(
        f"{result['events']} events: seeded in {result['seed_s']} s, "
        f"rollups built in {result['rollup_build_s']} s"
    )
    for name, page in result["pages"].items():
        click.echo(
            f"  {name:<24} data {page['data_s_best']:.3f} s (first {page['data_s_first']:.3f} s)"
        )
    click.echo(f"slowest page data: {result['slowest_page_data_s']:.3f} s (goal <= 1 s)")


COMMANDS = (bench,)

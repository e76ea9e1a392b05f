"""``gerbang bench transaction``: machine time of a full virtual traveller transaction."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from kiosk.cli.context import app, emit_json, json_option


@click.group()
def bench() -> None:
    """Benchmarks: face, fingerprint, index, sync, transaction."""


@bench.command("transaction")
@click.option("--transactions", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option(
    "--watchlist",
    default=10_000,
    show_default=True,
    type=click.IntRange(0, 2_000_000),
    help="Active watchlist entries searched 1:N (random embeddings).",
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Keep the bench's store, index and media here (default: a temporary folder).",
)
@json_option
@click.pass_context
def transaction(
    ctx: click.Context, transactions: int, watchlist: int, data_dir: Path | None, as_json: bool
) -> None:
    """Pass transactions on the demo's virtual devices, timed by step (CPU and wall)."""
    from kiosk.bench_transaction import run

    app(ctx).start_logging(to_file=False)

    def progress(done: int, total: int) -> None:
        click.echo(f"\rtransactions: {done}/{total}", nl=done == total, err=True)

    with tempfile.TemporaryDirectory(prefix="gerbang-bench-") as tmp:
        root = data_dir or Path(tmp)
        result = run(root, transactions=transactions, watchlist=watchlist, progress=progress)
    if as_json:
        emit_json(result)
        return
    cpu = result["cpu_s_per_transaction"]
    click.echo(
        f"{transactions} transactions, {watchlist} watchlist entries: "
        f"CPU {cpu['median']} s median, {cpu['max']} s max (goal <= {result['goal_cpu_s']} s)"
    )
    for name, s in result["steps_wall_ms"].items():
        click.echo(f"  {name:<28} {s['median']:>9.1f} ms median  {s['p95']:>9.1f} ms p95")
    sys.stdout.flush()


COMMANDS = (bench,)

"""``gerbang demo``: complete traveller transactions on virtual devices.

With a screen (or ``--offscreen``) the kiosk window runs a transaction; with
``--headless`` every scenario runs without Qt and each outcome is printed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from kiosk.cli.context import app, emit_json, json_option


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


@click.command()
@click.option(
    "--headless", is_flag=True, help="No window: run the scenarios and print each outcome."
)
@click.option(
    "--offscreen", is_flag=True, help="Run the kiosk window without a screen (saves screenshots)."
)
@click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    type=click.Choice(
        [
            "pass",
            "face_mismatch",
            "watchlist_hit",
            "expired_document",
            "tampered_chip",
            "card_removed",
            "timeout",
        ]
    ),
    help="Scenarios to run (repeatable). Default: all with --headless, 'pass' in the window.",
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the demo keeps its store, keys, index and media. Default: <data_dir>/demo.",
)
@json_option
@click.pass_context
def demo(
    ctx: click.Context,
    headless: bool,
    offscreen: bool,
    scenarios: tuple[str, ...],
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Run complete demo traveller transactions (virtual passport, camera, reader, gate)."""
    settings = app(ctx).start_logging()
    root = data_dir or settings.data_dir / "demo"
    from kiosk.demo import DemoFactory, Scenario

    factory = DemoFactory(root, kiosk_id=settings.kiosk.id, office_id=settings.kiosk.office_id)
    if not headless and (offscreen or not _has_display()):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        offscreen = True
    if headless:
        chosen = [Scenario(s) for s in scenarios] or list(Scenario)
        results = [_headless(factory, scenario) for scenario in chosen]
        _report(results, root, as_json, window=None)
        return
    from kiosk.ui.demo_window import run_window

    result = run_window(
        factory, Scenario(scenarios[0]) if scenarios else Scenario.PASS, offscreen=offscreen
    )
    _report([result], root, as_json, window="offscreen" if offscreen else "window")


def _headless(factory: Any, scenario: Any) -> dict[str, Any]:
    from kiosk.demo import expected
    from kiosk.traveller.headless import HeadlessRunner

    kit = factory.build(scenario)
    try:
        runner = HeadlessRunner(kit.flow, kit.services)
        transaction = runner.run()
        return {
            "scenario": scenario.value,
            "expected": expected(scenario),
            "outcome": transaction.decision.outcome.value,
            "reasons": [r.value for r in transaction.decision.reasons],
            "checks": {c.name: c.outcome.value for c in transaction.checks},
            "gate_opened": runner.gate_openings > 0,
            "event_id": transaction.transaction_id,
            "work_ms": {k: round(v, 1) for k, v in kit.services.timings.items()},
            "outbox_depth": kit.store.outbox.depth(),
        }
    finally:
        kit.close()


def _report(
    results: list[dict[str, Any]], root: Path, as_json: bool, *, window: str | None
) -> None:
    if as_json:
        emit_json(
            {"store": str(root / "kiosk.db"), "mode": window or "headless", "transactions": results}
        )
        return
    for r in results:
        reasons = ", ".join(r["reasons"])
        click.echo(
            f"{r['scenario']:<18} {r['outcome'].upper():<6} ({reasons})   expected: {r['expected']}"
        )
        if r.get("screenshots"):
            click.echo(f"  screens: {', '.join(r['screenshots'])}")
    click.echo(
        f"Stored (encrypted) in {root / 'kiosk.db'}; every decision is in the audit log "
        "and queued for the central server. Liveness is off in the demo: its camera plays a photograph."
    )


COMMANDS = (demo,)

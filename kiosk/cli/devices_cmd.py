"""``gerbang devices``: list, test and describe the configured devices (for technicians)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kiosk.cli.context import app, emit_json, json_option
from kiosk.cli.exitcodes import ExitCode

if TYPE_CHECKING:
    from devices.manager import DeviceManager

LIST_WAIT_S = 15.0  # how long `list` waits for every device's first check


def _base_dir(ctx: click.Context) -> Path:
    state = app(ctx)
    state.settings()
    return state.settings_file.parent if state.settings_file else Path.cwd()


def _manager(ctx: click.Context, only: str | None = None) -> DeviceManager:
    from devices.manager import DeviceManager  # keeps `gerbang --help` fast

    settings = app(ctx).settings()
    return DeviceManager.from_settings(settings, _base_dir(ctx), only=only)


def _started(manager: DeviceManager, timeout_s: float) -> None:
    from devices.manager import STARTING

    manager.wait_for(lambda statuses: all(s.detail != STARTING for s in statuses), timeout_s)


@click.group()
def devices() -> None:
    """List and test the configured devices."""


@devices.command("list")
@click.option(
    "--wait",
    "wait_s",
    type=float,
    default=LIST_WAIT_S,
    show_default=True,
    help="Seconds to wait for every device's first check.",
)
@json_option
@click.pass_context
def list_(ctx: click.Context, wait_s: float, as_json: bool) -> None:
    """Each configured device: state, capabilities, driver and firmware."""
    from devices.manager import snapshot

    settings = app(ctx).settings()
    with _manager(ctx) as manager:
        _started(manager, wait_s)
        rows = [snapshot(s, manager.device(s.device_id)) for s in manager.status()]
    if as_json:
        emit_json({"mode": settings.kiosk.mode.value, "devices": rows})
        return
    if not rows:
        click.echo("no devices configured ([[devices.device]] in the settings file)")
    for row in rows:
        caps = ",".join(row["capabilities"]) or "-"
        click.echo(
            f"{row['id']:<12} {row['kind']:<17} {row['backend']:<24} {row['state']:<7} "
            f"{row['detail'] or '':<16} {row['driver'] or '-'}  caps={caps}"
        )


@devices.command()
@click.argument("device_id", required=False)
@click.option(
    "--timeout",
    "timeout_s",
    type=float,
    default=10.0,
    show_default=True,
    help="Seconds each device may take (a card reader waits this long for a card).",
)
@json_option
@click.pass_context
def test(ctx: click.Context, device_id: str | None, timeout_s: float, as_json: bool) -> None:
    """Smoke-test each device (or one): a frame, a fingerprint, an ATR round trip, a gate pulse."""
    from devices import smoke

    results: list[dict[str, Any]] = []
    with _manager(ctx, only=device_id) as manager:
        _started(manager, timeout_s)
        for status in manager.status():
            config = manager.config(status.device_id)
            results.append(smoke.run(manager, config, timeout_s))
    passed = sum(1 for r in results if r["outcome"] == "ok")
    if as_json:
        emit_json({"results": results, "passed": passed, "failed": len(results) - passed})
    else:
        for r in results:
            extra = r.get("error", {}).get("code") or r.get("retry") or ""
            click.echo(
                f"{r['id']:<12} {r['kind']:<17} {r['outcome']:<6} {extra} {r['duration_ms']} ms"
            )
    if any(r["outcome"] == "error" for r in results):
        ctx.exit(int(ExitCode.DEVICE))
    if passed < len(results):
        ctx.exit(int(ExitCode.CHECK_FAILED))


@devices.command()
@json_option
def backends(as_json: bool) -> None:
    """The device backends this version provides."""
    from devices.factory import backend_table

    table = backend_table()
    if as_json:
        emit_json({"backends": table})
        return
    for row in table:
        flag = " (virtual)" if row["virtual"] else ""
        click.echo(f"{row['name']:<24} {row['kind']:<17} {row['summary']}{flag}")


COMMANDS = (devices,)

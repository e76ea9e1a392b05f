"""``gerbang technician``: diagnostics, the diagnostic bundle, and the technician window."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kiosk.cli.context import app, cli_actor, emit_json, json_option, open_store
from kiosk.cli.exitcodes import ExitCode

if TYPE_CHECKING:
    from models.settings import Settings

DEVICE_WAIT_S = 15.0


@click.group()
def technician() -> None:
    """Technician mode: device checks and calibration, diagnostics, support bundle."""


def _base_dir(ctx: click.Context) -> Path:
    state = app(ctx)
    state.settings()
    return state.settings_file.parent if state.settings_file else Path.cwd()


def device_rows(settings: Settings, base_dir: Path, wait_s: float) -> list[dict[str, Any]]:
    """Each configured device's state and description (as ``devices list``)."""
    from devices.manager import STARTING, DeviceManager, snapshot

    with DeviceManager.from_settings(settings, base_dir) as manager:
        manager.wait_for(lambda statuses: all(s.detail != STARTING for s in statuses), wait_s)
        return [snapshot(s, manager.device(s.device_id)) for s in manager.status()]


def sync_diagnostics(settings: Settings, *, network: bool = True) -> dict[str, Any]:
    """Sync state of the store and (unless ``network`` is False) a probe of the server."""
    from sync.diagnostics import diagnose, probe_server
    from sync.engine import SyncEngine

    store, keys = open_store(settings)
    try:
        status = SyncEngine(store, settings, keys.signing_key()).status()
    finally:
        store.close()
    url = str(status.get("server_url") or settings.sync.server_url or "")
    probe = probe_server(url) if network else {"skipped": True, "problems": []}
    return diagnose(status, probe)


@technician.command()
@click.option("--no-network", is_flag=True, help="Do not contact the central server.")
@click.option("--no-devices", is_flag=True, help="Do not open the devices.")
@click.option("--wait", "wait_s", type=float, default=DEVICE_WAIT_S, show_default=True)
@json_option
@click.pass_context
def diagnostics(
    ctx: click.Context, no_network: bool, no_devices: bool, wait_s: float, as_json: bool
) -> None:
    """Devices, network (reachability, TLS, clock skew) and sync (outbox, last sync)."""
    settings = app(ctx).start_logging()
    result = sync_diagnostics(settings, network=not no_network)
    if not no_devices:
        rows = device_rows(settings, _base_dir(ctx), wait_s)
        result["devices"] = rows
        bad = [r["id"] for r in rows if r["state"] not in ("ready", "busy")]
        if bad:
            result["problems"].append("devices_not_ready")
            result["devices_not_ready"] = bad
        result["ok"] = not result["problems"]
    if as_json:
        emit_json(result)
    else:
        net, sync = result["network"], result["sync"]
        click.echo(
            f"server: {net.get('url') or '-'} reachable={net.get('reachable')} "
            f"latency={net.get('latency_ms', '-')} ms tls={(net.get('tls') or {}).get('version', '-')} "
            f"skew={net.get('clock_skew_s', '-')} s"
        )
        click.echo(
            f"sync: registered={sync['registered']} outbox={sync['outbox_depth']} "
            f"last={sync['last_success_at'] or 'never'} mode={sync['offline'].get('mode')}"
        )
        for row in result.get("devices", []):
            click.echo(f"device {row['id']:<16} {row['kind']:<17} {row['state']} {row['detail']}")
        click.echo(f"problems: {', '.join(result['problems']) or 'none'}")
    if not result["ok"]:
        ctx.exit(int(ExitCode.CHECK_FAILED))


@technician.command()
@click.argument("output", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--no-network", is_flag=True, help="Do not contact the central server.")
@click.option("--no-devices", is_flag=True, help="Do not open the devices.")
@click.option("--wait", "wait_s", type=float, default=DEVICE_WAIT_S, show_default=True)
@json_option
@click.pass_context
def bundle(
    ctx: click.Context,
    output: Path,
    no_network: bool,
    no_devices: bool,
    wait_s: float,
    as_json: bool,
) -> None:
    """Write a diagnostic bundle (zip of JSON) without personal or biometric data."""
    from enrollment.technician import bundle as bundles
    from models.audit import AuditLog

    settings = app(ctx).start_logging()
    sections: dict[str, Any] = {
        "settings": bundles.settings_section(settings),
        "calibration": settings.calibration.model_dump(mode="json"),
        "versions": bundles.versions(),
        "diagnostics": sync_diagnostics(settings, network=not no_network),
    }
    if not no_devices:
        sections["devices"] = device_rows(settings, _base_dir(ctx), wait_s)
    store, keys = open_store(settings)
    try:
        audit = AuditLog(store, keys.signing_key())
        sections["store"] = bundles.store_section(store, audit)
        forbidden = bundles.personal_strings(store, settings)
        result = bundles.write_bundle(
            output, sections, kiosk_id=settings.kiosk.id, forbidden=forbidden
        )
        audit.append(
            cli_actor(),
            "technician.bundle_exported",
            output.name,
            {"bytes": result["bytes"], "members": result["members"]},
        )
    finally:
        store.close()
    if as_json:
        emit_json(result)
    else:
        click.echo(
            f"bundle: {result['path']} ({result['bytes']} bytes, {len(result['members'])} files)"
        )


@technician.command()
@click.option("--no-face-models", is_flag=True, help="Do not load the face models.")
@click.option(
    "--exit-after", type=float, default=0.0, hidden=True, help="Quit after N seconds (smoke tests)."
)
@click.pass_context
def window(ctx: click.Context, no_face_models: bool, exit_after: float) -> None:
    """The technician window: log in, device health, camera and threshold calibration."""
    from kiosk.cli.officer_cmd import require_display

    require_display()
    state = app(ctx)
    settings = state.start_logging()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from enrollment.accounts import Accounts
    from enrollment.technician.camera import face_measure_from_models
    from enrollment.technician.workbench import Workbench
    from kiosk.technician.controller import TechnicianController
    from kiosk.technician.window import TechnicianWindow
    from kiosk.ui.i18n import Translations
    from models.audit import AuditLog

    qt = QApplication.instance() or QApplication([])
    measure, loader = None, None
    if not no_face_models:
        from biometrics.face.models import load_models

        models = load_models()
        measure, loader = face_measure_from_models(models), (lambda: models)
    store, keys = open_store(settings)
    try:
        audit = AuditLog(store, keys.signing_key())
        Translations().install(settings.kiosk.language)
        workbench = Workbench(
            settings,
            state.settings_file,
            _base_dir(ctx),
            audit,
            measure,
            loader,
            isolate_evaluation=True,
        )
        view = TechnicianWindow()
        controller = TechnicianController(view, Accounts(store, audit), workbench)
        view.show()
        if exit_after:
            QTimer.singleShot(int(exit_after * 1000), qt.quit)
        qt.exec()
        controller.stop()
    finally:
        store.close()


COMMANDS = (technician,)

"""``gerbang kiosk``: the full-screen traveller kiosk on the configured devices."""

from __future__ import annotations

from pathlib import Path

import click

from kiosk.cli.context import app


@click.command()
@click.option("--windowed", is_flag=True, help="A 1280x1024 window instead of full screen.")
@click.pass_context
def kiosk(ctx: click.Context, windowed: bool) -> None:
    """Run the traveller kiosk: devices, trust store, face models, index and sync from the
    settings. Production mode refuses virtual devices; `gerbang demo` runs on virtual ones."""
    import os

    from kiosk.runtime import build_runtime
    from kiosk.ui.kiosk_app import run_kiosk
    from models.errors import DeviceUnavailableError

    screen = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    if not any(os.environ.get(name) for name in screen):
        raise DeviceUnavailableError(
            "no screen: the kiosk needs a display (DISPLAY or WAYLAND_DISPLAY; "
            "QT_QPA_PLATFORM=offscreen for a test run)",
            device_id="screen",
        )
    state = app(ctx)
    settings = state.start_logging()
    # relative paths of the settings (trust store, media) start at the settings file's folder
    base_dir = state.settings_file.parent if state.settings_file else Path.cwd()
    runtime = build_runtime(settings, base_dir)
    try:
        runtime.start()
        code = run_kiosk(runtime, fullscreen=not windowed)
    finally:
        runtime.close()
    ctx.exit(code)


COMMANDS = (kiosk,)

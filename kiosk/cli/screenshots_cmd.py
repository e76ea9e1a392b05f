"""``gerbang screenshots DIR``: every screen in both languages as PNG."""

from __future__ import annotations

import os
from pathlib import Path

import click

from kiosk.cli.context import emit_json, json_option


@click.command()
@click.argument("out_dir", type=click.Path(path_type=Path, file_okay=False))
@json_option
def screenshots(out_dir: Path, as_json: bool) -> None:
    """Render every kiosk, officer and technician screen in Bahasa Indonesia and English to PNG
    files in OUT_DIR."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from kiosk.officer.screenshots import render_officer
    from kiosk.technician.screenshots import render_technician
    from kiosk.ui.screenshots import render_all

    written = render_all(out_dir) + render_officer(out_dir) + render_technician(out_dir)
    if as_json:
        emit_json({"files": [str(p) for p in written]})
    else:
        for path in written:
            click.echo(path)


COMMANDS = (screenshots,)

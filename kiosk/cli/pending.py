"""Commands whose features are not built yet.

Each one is listed in ``--help`` so that the command tree is stable, and each
exits with code 4 (not available) saying which issue delivers it. None of them
pretends to work. A top-level name defined by a ``*_cmd`` module replaces its
entry here automatically; delete the row when the whole feature has landed.
"""

from __future__ import annotations

import click

from models.errors import NotAvailableError

_PENDING: tuple[tuple[str, str, str], ...] = (
    ("server", "Run the central server (API, sync, dashboard).", "the central server (issue #8)"),
    ("sync", "Sync with the central server: status, now.", "sync (issue #8)"),
    ("devices", "List and test the configured devices.", "the device layer (issue #3)"),
    (
        "doc",
        "Travel documents: read the MRZ, read and verify the chip.",
        "document checks (issue #4)",
    ),
    (
        "bench",
        "Benchmarks: face, fingerprint, index, sync, transaction.",
        "benchmarks (issues #5-#9)",
    ),
)


def _make(name: str, summary: str, feature: str) -> click.Command:
    @click.command(
        name=name,
        help=f"{summary} [not available yet]",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )
    def command() -> None:
        raise NotAvailableError(feature)

    return command


COMMANDS: tuple[click.Command, ...] = tuple(_make(*row) for row in _PENDING)

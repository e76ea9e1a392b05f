"""``gerbang bench transaction`` runs and reports every step (figures go in the docs, not here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import cli

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_bench_transaction_reports_each_step(tmp_path: Path) -> None:
    args = ["bench", "transaction", "--transactions", "1", "--watchlist", "50"]
    result = CliRunner().invoke(cli, [*args, "--data-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["outcomes"] == {"pass": 1}  # random watchlist vectors never match the traveller
    assert report["watchlist_entries"] == report["watchlist_added"] == 50
    steps = report["steps_wall_ms"]
    for step in ("document.mrz_scan", "document.chip_read", "face.embed", "face.watchlist_search"):
        assert steps[step]["median"] > 0
    assert (
        0 < report["cpu_s_per_transaction"]["median"] <= report["wall_s_per_transaction"]["max"] * 4
    )
    # a second run on the same folder reuses the watchlist instead of adding to it
    again = CliRunner().invoke(cli, [*args, "--data-dir", str(tmp_path), "--json"])
    assert json.loads(again.stdout)["watchlist_added"] == 0

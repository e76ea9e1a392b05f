"""`gerbang devices list/test --json` on the shipped virtual configuration, as CI runs it.

A subprocess, because the virtual-vpcd reader starts its own private pcscd and
binds the process's PC/SC client to it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
CONFIG = REPO / "config" / "devices.virtual.toml"
GERBANG = [sys.executable, "-c", "import sys; from kiosk.cli import main; sys.exit(main())"]


def gerbang(*args: str, home: Path) -> tuple[int, dict[str, object]]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
    }
    result = subprocess.run(
        [*GERBANG, "--config", str(CONFIG), *args, "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)


def test_list_and_test_work_with_the_shipped_virtual_configuration(tmp_path: Path) -> None:
    code, listing = gerbang("devices", "list", home=tmp_path)
    assert code == 0, listing
    rows = {row["id"]: row for row in listing["devices"]}  # type: ignore[attr-defined]
    assert listing["mode"] == "development"
    assert {r["kind"] for r in rows.values()} == {
        "camera",
        "fingerprint",
        "card_reader",
        "document_scanner",
        "gate",
    }
    assert all(r["state"] == "ready" for r in rows.values()), rows
    assert rows["fingerprint"]["driver"] == "virtual_image"
    assert "extended_length" in rows["passport-reader"]["capabilities"]

    code, tested = gerbang("devices", "test", home=tmp_path)
    assert code == 0, tested
    results = {r["id"]: r for r in tested["results"]}  # type: ignore[attr-defined]
    assert tested["failed"] == 0
    assert results["camera-face"]["frame"]["sharpness"] > 50
    assert 20 < results["camera-replay"]["frame"]["brightness"] < 235
    assert results["fingerprint"]["fingerprint"] == {"width": 250, "height": 300, "ppi": 500}
    card = results["passport-reader"]["card"]
    assert card["sw"] == "9000" and card["atr"].startswith("3B")
    assert results["gate"]["gate"]["state_after"] == "closed"
    assert results["document"]["page"]["width"] == 880


def test_production_refuses_it(tmp_path: Path) -> None:
    env_config = tmp_path / "prod.toml"
    env_config.write_text(CONFIG.read_text().replace('mode = "development"', 'mode = "production"'))
    result = subprocess.run(
        [*GERBANG, "--config", str(env_config), "devices", "list", "--json"],
        cwd=REPO,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 3
    assert json.loads(result.stdout)["error"]["code"] == "config.virtual_device_refused"

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


def gerbang(*args: str, home: Path, config: Path = CONFIG) -> tuple[int, dict[str, object]]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
    }
    result = subprocess.run(
        [*GERBANG, "--config", str(config), *args, "--json"],
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
    # two vpcd readers under the one private pcscd of the process
    assert rows["passport-chip"]["kind"] == "card_reader"
    assert rows["passport-chip"]["model"] != rows["passport-reader"]["model"]

    code, tested = gerbang("devices", "test", home=tmp_path)
    assert code == 0, tested
    results = {r["id"]: r for r in tested["results"]}  # type: ignore[attr-defined]
    assert tested["failed"] == 0
    assert results["camera-face"]["frame"]["sharpness"] > 50
    assert 20 < results["camera-replay"]["frame"]["brightness"] < 235
    assert results["fingerprint"]["fingerprint"] == {"width": 250, "height": 300, "ppi": 500}
    card = results["passport-reader"]["card"]
    assert card["sw"] == "9000" and card["atr"].startswith("3B")
    chip = results["passport-chip"]["card"]  # SELECT of the eMRTD application
    assert chip["sw"] == "9000" and chip["atr"] != card["atr"]
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


SPECIMEN = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)


def _private_copy(tmp_path: Path) -> Path:
    """The shipped configuration in a folder of its own, so that the test PKI it makes
    (virtual-pki/, next to the settings file) stays out of the repository."""
    folder = tmp_path / "config"
    folder.mkdir()
    text = CONFIG.read_text().replace('"virtual-media/', f'"{CONFIG.parent}/virtual-media/')
    (folder / CONFIG.name).write_text(text)
    return folder / CONFIG.name


def test_doc_read_through_the_configured_vpcd_reader(tmp_path: Path) -> None:
    config = _private_copy(tmp_path)
    mrz = [arg for line in SPECIMEN for arg in ("--mrz", line)]
    code, report = gerbang("doc", "read", *mrz, home=tmp_path, config=config)
    assert code == 0, report
    assert report["source"] == "reader:passport-chip"
    assert report["checks"] == {
        "passive_authentication": "passed",
        "chip_authentication": "passed",
        "dg1_matches_mrz": "passed",
    }
    access = report["access_control"]
    assert access["protocol"] == "PACE" and access["extended_length"] is True  # type: ignore[index]
    assert report["face"] == {"width": 360, "height": 480, "format": "jpeg"}
    assert (config.parent / "virtual-pki" / "UT" / "csca.der").is_file()  # trusted via trust_paths
    # A wrong MRZ: access control fails on the chip (a document error, exit 7).
    wrong = ["--document-number", "L898902C4", "--birth-date", "740812", "--expiry-date", "120415"]
    code, report = gerbang("doc", "read", *wrong, home=tmp_path, config=config)
    assert code == 7 and report["error"]["code"] == "document.access_control"  # type: ignore[index]
    # The echo test card's reader, named explicitly, holds no passport.
    code, report = gerbang(
        "doc", "read", *mrz, "--reader", "passport-reader", home=tmp_path, config=config
    )
    assert code != 0 and "error" in report

"""`gerbang devices` on in-process virtual devices (no pcscd, no libfprint)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.cli.exitcodes import ExitCode


def write_config(
    tmp_path: Path, media_dir: Path, *, mode: str = "development", extra: str = ""
) -> Path:
    path = tmp_path / "gerbang.toml"
    path.write_text(
        f"""
[kiosk]
mode = "{mode}"
[logging]
to_file = false
[devices]
health_interval_s = 0.1
[[devices.device]]
id = "cam"
kind = "camera"
backend = "virtual-camera"
options = {{ source = "{media_dir / "frames"}", fps = 100 }}
[[devices.device]]
id = "finger"
kind = "fingerprint"
backend = "virtual-fingerprint"
options = {{ source = "{media_dir / "fingers"}" }}
[[devices.device]]
id = "reader"
kind = "card_reader"
backend = "virtual-loopback"
options = {{ applet = "echo", test_apdu = "8010000003010203" }}
[[devices.device]]
id = "doc"
kind = "document_scanner"
backend = "virtual-document"
options = {{ source = "{media_dir / "pages"}" }}
[[devices.device]]
id = "gate"
kind = "gate"
backend = "log"
{extra}
"""
    )
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code = main(list(args))
    out, _ = capsys.readouterr()
    return code, json.loads(out)


def test_list_reports_every_device(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, media_dir: Path
) -> None:
    config = write_config(tmp_path, media_dir)
    code, out = run(capsys, "--config", str(config), "devices", "list", "--json")
    assert code == 0
    rows = {row["id"]: row for row in out["devices"]}  # type: ignore[attr-defined]
    assert set(rows) == {"cam", "finger", "reader", "doc", "gate"}
    assert all(row["state"] == "ready" for row in rows.values())
    assert rows["reader"]["capabilities"] == ["card_presence", "extended_length"]
    assert rows["finger"]["virtual"] is True and rows["gate"]["virtual"] is False
    for key in ("kind", "backend", "firmware", "driver", "vendor", "model"):
        assert key in rows["cam"]


def test_test_smoke_tests_every_device(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, media_dir: Path
) -> None:
    config = write_config(tmp_path, media_dir)
    code, out = run(capsys, "--config", str(config), "devices", "test", "--json", "--timeout", "2")
    assert code == 0, out
    results = {r["id"]: r for r in out["results"]}  # type: ignore[attr-defined]
    assert out["failed"] == 0 and out["passed"] == 5
    assert results["cam"]["frame"]["sharpness"] > 0
    assert results["finger"]["fingerprint"]["width"] == 100
    card = results["reader"]["card"]
    assert card["sw"] == "9000" and card["response_length"] == 3 and card["atr"].startswith("3B")
    assert results["gate"]["gate"] == {
        "pulse_s": 0.5,
        "state_open": "open",
        "state_after": "closed",
    }
    assert results["doc"]["page"]["width"] == 440


def test_test_one_device_retry_and_error_exit_codes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, media_dir: Path
) -> None:
    extra = f"""
[[devices.device]]
id = "shy"
kind = "fingerprint"
backend = "virtual-fingerprint"
options = {{ source = "{media_dir / "fingers"}", script = ["retry:no_finger"] }}
[[devices.device]]
id = "broken"
kind = "camera"
backend = "virtual-camera"
options = {{ source = "{media_dir / "frames"}", script = ["error:device"] }}
"""
    config = write_config(tmp_path, media_dir, extra=extra)
    code, out = run(capsys, "--config", str(config), "devices", "test", "shy", "--json")
    assert code == ExitCode.CHECK_FAILED
    assert out["results"][0]["retry"] == "no_finger"  # type: ignore[index]
    code, out = run(capsys, "--config", str(config), "devices", "test", "broken", "--json")
    assert code == ExitCode.DEVICE
    assert out["results"][0]["error"]["code"] == "device"  # type: ignore[index]
    code, out = run(capsys, "--config", str(config), "devices", "test", "nope", "--json")
    assert code == ExitCode.CONFIG


def test_production_refuses_the_virtual_configuration(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, media_dir: Path
) -> None:
    config = write_config(tmp_path, media_dir, mode="production")
    code, out = run(capsys, "--config", str(config), "devices", "list", "--json")
    assert code == ExitCode.CONFIG
    assert out["error"]["code"] == "config.virtual_device_refused"  # type: ignore[index]


def test_backends_and_text_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, media_dir: Path
) -> None:
    code, out = run(capsys, "devices", "backends", "--json")
    assert code == 0
    assert {"pcsc", "opencv", "libfprint", "virtual-vpcd", "log"} <= {
        b["name"]
        for b in out["backends"]  # type: ignore[attr-defined]
    }
    config = write_config(tmp_path, media_dir)
    assert main(["--config", str(config), "devices", "list"]) == 0
    assert main(["--config", str(config), "devices", "test", "gate"]) == 0
    assert main(["devices", "backends"]) == 0
    text = capsys.readouterr().out
    assert "cam" in text and "ready" in text and "virtual-vpcd" in text

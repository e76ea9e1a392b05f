from __future__ import annotations

import json
import zipfile
from pathlib import Path

import cv2
import pytest

from devices.virtual import media
from enrollment.technician.bundle import PersonalDataInBundleError, write_bundle
from kiosk.cli import main
from kiosk.cli.exitcodes import ExitCode
from tests import factories
from tests.unit.technician.conftest import open_audit

MRZ = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)
# What must never be in a bundle: the store's traveller and the virtual passport's holder.
PERSONAL = ("SIREGAR", "MARIA ULINA", "C1234567", "ERIKSSON", "L898902C3", MRZ[0], MRZ[1])


def settings_file(tmp_path: Path, data_dir: Path) -> Path:
    frames = tmp_path / "frames"
    frames.mkdir()
    for k in range(2):
        cv2.imwrite(str(frames / f"f{k}.png"), media.card_frame(k))
    path = tmp_path / "gerbang.toml"
    path.write_text(
        f"""[kiosk]
id = "KIOSK-T-01"
mode = "development"
[paths]
data_dir = "{data_dir}"
[logging]
to_file = false
[[devices.device]]
id = "cam"
kind = "camera"
backend = "virtual-camera"
options = {{ source = "frames", fps = 100 }}
[[devices.device]]
id = "chip"
kind = "card_reader"
backend = "virtual-vpcd"
enabled = false
options = {{ applet = "epassport", applet_options = {{ mrz = {json.dumps(list(MRZ))} }} }}
"""
    )
    return path


def test_the_bundle_holds_diagnostics_and_no_personal_data(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, audit = open_audit(data_dir)
    try:
        store.travellers.add(factories.traveller())
        store.documents.add(factories.document())
        audit.append("off", "enrollment.saved", "t-1", {"faces": 1})
    finally:
        store.close()
    config = settings_file(tmp_path, data_dir)
    out = tmp_path / "bundle.zip"
    code = main(
        ["--config", str(config), "technician", "bundle", str(out), "--no-network", "--json"]
    )
    result = json.loads(capsys.readouterr().out)
    assert code == 0, result
    with zipfile.ZipFile(out) as archive:
        members = {name: archive.read(name).decode() for name in archive.namelist()}
    assert set(members) == {
        "manifest.json",
        "settings.json",
        "calibration.json",
        "versions.json",
        "diagnostics.json",
        "devices.json",
        "store.json",
    }
    everything = "\n".join(members.values()).upper()
    for needle in PERSONAL:
        assert needle.upper() not in everything, needle
    store_json = json.loads(members["store.json"])
    assert store_json["counts"]["travellers"] == 1 and store_json["counts"]["documents"] == 1
    assert store_json["audit_chain"]["valid"] is True
    assert store_json["audit_actions"]["enrollment.saved"] == 1
    devices = {d["id"]: d for d in json.loads(members["devices.json"])}
    assert devices["cam"]["state"] == "ready"
    chip = json.loads(members["settings.json"])["devices"]["device"][1]
    assert chip["options"] == ["applet", "applet_options"]  # names, never values
    assert out.stat().st_mode & 0o777 == 0o600
    store, _ = open_audit(data_dir)
    try:
        exported = [r for r in store.audit if r.action == "technician.bundle_exported"]
    finally:
        store.close()
    assert len(exported) == 1 and exported[0].subject == "bundle.zip"


def test_a_bundle_with_personal_data_is_refused_and_not_written(tmp_path: Path) -> None:
    out = tmp_path / "bundle.zip"
    with pytest.raises(PersonalDataInBundleError, match="MRZ"):
        write_bundle(out, {"log": {"line": MRZ[0]}}, kiosk_id="K")
    with pytest.raises(PersonalDataInBundleError):
        write_bundle(
            out, {"log": {"line": "reader saw siregar"}}, kiosk_id="K", forbidden=["SIREGAR"]
        )
    assert not out.exists()


def test_diagnostics_cli_reports_devices_and_sync(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = settings_file(tmp_path, data_dir)
    code = main(["--config", str(config), "technician", "diagnostics", "--no-network", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == int(ExitCode.CHECK_FAILED)  # not registered: the kiosk is officer-only
    assert "not_registered" in result["problems"]
    assert result["sync"]["outbox_depth"] == 0
    assert [d["id"] for d in result["devices"]] == ["cam"]

"""``gerbang doc read`` and ``gerbang bench chip``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.cli.exitcodes import ExitCode

from .conftest import TD3

MRZ_ARGS = ["--mrz", TD3[0], "--mrz", TD3[1]]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GERBANG_KIOSK__MODE", "development")


def test_doc_read_virtual_pace(
    capsys: pytest.CaptureFixture[str], development: None, tmp_path: Path
) -> None:
    code, out, _ = run(
        capsys, "doc", "read", *MRZ_ARGS, "--virtual", "--json", "--save", str(tmp_path / "out")
    )
    assert code == 0
    data = json.loads(out)
    assert data["access_control"]["protocol"] == "PACE"
    assert data["access_control"]["domain_parameters"] == "brainpoolP256r1"
    assert data["chip_authentication"] == {
        "performed": True,
        "valid": True,
        "algorithm": "id-CA-ECDH-AES-CBC-CMAC-128",
        "reason": "",
    }
    assert data["active_authentication"]["valid"] is True
    assert (
        data["passive_authentication"]["valid"] is True
    )  # the virtual CSCA is trusted in development
    assert data["checks"] == {
        "passive_authentication": "passed",
        "chip_authentication": "passed",
        "dg1_matches_mrz": "passed",
    }
    assert list(data["files"]) == ["EF.COM", "EF.SOD", "DG1", "DG2", "DG11", "DG12", "DG14", "DG15"]
    assert data["absent"] == ["DG7"]
    # EF.CardAccess 1, PACE 5, SELECT 1, eight files 8 (EF.COM lists no DG7: no APDU), CA 3, AA 1
    assert data["source"] == "virtual" and data["apdus"] == 19
    saved = tmp_path / "out"
    assert (saved / "DG1.bin").read_bytes()[5:].decode() == "".join(TD3)
    assert (saved / "EF.CardAccess.bin").is_file() and (saved / "virtual-CSCA.der").is_file()
    assert (saved / "DG2.bin").stat().st_size == data["files"]["DG2"]["size"]
    assert oct(saved.stat().st_mode & 0o777) == "0o700"
    assert oct((saved / "DG2.bin").stat().st_mode & 0o777) == "0o600"


def test_doc_read_virtual_bac_with_fields_and_text_output(
    capsys: pytest.CaptureFixture[str], development: None
) -> None:
    code, out, _ = run(
        capsys, "doc", "read", "--virtual", "--virtual-profile", "bac",
        "--document-number", "X1234567", "--birth-date", "900101", "--expiry-date", "300101",
    )  # fmt: skip
    assert code == 0
    assert "access control: BAC" in out and "BAC because: no_card_access" in out
    assert "chip authentication: VALID" in out


@pytest.mark.parametrize(
    ("fault", "check"), [("aa-clone", "active_authentication"), ("ca-clone", "chip_authentication")]
)
def test_doc_read_reports_a_clone(
    capsys: pytest.CaptureFixture[str], development: None, fault: str, check: str
) -> None:
    code, out, _ = run(
        capsys, "doc", "read", *MRZ_ARGS, "--virtual", "--virtual-fault", fault, "--json"
    )
    assert code == ExitCode.CHECK_FAILED
    assert json.loads(out)[check]["valid"] is False


def test_doc_read_with_can(capsys: pytest.CaptureFixture[str], development: None) -> None:
    code, out, _ = run(
        capsys, "doc", "read", "--can", "654321", "--virtual", "--json", "--no-aa", "--no-ca"
    )
    assert code == 0
    data = json.loads(out)
    assert data["access_control"]["password"] == "CAN"  # noqa: S105
    assert data["active_authentication"]["reason"] == "disabled"


def test_doc_read_card_removed_is_a_device_error(
    capsys: pytest.CaptureFixture[str], development: None
) -> None:
    code, out, _ = run(
        capsys, "doc", "read", *MRZ_ARGS, "--virtual", "--virtual-fault", "removed", "--json"
    )
    assert code == ExitCode.DEVICE
    assert json.loads(out)["error"]["code"] == "device.card_removed"


def test_doc_read_virtual_needs_development_mode(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "doc", "read", *MRZ_ARGS, "--virtual", "--json")
    assert code == ExitCode.CONFIG
    assert json.loads(out)["error"]["code"] == "config"


def _settings(tmp_path: Path, mode: str = "development", *, echo_too: bool = True) -> Path:
    """A settings file with an echo test card and a virtual passport on loopback readers."""
    text = f"""
[kiosk]
mode = "{mode}"

[documents]
trust_paths = ["pki"]

[[devices.device]]
id = "echo"
kind = "card_reader"
backend = "virtual-loopback"
enabled = {str(echo_too).lower()}

[[devices.device]]
id = "chip"
kind = "card_reader"
backend = "virtual-loopback"
options = {{ applet = "epassport", applet_options = {{ pki_dir = "pki", faults = ["ca-clone"] }} }}
"""
    path = tmp_path / "gerbang.toml"
    path.write_text(text)
    return path


def test_doc_read_uses_the_configured_reader(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = str(_settings(tmp_path))
    code, out, _ = run(capsys, "--config", config, "doc", "read", *MRZ_ARGS, "--json")
    report = json.loads(out)
    assert report["source"] == "reader:chip"  # the first reader that is not the echo card
    assert report["passive_authentication"]["valid"] is True  # trust_paths from the settings
    assert report["checks"]["chip_authentication"] == "failed"  # its ca-clone fault
    assert code == ExitCode.CHECK_FAILED
    code, out, _ = run(
        capsys, "--config", config, "doc", "read", *MRZ_ARGS, "--reader", "nope", "--json"
    )
    assert code == ExitCode.CONFIG


def test_doc_read_refuses_a_virtual_reader_in_production(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = str(_settings(tmp_path, "production"))
    code, out, _ = run(capsys, "--config", config, "doc", "read", *MRZ_ARGS, "--json")
    assert code == ExitCode.CONFIG
    assert json.loads(out)["error"]["code"] == "config.virtual_device_refused"


def test_doc_read_without_a_document_reader_is_a_config_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "gerbang.toml"
    config.write_text('[kiosk]\nmode = "development"\n')
    code, out, _ = run(capsys, "--config", str(config), "doc", "read", *MRZ_ARGS, "--json")
    assert code == ExitCode.CONFIG
    assert "card reader" in json.loads(out)["error"]["message"]


def test_doc_read_needs_a_password(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "doc", "read", "--virtual")
    assert code == ExitCode.USAGE and "--mrz" in err


def test_doc_read_bad_mrz_names_the_field(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "doc", "read", "--mrz", TD3[0], "--mrz", TD3[1][:9] + "7" + TD3[1][10:], "--json"
    )
    assert code == ExitCode.DATA
    assert json.loads(out)["error"]["code"] == "document.mrz"


def test_bench_chip(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "bench", "chip", "--runs", "1", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["dg2_bytes"] == 20 * 1024
    by = {(c["protocol"], c["reads"]): c for c in data["configs"]}
    assert by["PACE", "extended"]["dg2_apdus"] == 1
    assert by["BAC", "extended"]["dg2_apdus"] == 1
    assert by["BAC", "short"]["dg2_apdus"] == -(-20 * 1024 // 231)  # 3DES: 231 bytes per answer
    assert by["PACE", "short"]["dg2_apdus"] == -(-20 * 1024 // 223)  # AES: 223 bytes per answer


@pytest.mark.integration
def test_bench_chip_through_vpcd_in_a_fresh_process(tmp_path: Path) -> None:
    """--transport vpcd starts its own pcscd (a separate process: libpcsclite binds once per process)."""
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [
            str(Path(sys.executable).parent / "gerbang"),
            "bench",
            "chip",
            "--runs",
            "1",
            "--transport",
            "vpcd",
            "--reads",
            "extended",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    result = json.loads(out.stdout)
    assert result["transport"] == "pyscard + pcscd + vpcd"
    extended = {c["protocol"]: c for c in result["configs"] if c["reads"] == "extended"}
    assert extended["PACE"]["dg2_apdus"] == 1 and extended["BAC"]["full_read_apdus"] == 18


def test_doc_read_scans_the_mrz_from_the_configured_scanner(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import cv2

    from devices.epassport.emulator.virtual import SPECIMEN_TD3
    from devices.virtual.media import document_page

    (tmp_path / "page").mkdir()
    cv2.imwrite(str(tmp_path / "page" / "page.png"), document_page(mrz=SPECIMEN_TD3))
    config = _settings(tmp_path)
    config.write_text(
        config.read_text()
        + """
[[devices.device]]
id = "document"
kind = "document_scanner"
backend = "virtual-document"
options = { source = "page" }
"""
    )
    code, out, _ = run(capsys, "--config", str(config), "doc", "read", "--scan", "--json")
    report = json.loads(out)
    assert report["mrz_source"] == "scanner" and report["source"] == "reader:chip"
    assert report["passive_authentication"]["valid"] is True  # the scanned MRZ opened the chip
    assert report["checks"]["dg1_matches_mrz"] == "passed"
    assert code == ExitCode.CHECK_FAILED  # the chip's ca-clone fault, as without --scan

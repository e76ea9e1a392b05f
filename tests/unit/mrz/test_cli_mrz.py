from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.cli.exitcodes import ExitCode
from tests.unit.mrz.render import render_document

TD1 = "I<UTOD231458907<<<<<<<<<<<<<<<\\n7408122F1204159UTO<<<<<<<<<<<6\\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"
TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code = main(list(args))
    out, _ = capsys.readouterr()
    return code, json.loads(out)


def test_typed_mrz_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "doc", "mrz", "--text", TD1, "--at", "2025-01-01", "--json")
    assert code == ExitCode.OK
    assert set(out) == {"mrz_type", "valid", "fields", "check_digits", "raw"}
    assert out["mrz_type"] == "TD1" and out["valid"] is True
    fields = out["fields"]
    assert isinstance(fields, dict) and fields["birth_date"] == "1974-08-12"
    assert out["check_digits"] == {
        "document_number": {"read": "7", "expected": "7", "valid": True},
        "birth_date": {"read": "2", "expected": "2", "valid": True},
        "expiry_date": {"read": "9", "expected": "9", "valid": True},
        "composite": {"read": "6", "expected": "6", "valid": True},
    }


def test_failed_check_digit_exits_5(capsys: pytest.CaptureFixture[str]) -> None:
    bad = TD1.replace("7408122F", "7408123F")
    code, out = run(capsys, "doc", "mrz", "--text", bad, "--json")
    assert code == ExitCode.CHECK_FAILED
    assert out["valid"] is False
    checks = out["check_digits"]
    assert isinstance(checks, dict) and checks["birth_date"]["valid"] is False


def test_malformed_typed_mrz_names_the_field(capsys: pytest.CaptureFixture[str]) -> None:
    bad = TD1.replace("7408122F", "7413122F")
    code, out = run(capsys, "doc", "mrz", "--text", bad, "--json")
    assert code == ExitCode.CHECK_FAILED
    assert out["error"] == {
        "code": "document.mrz",
        "field": "birth_date",
        "message": "birth_date '741312' is not a calendar date",
    }


def test_image_or_text_but_not_both(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doc", "mrz"]) == ExitCode.USAGE


def test_non_image_file_exits_7(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "x.jpg"
    path.write_bytes(b"definitely not a jpeg")
    code, out = run(capsys, "doc", "mrz", str(path), "--json")
    assert code == ExitCode.DATA
    error = out["error"]
    assert isinstance(error, dict) and error["code"] == "document.malformed"


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract missing")
def test_image_and_bench(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    render_document(TD3, size=26).save(folder / "td3.png")
    code, out = run(capsys, "doc", "mrz", str(folder / "td3.png"), "--json")
    assert code == ExitCode.OK and out["raw"] == list(TD3)
    code, out = run(capsys, "bench", "mrz", "--images", str(folder), "--no-baseline", "--json")
    assert code == ExitCode.OK
    ours = out["gerbang"]
    assert isinstance(ours, dict) and ours["valid"] == 1 and ours["valid_but_wrong"] == 0

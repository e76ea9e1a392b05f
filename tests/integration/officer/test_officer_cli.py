"""Watchlist and enroll commands on built files (no shared data; the real face models)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from argon2 import PasswordHasher
from PIL import Image

from enrollment.accounts import Accounts
from kiosk.cli import main
from kiosk.cli.exitcodes import ExitCode
from models.audit import AuditLog
from models.keys import KeyStore
from models.roles import Role
from models.settings import load_settings
from models.store import Store
from tests.unit.enrollment import an2build

pytestmark = pytest.mark.integration


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_as_a_staff_account_and_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _ = load_settings(None)
    keys = KeyStore(settings.key_dir)
    store = Store.open(settings.store_path, keys.store_key())
    accounts = Accounts(
        store,
        AuditLog(store, keys.signing_key()),
        hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
    )
    admin = accounts.create("admin", "Admin", [Role.ADMIN], "admin-secret", by=None, bootstrap=True)
    accounts.create("budi", "Budi", [Role.OFFICER], "budi-secret", by=admin.principal())
    store.close()
    transaction = tmp_path / "polri.an2"
    # a flat grey "face" (no face in it) and a right index finger: one person, one finger
    transaction.write_bytes(
        an2build.transaction([(10, an2build.face_record(1)), (4, an2build.type4(2, 2))])
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("246810-wrong\n"))
    code, out, _ = run(
        capsys, "watchlist", "import", str(transaction), "--source", "POLRI",
        "--as", "budi", "--secret-stdin", "--json",
    )  # fmt: skip
    assert code == 8 and json.loads(out)["error"]["code"] == "security.login_failed"
    monkeypatch.setattr("sys.stdin", io.StringIO("budi-secret\n"))
    code, out, _ = run(
        capsys, "watchlist", "import", str(transaction), "--source", "POLRI",
        "--category", "travel_ban", "--valid-until", "2027-06-30",
        "--as", "budi", "--secret-stdin", "--json",
    )  # fmt: skip
    assert code == 0
    report = json.loads(out)["files"][0]
    assert (report["persons"], report["faces"], report["fingerprints"]) == (1, 0, 1)
    assert report["rejected"] == [
        {"record": "Type-10 record 2", "reason": "no face found in the image"}
    ]
    code, out, _ = run(capsys, "watchlist", "show", report["entry_ids"][0], "--json")
    shown = json.loads(out)
    assert shown["category"] == "travel_ban" and shown["full_name"] == "BUDI SANTOSO"
    assert shown["fingerprint_images"] == 1 and shown["valid_until"].startswith("2027-06-30")
    code, out, _ = run(
        capsys, "watchlist", "edit", report["entry_ids"][0], "--category", "wanted",
        "--reason", "warrant 9/2026", "--document", "B7654321", "--json",
    )  # fmt: skip
    edited = json.loads(out)
    assert code == 0 and edited["category"] == "wanted" and edited["reason"] == "warrant 9/2026"
    assert edited["document_numbers"] == ["B7654321"]
    code, out, _ = run(capsys, "audit", "tail", "--json")
    assert "budi" in out and "watchlist.add" in out
    export, secret = tmp_path / "export.gwx", tmp_path / "passphrase"
    secret.write_text("a long export passphrase\n")
    args = ("--passphrase-file", str(secret), "--json")
    code, out, _ = run(capsys, "watchlist", "export", str(export), *args)
    assert code == 0 and json.loads(out) == {"file": str(export), "entries": 1, "sealed": True}
    assert b"budi" not in export.read_bytes().lower()
    opened = tmp_path / "opened.json"
    code, out, _ = run(capsys, "watchlist", "open-export", str(export), str(opened), *args)
    assert code == 0 and json.loads(out)["entries"] == 1
    assert json.loads(opened.read_text())["format"] == "gerbang-watchlist-v1"
    secret.write_text("the wrong passphrase!\n")
    code, out, _ = run(capsys, "watchlist", "open-export", str(export), str(opened), *args)
    assert code == ExitCode.SECURITY


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    face = tmp_path / "face.png"
    Image.fromarray(np.full((40, 30, 3), 90, np.uint8)).save(face)
    code, _, err = run(capsys, "enroll", "--from-files", "--face", str(face), "--json")
    assert code == 2 and "--mrz lines or as --chip-dump" in err
    code, _, err = run(
        capsys, "enroll", "--from-files", "--face", str(face), "--mrz", "X",
        "--finger", "TOE=x.png",
    )  # fmt: skip
    assert code == 2 and "not a finger position" in err
    code, _, err = run(capsys, "watchlist", "import", str(face))
    assert code == 2 and "--source" in err
    code, out, _ = run(capsys, "enroll", "--from-files", "--face", str(face),
                       "--mrz", "P<IDNX<<Y", "--mrz", "123", "--json")  # fmt: skip
    assert code == 7 and json.loads(out)["error"]["code"] == "document.mrz"

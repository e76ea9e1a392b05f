"""``gerbang enroll --from-files`` with the real face pipeline and the persisted face index."""

from __future__ import annotations

import io
import json
from pathlib import Path

import cv2
import pytest
from argon2 import PasswordHasher

from biometrics.face.imageio import load_image
from enrollment.accounts import Accounts
from kiosk.cli import main
from models.audit import AuditLog
from models.keys import KeyStore
from models.roles import Role
from models.settings import load_settings
from models.store import Store

pytestmark = [pytest.mark.dataset, pytest.mark.integration]

MRZ = [
    "--mrz",
    "P<IDNSIREGAR<<MARIA<ULINA<<<<<<<<<<<<<<<<<<<",
    "--mrz",
    "C7777777<9IDN8803148X3101090<<<<<<<<<<<<<<04",
]
MISSING = ["--missing-finger", "RIGHT_INDEX=bandaged", "--missing-finger", "LEFT_INDEX=bandaged"]


@pytest.fixture(scope="module")
def portraits(gerbang_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A compliant portrait (a press photo with room above the head) and a poor one (240p)."""
    examples = gerbang_data / "faces" / "face_recognition_examples" / "examples"
    rgb = load_image(examples / "obama-1080p.jpg").rgb
    framed = cv2.copyMakeBorder(rgb, 200, 0, 0, 0, cv2.BORDER_REPLICATE)
    good = tmp_path_factory.mktemp("portraits") / "good.png"
    cv2.imwrite(str(good), cv2.cvtColor(framed, cv2.COLOR_RGB2BGR))
    return good, examples / "obama-240p.jpg"


def enroll(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code = main(["enroll", "--from-files", *MRZ, *MISSING, *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_good_poor_and_duplicate_captures(
    portraits: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    good, poor = portraits
    receipt = tmp_path / "receipt.pdf"
    code, first = enroll(capsys, "--face", str(good), "--consent", "--receipt", str(receipt))
    assert code == 0 and first["outcome"] == "enrolled" and first["status"] == "active"
    face = first["face"]
    assert isinstance(face, dict) and face["compliant"] is True and len(face["icao"]) == 15
    assert receipt.read_bytes().startswith(b"%PDF") and receipt.stat().st_mode & 0o077 == 0

    code, refused = enroll(capsys, "--face", str(poor), "--consent")
    assert code == 5 and refused["outcome"] == "refused"
    assert refused["reasons"] == ["icao:eye_distance", "icao:eye_line_height"]
    assert refused["enrollment_id"] is None

    code, again = enroll(capsys, "--face", str(good), "--consent")
    assert code == 0 and again["outcome"] == "held_for_supervisor"
    dedup = again["deduplication"]
    assert isinstance(dedup, dict)
    (candidate,) = dedup["candidates"]
    assert candidate["subject_id"] == first["traveller_id"] and candidate["score"] > 0.99
    held_id = again["enrollment_id"]
    assert isinstance(held_id, str)

    # the supervisor's side: list, show, decide (a supervisor account logs in for the decision)
    settings, _ = load_settings(None)
    keys = KeyStore(settings.key_dir)
    store = Store.open(settings.store_path, keys.store_key())
    accounts = Accounts(
        store,
        AuditLog(store, keys.signing_key()),
        hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
    )
    admin = accounts.create("admin", "Admin", [Role.ADMIN], "admin-secret", by=None, bootstrap=True)
    accounts.create("sari", "Sari", [Role.SUPERVISOR], "sari-secret", by=admin.principal())
    store.close()
    assert main(["dedup", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [h["enrollment_id"] for h in listed["held"]] == [held_id]
    assert main(["dedup", "show", held_id, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [c["subject_id"] for c in shown["candidates"]] == [first["traveller_id"]]
    monkeypatch.setattr("sys.stdin", io.StringIO("sari-secret\n"))
    code = main(
        ["dedup", "decide", held_id, "--same-person", "--note", "enrolled twice",
         "--as", "sari", "--secret-stdin", "--json"]
    )  # fmt: skip
    assert code == 0 and json.loads(capsys.readouterr().out)["status"] == "revoked"

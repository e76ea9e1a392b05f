"""The officer enrollment screen's device buttons (offscreen Qt) on a settings file's virtual
devices: the passport from the document scanner and the emulated chip, the face from the
virtual camera (the live pipeline with the dlib models), a finger from the virtual
fingerprint scanner (FVC2002 prints, the real NFIQ 2 + template engine).

The face analysis after the capture is the scripted fake of the desk tests (the ICAO
analysis itself is tested in tests/unit/enrollment/test_capture.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pytestqt.qtbot import QtBot

from biometrics.face.models import load_models
from devices.virtual.loopback import LoopbackCardReader
from enrollment.accounts import Accounts
from enrollment.counter_devices import CounterDevices
from enrollment.gallery import FaceGallery
from kiosk.officer.app import OfficerApp, build_officer_app
from kiosk.officer.window import OfficerWindow
from kiosk.runtime import trust_store
from models.audit import AuditLog
from models.biometric import FingerPosition
from models.operations import DeviceKind
from models.roles import Role
from models.settings import load_settings
from models.store import Store
from tests.unit.enrollment.fakefaces import FakeFaces
from tests.virtualkiosk import write_settings

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.dataset]


def _settings(folder: Path, prints: Path, slap: bool) -> Path:
    return write_settings(folder, frames=12, fps=30, prints=prints, gate=False, slap=slap)


@pytest.fixture(params=[False])
def desk(
    request: pytest.FixtureRequest,
    qtbot: QtBot,
    store: Store,
    tmp_path: Path,
    gerbang_data: Path,
) -> Iterator[OfficerApp]:
    slap: bool = request.param
    prints = tmp_path / "prints"
    prints.mkdir()
    source = gerbang_data / "fingerprints" / "fvc2002" / "DB1_B" / "images"
    # one print of each of four fingers for a slap scanner, two of one finger otherwise
    chosen = sorted(source.glob("10[1-4]_1.tif")) if slap else sorted(source.glob("101_*.tif"))[:2]
    for image in chosen:
        (prints / image.name).symlink_to(image)
    settings, _ = load_settings(_settings(tmp_path, prints, slap))
    devices = CounterDevices.from_settings(
        settings, tmp_path, lambda: trust_store(settings, tmp_path), load_models
    )
    audit = AuditLog(store, Ed25519PrivateKey.generate())
    accounts = Accounts(
        store, audit, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
    admin = accounts.create("admin", "Admin", [Role.ADMIN], "admin-secret", by=None, bootstrap=True)
    accounts.create("budi", "Budi", [Role.OFFICER], "246810", by=admin.principal())
    window = OfficerWindow()
    qtbot.addWidget(window)
    app = build_officer_app(
        window,
        store,
        audit,
        accounts,
        FakeFaces(),
        FaceGallery.in_memory(store),
        office_id="T",
        kiosk_id="KIOSK-T-01",
        devices=devices,
    )
    window.login.user.setText("budi")
    window.login.secret.setText("246810")
    window.login.login.click()
    window.nav.enrollment.click()
    yield app
    app.stop()


def test_passport_face_and_finger_come_from_the_devices(qtbot: QtBot, desk: OfficerApp) -> None:
    view, ctl = desk.window.enrollment, desk.enrollment
    assert view.read_passport.isEnabled() and view.camera_button.isEnabled()
    assert view.scan_button.isEnabled() and not view.cancel_device.isEnabled()
    with qtbot.waitSignal(ctl.document_read, timeout=60_000) as read:
        view.read_passport.click()
        assert view.cancel_device.isEnabled() and not view.read_passport.isEnabled()
    assert read.args[0] == []  # a sound chip: PA, CA/AA and DG1 pass, a photo
    assert "chip" in view.document.text()
    assert ctl.counter is not None and ctl.counter.out.document is not None
    assert ctl.counter.out.document.chip_pixels is not None
    assert not view.cancel_device.isEnabled() and view.read_passport.isEnabled()

    with qtbot.waitSignal(ctl.face_checked, timeout=60_000) as face:
        view.camera_button.click()
    assert face.args[0] == []
    session_face = ctl.counter.session.face
    assert session_face is not None and session_face.image.encoding == "png"
    assert ctl.counter.out.chip_score is not None  # compared with the chip photo

    with qtbot.waitSignal(ctl.finger_checked, timeout=60_000) as finger:
        view.scan_button.click()
    assert finger.args[0] in ("accepted", "kept_best", "retry")
    rows = ctl.counter.out.fingers
    assert len(rows) == 1 and rows[0]["position"] == "RIGHT_INDEX"
    assert view.fingers.count() == 1


def test_the_stop_button_cancels_a_passport_read(qtbot: QtBot, desk: OfficerApp) -> None:
    view, ctl = desk.window.enrollment, desk.enrollment
    assert ctl.devices is not None
    reader = ctl.devices.devices[DeviceKind.CARD_READER]
    assert isinstance(reader, LoopbackCardReader)
    reader.remove()  # the page is read, then the read waits for a card
    with qtbot.waitSignal(
        ctl.device_status, timeout=30_000, check_params_cb=lambda c: c == "waiting_for_card"
    ):
        view.read_passport.click()
    with qtbot.waitSignal(ctl.device_missed, timeout=10_000) as missed:
        view.cancel_device.click()
    assert missed.args[0] == "cancelled"
    assert ctl.counter is None and view.read_passport.isEnabled()
    assert view.device_status.text()


@pytest.mark.parametrize("desk", [True], indirect=True)
def test_a_slap_scanner_gives_four_segmented_fingers(qtbot: QtBot, desk: OfficerApp) -> None:
    view, ctl = desk.window.enrollment, desk.enrollment
    with qtbot.waitSignal(ctl.document_read, timeout=60_000):
        view.read_passport.click()
    with qtbot.waitSignal(ctl.face_checked, timeout=60_000):
        view.camera_button.click()
    view.position.setCurrentIndex(view.position.findData(int(FingerPosition.PLAIN_RIGHT_FOUR)))
    with qtbot.waitSignal(ctl.slap_checked, timeout=60_000) as slap:
        view.scan_button.click()
    status, results = slap.args
    assert status == "ok"
    four = ["RIGHT_INDEX", "RIGHT_MIDDLE", "RIGHT_RING", "RIGHT_LITTLE"]
    assert set(results) == set(four)  # (a Qt map: sorted by key)
    assert set(results.values()) <= {"accepted", "retry"}
    assert ctl.counter is not None
    assert [r["position"] for r in ctl.counter.out.fingers] == four
    assert view.slap_row.count() == 4  # the segmented fingertips are shown
    view.position.setCurrentIndex(view.position.findData(int(FingerPosition.PLAIN_THUMBS)))
    view.missing_reason.setText("bandaged")
    view.missing_button.click()
    assert "own position" in view.result.text()
    assert not ctl.counter.session.missing

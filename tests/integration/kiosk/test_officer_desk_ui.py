"""Officer enrollment and watchlist screens (offscreen Qt) over the real store, session and index.

The face and finger engines are scripted fakes: these tests are about the
screens and the workflow, the pipelines are tested on their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from argon2 import PasswordHasher
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image
from pytestqt.qtbot import QtBot

from enrollment.accounts import Accounts
from enrollment.gallery import FaceGallery
from kiosk.officer.app import OfficerApp, build_officer_app
from kiosk.officer.window import OfficerWindow
from models.audit import AuditLog
from models.enrollment import EnrollmentStatus
from models.roles import Role
from models.store import Store
from tests.unit.enrollment import an2build
from tests.unit.enrollment.fakefaces import FakeFaces, found
from tests.unit.enrollment.test_fromfiles import FakeFingers

pytestmark = pytest.mark.integration

MRZ = "P<IDNSIREGAR<<MARIA<ULINA<<<<<<<<<<<<<<<<<<<\nC7777777<9IDN8803148X3101090<<<<<<<<<<<<<<04"


class Desk:
    def __init__(self, app: OfficerApp, store: Store, faces: FakeFaces, files: list[Path]) -> None:
        self.app = app
        self.window = app.window
        self.store = store
        self.faces = faces
        self.files = files  # what the file dialogs "choose", in order


@pytest.fixture
def desk(qtbot: QtBot, store: Store, tmp_path: Path) -> Iterator[Desk]:
    audit = AuditLog(store, Ed25519PrivateKey.generate())
    accounts = Accounts(
        store, audit, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
    admin = accounts.create("admin", "Admin", [Role.ADMIN], "admin-secret", by=None, bootstrap=True)
    accounts.create("budi", "Budi", [Role.OFFICER], "246810", by=admin.principal())
    accounts.create("sari", "Sari", [Role.SUPERVISOR], "135790", by=admin.principal())
    faces = FakeFaces()
    files: list[Path] = []
    window = OfficerWindow()
    qtbot.addWidget(window)
    app = build_officer_app(
        window,
        store,
        audit,
        accounts,
        faces,
        FaceGallery.in_memory(store),
        office_id="WAYKANAN",
        kiosk_id="KIOSK-1",
        fingers=FakeFingers([20, 60, 70]),
        choose_file=lambda _title, _save: str(files.pop(0)) if files else None,
        choose_files=lambda _title: [str(files.pop(0))] if files else [],
    )
    photo = tmp_path / "photo.png"
    Image.fromarray(np.full((64, 48, 3), 120, np.uint8)).save(photo)
    window.login.user.setText("budi")
    window.login.secret.setText("246810")
    window.login.login.click()
    yield Desk(app, store, faces, files)
    app.stop()


def _photo(desk: Desk, tmp_path: Path) -> Path:
    return tmp_path / "photo.png"


def _document(desk: Desk) -> None:
    desk.window.nav.enrollment.click()
    assert desk.window.stack.currentWidget() is desk.window.enrollment
    desk.window.enrollment.mrz.setPlainText(MRZ)
    desk.window.enrollment.use_mrz.click()
    assert "SIREGAR" in desk.window.enrollment.document.text()


def _face(qtbot: QtBot, desk: Desk, photo: Path) -> list[str]:
    desk.files.append(photo)
    ctl = desk.app.enrollment
    with qtbot.waitSignal(ctl.face_checked, timeout=10_000) as blocker:
        desk.window.enrollment.face_button.click()
    reasons: list[str] = blocker.args[0]
    return reasons


def _missing_both(desk: Desk) -> None:
    view = desk.window.enrollment
    for index in (1, 6):  # RIGHT_INDEX, LEFT_INDEX in the combo (positions 1-10)
        view.position.setCurrentIndex(index)
        view.missing_reason.setText("bandaged")
        view.missing_button.click()


def _finish(qtbot: QtBot, desk: Desk) -> str:
    view = desk.window.enrollment
    view.consent.setChecked(True)
    with qtbot.waitSignal(desk.app.enrollment.finished, timeout=10_000) as blocker:
        view.finish.click()
    outcome: str = blocker.args[0]
    return outcome


def test_good_capture_enrolls(qtbot: QtBot, desk: Desk, tmp_path: Path) -> None:
    _document(desk)
    assert _face(qtbot, desk, _photo(desk, tmp_path)) == []
    assert desk.window.enrollment.face.pixmap() is not None
    _missing_both(desk)
    assert desk.window.enrollment.fingers.count() == 2
    assert _finish(qtbot, desk) == "enrolled"
    (enrollment,) = list(desk.store.enrollments)
    assert enrollment.status is EnrollmentStatus.ACTIVE and enrollment.officer_id == "budi"
    desk.files.append(tmp_path / "receipt.pdf")
    desk.window.enrollment.receipt.click()
    assert (tmp_path / "receipt.pdf").read_bytes().startswith(b"%PDF")


def test_poor_capture_is_retaken_and_fingers_retried(
    qtbot: QtBot, desk: Desk, tmp_path: Path
) -> None:
    desk.faces.script = [found(1, failed=("eye_distance",), quality=30), found(1)]
    _document(desk)
    assert _face(qtbot, desk, _photo(desk, tmp_path)) == ["icao:eye_distance"]
    view = desk.window.enrollment
    assert any(view.report.item(i).text().startswith("✗") for i in range(view.report.count()))
    assert "eye_distance" in view.face_status.text()
    assert _face(qtbot, desk, _photo(desk, tmp_path)) == []  # the retake is compliant
    view.position.setCurrentIndex(1)  # RIGHT_INDEX
    for expected in ("retry", "accepted"):
        desk.files.append(_photo(desk, tmp_path))
        with qtbot.waitSignal(desk.app.enrollment.finger_checked, timeout=10_000) as blocker:
            view.finger_button.click()
        assert blocker.args == [expected]
    view.position.setCurrentIndex(6)  # LEFT_INDEX
    desk.files.append(_photo(desk, tmp_path))
    with qtbot.waitSignal(desk.app.enrollment.finger_checked, timeout=10_000):
        view.finger_button.click()
    assert [view.fingers.item(i).text()[:2] for i in range(view.fingers.count())] == [
        "✗ ",
        "✓ ",
        "✓ ",
    ]
    assert _finish(qtbot, desk) == "enrolled"


def test_override_needs_the_supervisor_pin(qtbot: QtBot, desk: Desk, tmp_path: Path) -> None:
    desk.faces.script = [found(2, failed=("pitch",), quality=60)]
    _document(desk)
    assert _face(qtbot, desk, _photo(desk, tmp_path)) == ["icao:pitch"]
    view = desk.window.enrollment
    view.override_reason.setText("neck brace after an accident")
    view.supervisor.setText("sari")
    view.supervisor_secret.setText("135790")
    with qtbot.waitSignal(desk.app.enrollment.face_checked) as blocker:
        view.override_button.click()
    assert blocker.args == [[]]
    _missing_both(desk)
    assert _finish(qtbot, desk) == "enrolled"
    (enrollment,) = list(desk.store.enrollments)
    assert enrollment.override_reason == "neck brace after an accident"


def test_duplicate_is_held_and_shown_side_by_side(qtbot: QtBot, desk: Desk, tmp_path: Path) -> None:
    for expected in ("enrolled", "held_for_supervisor"):
        desk.window.enrollment.restart.click()
        _document(desk)
        assert _face(qtbot, desk, _photo(desk, tmp_path)) == []
        _missing_both(desk)
        assert _finish(qtbot, desk) == expected
    view = desk.window.enrollment
    assert view.candidates.count() == 1 and "travellers" in view.candidates.item(0).text()
    assert not view.candidate.pixmap().isNull()
    statuses = sorted(e.status.value for e in desk.store.enrollments)
    assert statuses == ["active", "pending_review"]


def test_watchlist_import_with_progress_expire_and_remove(
    qtbot: QtBot, desk: Desk, tmp_path: Path
) -> None:
    desk.window.nav.watchlist.click()
    view = desk.window.watchlist
    transaction = tmp_path / "polri.an2"
    transaction.write_bytes(an2build.transaction([(10, an2build.face_record(1))]))
    desk.files.append(transaction)
    view.source.setText("POLRI")
    view.category.setCurrentIndex(view.category.findData("wanted"))
    with qtbot.waitSignal(desk.app.watchlist.imported, timeout=10_000):
        view.import_button.click()
    assert view.progress.value() == view.progress.maximum() == 100
    assert view.table.rowCount() == 1 and view.table.item(0, 0).text() == "BUDI SANTOSO"
    assert "1" in view.summary.text()
    view.table.selectRow(0)
    view.expire.click()
    assert view.table.item(0, 4).text() in ("no", "tidak")
    view.reason.setText("warrant withdrawn")
    view.table.selectRow(0)
    view.remove.click()
    assert view.table.rowCount() == 0 and desk.store.watchlist.count() == 0


def test_screens_need_a_login(qtbot: QtBot, desk: Desk) -> None:
    desk.window.nav.logout.click()
    assert desk.window.stack.currentWidget() is desk.window.login
    assert not desk.window.nav.isVisible()
    desk.app.officer.show(desk.window.watchlist)
    assert desk.window.stack.currentWidget() is desk.window.login


def test_officer_screenshots_in_both_languages(qtbot: QtBot, tmp_path: Path) -> None:
    from kiosk.officer.screenshots import render_officer

    written = render_officer(tmp_path)
    assert [p.name for p in written] == [
        f"officer_{screen}_{lang}.png"
        for lang in ("id", "en")
        for screen in ("login", "enrollment", "watchlist", "duplicates")
    ]
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5_000


def _login(window: OfficerWindow, user: str, secret: str) -> None:
    window.nav.logout.click()
    window.login.user.setText(user)
    window.login.secret.setText(secret)
    window.login.login.click()


def test_supervisor_decides_a_held_duplicate(qtbot: QtBot, desk: Desk, tmp_path: Path) -> None:
    for _ in range(2):
        desk.window.enrollment.restart.click()
        _document(desk)
        _face(qtbot, desk, _photo(desk, tmp_path))
        _missing_both(desk)
        _finish(qtbot, desk)
    desk.window.nav.duplicates.click()  # an officer may not decide
    view = desk.window.duplicates
    assert view.held.count() == 0 and "may not" in view.message.text()
    _login(desk.window, "sari", "135790")
    desk.window.nav.duplicates.click()
    assert view.held.count() == 1
    view.held.setCurrentRow(0)
    assert view.candidates.count() == 1
    assert not view.new_face.pixmap().isNull() and not view.old_face.pixmap().isNull()
    assert "SIREGAR" in view.message.text()
    view.note.setPlainText("twins: different passports, checked by hand")
    with qtbot.waitSignal(desk.app.duplicates.decided) as blocker:
        view.different.click()
    assert blocker.args[1] == "active"
    assert view.held.count() == 0
    assert sorted(e.status.value for e in desk.store.enrollments) == ["active", "active"]

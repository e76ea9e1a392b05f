"""Counter enrollment from devices (enrollment.capture) on virtual devices: the document
scanner and the emulated ePassport on a loopback reader, the camera playing portrait
frames, the fingerprint scanner playing FVC2002 prints."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from devices.base import RetryReason
from devices.epassport.certinfo import CertInfo
from devices.epassport.emulator.applet import epassport_applet
from devices.epassport.trust import TrustStore
from devices.virtual.camera import VirtualCamera
from devices.virtual.document import VirtualDocumentScanner
from devices.virtual.fingerprint import VirtualFingerprintScanner
from devices.virtual.loopback import LoopbackCardReader
from devices.virtual.media import SPECIMEN_MRZ, document_page
from enrollment.capture import (
    CapturedFace,
    Missed,
    PassportRead,
    ScannedFinger,
    capture_face,
    read_passport,
    scan_finger,
)
from enrollment.fingers import FingerprintPipeline
from enrollment.session import DocumentSource
from models.biometric import FingerPosition
from models.events import CheckOutcome


def _page(folder: Path, mrz: tuple[str, ...] = SPECIMEN_MRZ) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(folder / "page.png"), document_page(mrz=mrz))
    return folder


def _passport(
    tmp_path: Path, *, mrz: tuple[str, ...] = SPECIMEN_MRZ, faults: tuple[str, ...] = ()
) -> tuple[VirtualDocumentScanner, LoopbackCardReader, TrustStore]:
    chip = epassport_applet(pki_dir=str(tmp_path / "pki"), faults=list(faults))
    trust = TrustStore()
    trust.add_certificate(
        CertInfo.load((tmp_path / "pki" / "UT" / "csca.der").read_bytes()), source="test"
    )
    scanner = VirtualDocumentScanner("document", source=_page(tmp_path / "pages", mrz))
    reader = LoopbackCardReader("reader", applet=chip)
    scanner.open()
    reader.open()
    return scanner, reader, trust


@pytest.mark.slow
def test_the_passport_is_read_from_the_page_and_the_chip(tmp_path: Path) -> None:
    scanner, reader, trust = _passport(tmp_path)
    seen: list[str] = []
    got = read_passport(scanner, reader, trust, timeout_s=30, poll_s=0.5, status=seen.append)
    assert isinstance(got, PassportRead), got
    assert got.loaded.document.document_number == "L898902C3"
    assert got.loaded.source is DocumentSource.CHIP
    assert got.passive_authentication is CheckOutcome.PASSED
    assert got.dg1_matches_mrz is CheckOutcome.PASSED
    assert got.loaded.chip_pixels is not None and got.loaded.chip_photo is not None
    assert got.loaded.chip_photo.encoding in ("jpeg", "jp2")
    assert got.problems == []
    assert seen == ["scanning_page", "waiting_for_card", "reading_chip", "checking_chip"]
    reader.close()
    scanner.close()


@pytest.mark.slow
def test_a_tampered_chip_is_read_but_its_problem_shown(tmp_path: Path) -> None:
    scanner, reader, trust = _passport(tmp_path, faults=("tamper-dg2",))
    got = read_passport(scanner, reader, trust, timeout_s=30, poll_s=0.5)
    assert isinstance(got, PassportRead)
    assert got.passive_authentication is CheckOutcome.FAILED
    assert "passive_authentication:failed" in got.problems
    reader.close()
    scanner.close()


def test_no_card_in_time_is_missed_no_chip(tmp_path: Path) -> None:
    scanner, reader, trust = _passport(tmp_path)
    reader.remove()
    got = read_passport(scanner, reader, trust, timeout_s=2, poll_s=0.25)
    assert got == Missed("no_chip")
    reader.close()
    scanner.close()


def test_a_cancelled_read_stops_before_the_page(tmp_path: Path) -> None:
    scanner, reader, trust = _passport(tmp_path)
    assert read_passport(scanner, reader, trust, cancelled=lambda: True) == Missed("cancelled")
    reader.close()
    scanner.close()


def test_a_wrong_check_digit_is_missed(tmp_path: Path) -> None:
    line2 = SPECIMEN_MRZ[1]
    bad = (SPECIMEN_MRZ[0], line2[:9] + ("7" if line2[9] != "7" else "8") + line2[10:])
    scanner, reader, trust = _passport(tmp_path, mrz=bad)
    got = read_passport(scanner, reader, trust, timeout_s=5, poll_s=0.5)
    assert got == Missed("mrz_check_digits")
    reader.close()
    scanner.close()


@pytest.mark.slow
def test_the_face_is_captured_from_the_camera(tmp_path: Path) -> None:
    from biometrics.face.models import load_models
    from enrollment.faces import DlibFaceEngine
    from kiosk.demo import write_frames  # tests only: enrollment itself never imports kiosk

    write_frames(tmp_path / "frames", count=12)
    camera = VirtualCamera("camera", source=tmp_path / "frames", fps=50)
    camera.open()
    hints: list[str] = []
    got = capture_face(camera, load_models(), timeout_s=30, status=hints.append)
    camera.close()
    assert isinstance(got, CapturedFace), got
    assert got.rgb.shape == (480, 640, 3) and got.quality > 0
    assert got.image.encoding == "png" and (got.image.width, got.image.height) == (640, 480)
    assert hints
    analysis = DlibFaceEngine().analyse(got.rgb)  # the enrollment's face analysis
    assert analysis.found and analysis.report


@pytest.mark.slow
def test_an_empty_counter_gives_no_face(tmp_path: Path) -> None:
    from biometrics.face.models import load_models
    from kiosk.demo import write_empty_frames

    write_empty_frames(tmp_path / "frames")
    camera = VirtualCamera("camera", source=tmp_path / "frames", fps=50)
    camera.open()
    got = capture_face(camera, load_models(), timeout_s=2)
    camera.close()
    assert got == Missed("no_face")


def test_a_cancelled_face_capture(tmp_path: Path) -> None:
    from kiosk.demo import write_empty_frames

    write_empty_frames(tmp_path / "frames")
    camera = VirtualCamera("camera", source=tmp_path / "frames")
    camera.open()
    got = capture_face(camera, object(), cancelled=lambda: True)  # type: ignore[arg-type]
    camera.close()
    assert got == Missed("cancelled")


@pytest.fixture
def prints(gerbang_data: Path, tmp_path: Path) -> Path:
    source = gerbang_data / "fingerprints" / "fvc2002" / "DB1_B" / "images"
    folder = tmp_path / "prints"
    folder.mkdir()
    for image in sorted(source.glob("101_*.tif"))[:2]:
        (folder / image.name).symlink_to(image)
    return folder


@pytest.mark.dataset
def test_a_finger_is_scanned_and_gives_a_template(prints: Path) -> None:
    scanner = VirtualFingerprintScanner("finger", source=prints, ppi=500)
    scanner.open()
    got = scan_finger(scanner, FingerPosition.RIGHT_INDEX, timeout_s=10)
    scanner.close()
    assert isinstance(got, ScannedFinger), got
    assert got.pixels.ndim == 2 and got.ppi == 500 and got.image.encoding == "png"
    capture = FingerprintPipeline().capture(got.position, got.image, got.pixels)
    assert capture.template is not None and capture.quality > 0


@pytest.mark.dataset
def test_the_scanners_retry_reasons_are_shown_until_the_time_runs_out(prints: Path) -> None:
    scanner = VirtualFingerprintScanner("finger", source=prints, script=["retry:centre_finger"])
    scanner.open()
    seen: list[str] = []
    got = scan_finger(
        scanner, FingerPosition.LEFT_INDEX, timeout_s=1.0, poll_s=0.2, status=seen.append
    )
    scanner.close()
    assert got == Missed(RetryReason.CENTRE_FINGER.value)
    assert seen[0] == "place_finger" and "centre_finger" in seen


def test_a_cancelled_finger_scan(tmp_path: Path) -> None:
    folder = tmp_path / "prints"
    folder.mkdir()
    cv2.imwrite(str(folder / "blank.png"), np.full((300, 300), 255, np.uint8))
    scanner = VirtualFingerprintScanner("finger", source=folder)
    scanner.open()
    got = scan_finger(scanner, FingerPosition.LEFT_INDEX, cancelled=lambda: True)
    scanner.close()
    assert got == Missed("cancelled")

"""Counter enrollment with a slap scanner: the virtual scanner's slap mode, segmentation of its
slaps, and each fingertip offered as that finger's capture (at most 3 attempts per finger)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from devices.base import Capability, FingerprintImage
from devices.virtual import media
from devices.virtual.fingerprint import VirtualFingerprintScanner
from enrollment.capture import (
    Missed,
    ScannedFinger,
    ScannedSlap,
    scan_finger,
    scan_slap,
    segment_slap_image,
)
from enrollment.counter import CounterEnrollment
from enrollment.counter_devices import CounterDevices
from enrollment.session import DocumentSource, FaceCapture, FingerCapture
from models.biometric import FingerPosition, ImageData
from models.errors import NotAvailableError
from models.operations import DeviceKind
from models.roles import Principal, Role
from tests import factories

F = FingerPosition
OFFICER = Principal("officer-7", frozenset({Role.OFFICER}))


@pytest.fixture(scope="module")
def fingers_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("slap-fingers")
    for i in range(4):
        cv2.imwrite(str(root / f"p{i}.png"), media.fingerprint(i, 300, 250, 6))
    return root


def test_virtual_slap_scanner_advertises_and_composes(fingers_dir: Path) -> None:
    with VirtualFingerprintScanner("fp", source=fingers_dir) as single:
        assert Capability.SLAP_CAPTURE not in single.capabilities
        got = single.capture(F.PLAIN_RIGHT_FOUR, timeout_s=1.0)
        assert isinstance(got, FingerprintImage) and got.image.shape == (300, 250)
    with VirtualFingerprintScanner("fp", source=fingers_dir, slap=True) as slap:
        assert Capability.SLAP_CAPTURE in slap.capabilities
        four = slap.capture(F.PLAIN_RIGHT_FOUR, timeout_s=1.0)
        thumbs = slap.capture(F.PLAIN_THUMBS, timeout_s=1.0)
        one = slap.capture(F.RIGHT_INDEX, timeout_s=1.0)
    assert isinstance(four, FingerprintImage) and isinstance(thumbs, FingerprintImage)
    assert isinstance(one, FingerprintImage)
    assert four.image.shape[1] > 4 * 250 and thumbs.image.shape[1] > 2 * 250
    assert thumbs.image.shape[1] < 3 * 250
    assert one.image.shape == (300, 250)


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        (F.PLAIN_RIGHT_FOUR, [F.RIGHT_INDEX, F.RIGHT_MIDDLE, F.RIGHT_RING, F.RIGHT_LITTLE]),
        (F.PLAIN_LEFT_FOUR, [F.LEFT_LITTLE, F.LEFT_RING, F.LEFT_MIDDLE, F.LEFT_INDEX]),
        (F.PLAIN_THUMBS, [F.LEFT_THUMB, F.RIGHT_THUMB]),
    ],
)
def test_scan_slap_segments_the_virtual_slap(
    fingers_dir: Path, position: FingerPosition, expected: list[FingerPosition]
) -> None:
    with VirtualFingerprintScanner("fp", source=fingers_dir, slap=True) as scanner:
        codes: list[str] = []
        got = scan_slap(scanner, position, timeout_s=2.0, status=codes.append)
    assert isinstance(got, ScannedSlap), got
    assert got.status == "ok", got.message
    assert [f.position for f in got.fingers] == expected
    assert all(f.ppi == 500 and f.pixels.ndim == 2 for f in got.fingers)
    assert got.image.encoding == "png" and "segmenting_slap" in codes


def test_scan_slap_refuses_a_single_finger_position(fingers_dir: Path) -> None:
    with (
        VirtualFingerprintScanner("fp", source=fingers_dir, slap=True) as scanner,
        pytest.raises(ValueError, match="not a slap position"),
    ):
        scan_slap(scanner, F.RIGHT_INDEX)


def test_scan_slap_passes_a_missed_capture_on(fingers_dir: Path) -> None:
    with VirtualFingerprintScanner("fp", source=fingers_dir, slap=True) as scanner:
        got = scan_slap(scanner, F.PLAIN_LEFT_FOUR, cancelled=lambda: True)
    assert got == Missed("cancelled")


def test_counter_devices_know_a_slap_scanner(fingers_dir: Path) -> None:
    slap = VirtualFingerprintScanner("fp", source=fingers_dir, slap=True)
    single = VirtualFingerprintScanner("fp2", source=fingers_dir)
    with_slap = CounterDevices({DeviceKind.FINGERPRINT: slap}, _unused, _unused)  # type: ignore[arg-type]
    without = CounterDevices({DeviceKind.FINGERPRINT: single}, _unused, _unused)  # type: ignore[arg-type]
    try:
        assert with_slap.slap_capable() and not without.slap_capable()
        got = with_slap.scan_slap(F.PLAIN_THUMBS, lambda: False, lambda _c: None)
        assert isinstance(got, ScannedSlap) and len(got.fingers) == 2
        with pytest.raises(NotAvailableError, match="slaps"):
            without.scan_slap(F.PLAIN_THUMBS, lambda: False, lambda _c: None)
        assert not CounterDevices({}, _unused, _unused).slap_capable()  # type: ignore[arg-type]
    finally:
        with_slap.close()
        without.close()


def _unused() -> object:
    raise AssertionError("the slap flow loads no trust store or face models")


class _Qualities:
    """A finger engine whose quality per position is scripted (a list per position)."""

    def __init__(self, qualities: dict[FingerPosition, list[float]]) -> None:
        self.qualities = {p: list(q) for p, q in qualities.items()}
        self.seen: list[FingerPosition] = []

    def capture(
        self, position: FingerPosition, image: ImageData, pixels: npt.NDArray[np.uint8]
    ) -> FingerCapture:
        self.seen.append(position)
        template = dataclasses.replace(
            factories.fingerprint_template(f"fp-{position.name}-{len(self.seen)}"),
            position=position,
        )
        return FingerCapture(position, image, template, self.qualities[position].pop(0), "nfiq2")


def _counter(engine: _Qualities) -> CounterEnrollment:
    counter = CounterEnrollment(
        None,  # type: ignore[arg-type]  # offer_slap never reaches the store
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        OFFICER,
        fingers=engine,
    )
    session = counter.session
    session.set_document(factories.document("C7777777"), DocumentSource.CHIP)
    session.offer_face(FaceCapture(factories.image("jpeg"), factories.face_template(), 80.0, ()))
    return counter


def _slap(positions: list[FingerPosition], status: str = "ok") -> ScannedSlap:
    pixels = np.full((300, 250), 128, np.uint8)
    fingers = tuple(ScannedFinger(p, factories.image("png"), pixels, 500) for p in positions)
    return ScannedSlap(F.PLAIN_RIGHT_FOUR, factories.image("png"), fingers, status)


def test_offer_slap_retries_only_the_fingers_still_open() -> None:
    four = [F.RIGHT_INDEX, F.RIGHT_MIDDLE, F.RIGHT_RING, F.RIGHT_LITTLE]
    engine = _Qualities(
        {
            F.RIGHT_INDEX: [80],
            F.RIGHT_MIDDLE: [20, 60],
            F.RIGHT_RING: [10, 15, 20],
            F.RIGHT_LITTLE: [70],
        }
    )
    counter = _counter(engine)
    first = counter.offer_slap(_slap(four))
    assert first == {
        "RIGHT_INDEX": "accepted",
        "RIGHT_MIDDLE": "retry",
        "RIGHT_RING": "retry",
        "RIGHT_LITTLE": "accepted",
    }
    counter.mark_missing(F.RIGHT_LITTLE, "bandaged")
    second = counter.offer_slap(_slap(four))
    assert second == {
        "RIGHT_INDEX": "already_accepted",
        "RIGHT_MIDDLE": "accepted",
        "RIGHT_RING": "retry",
        "RIGHT_LITTLE": "missing",
    }
    third = counter.offer_slap(_slap([F.RIGHT_INDEX, F.RIGHT_MIDDLE, F.RIGHT_RING]))
    assert third["RIGHT_RING"] == "kept_best"
    fourth = counter.offer_slap(_slap(four))
    assert fourth["RIGHT_RING"] == "attempts_used"
    assert engine.seen.count(F.RIGHT_RING) == 3  # never more than the 3 attempts
    assert counter.out.to_json()["slaps"][0]["fingers"] == first
    assert F.RIGHT_INDEX in counter.session.fingers


def test_a_slap_with_guessed_positions_is_offered_only_when_the_officer_confirms() -> None:
    engine = _Qualities({F.RIGHT_INDEX: [80], F.RIGHT_MIDDLE: [80]})
    counter = _counter(engine)
    two = [F.RIGHT_INDEX, F.RIGHT_MIDDLE]
    guessed = dataclasses.replace(
        _slap(two, "wrong-count"), missing=(F.RIGHT_RING, F.RIGHT_LITTLE)
    )  # two tips found, the gaps say ring and little are absent: positions are a guess
    results = counter.offer_slap(guessed)
    assert set(results.values()) == {"not_offered"} and engine.seen == []
    assert counter.out.slaps[0]["segmentation"] == "wrong-count"
    counter.mark_missing(F.RIGHT_RING, "amputated")
    assert counter.offer_slap(guessed) == {  # one of the two confirmed is not enough
        "RIGHT_INDEX": "not_offered",
        "RIGHT_MIDDLE": "not_offered",
        "RIGHT_RING": "missing",
        "RIGHT_LITTLE": "not_offered",
    }
    counter.mark_missing(F.RIGHT_LITTLE, "amputated")
    assert counter.offer_slap(guessed) == {
        "RIGHT_INDEX": "accepted",
        "RIGHT_MIDDLE": "accepted",
        "RIGHT_RING": "missing",
        "RIGHT_LITTLE": "missing",
    }
    unplaced = counter.offer_slap(_slap([], "wrong-count"))  # nothing inferred: never offered
    assert unplaced["RIGHT_INDEX"] == "already_accepted"


def test_a_blank_slap_image_gives_no_fingers() -> None:
    slap = segment_slap_image(F.PLAIN_LEFT_FOUR, np.full((600, 1200), 255, np.uint8), 500)
    assert slap.status == "blank" and slap.fingers == ()


def test_scan_finger_still_takes_single_fingers(fingers_dir: Path) -> None:
    with VirtualFingerprintScanner("fp", source=fingers_dir, slap=True) as scanner:
        got = scan_finger(scanner, F.LEFT_INDEX, timeout_s=2.0)
    assert isinstance(got, ScannedFinger) and got.pixels.shape == (300, 250)

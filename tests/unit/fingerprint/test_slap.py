"""Slap segmentation on drawn slaps: ridge-filled fingertips with a lower phalanx below each."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from biometrics.fingerprint.slap import POSITIONS, SlapKind, SlapStatus, segment_slap
from models.biometric import FingerPosition as F
from tests.unit.fingerprint.synthetic import ridges

TIP = (300, 400)  # width, height of a drawn fingertip (px at 500 ppi)
TOPS = (170, 110, 160, 330)  # index/middle high, little finger low (right hand)


def _finger(canvas: np.ndarray, cx: int, top: int, width: int = TIP[0], seed: int = 0) -> None:
    """A fingertip (ellipse of ridges) and, after a 30 px crease, a lower phalanx."""
    height = TIP[1]
    pattern = ridges((canvas.shape[1], canvas.shape[0]), seed=seed)
    tip = np.zeros(canvas.shape, np.uint8)
    cv2.ellipse(tip, (cx, top + height // 2), (width // 2, height // 2), 0, 0, 360, 1, -1)
    lower = np.zeros(canvas.shape, np.uint8)
    y0 = top + height + 30
    cv2.rectangle(lower, (cx - width // 2 + 20, y0), (cx + width // 2 - 20, y0 + 250), 1, -1)
    region = (tip | lower).astype(bool)
    canvas[region] = np.minimum(canvas[region], pattern[region])


def _slap(
    slots: tuple[int, ...] = (0, 1, 2, 3),
    *,
    left: bool = False,
    angle: float = 0.0,
    widths: dict[int, int] | None = None,
    centres: dict[int, int] | None = None,
) -> np.ndarray:
    canvas = np.full((1150, 1800), 255, np.uint8)
    tops = TOPS[::-1] if left else TOPS
    for slot in slots:
        cx = (centres or {}).get(slot, 300 + 400 * slot)
        _finger(canvas, cx, tops[slot], (widths or {}).get(slot, TIP[0]), seed=slot)
    if angle:
        matrix = cv2.getRotationMatrix2D((900, 575), angle, 1.0)
        canvas = cv2.warpAffine(canvas, matrix, (1800, 1150), borderValue=(255,))
    return canvas


@pytest.mark.parametrize(("left", "angle"), [(False, 0.0), (True, 0.0), (False, 12.0)])
def test_four_tips_found_left_to_right_with_their_positions(left: bool, angle: float) -> None:
    kind = SlapKind.LEFT_FOUR if left else SlapKind.RIGHT_FOUR
    result = segment_slap(_slap(left=left, angle=angle), kind, extract=False)
    assert result.status is SlapStatus.OK, result.message
    assert [f.position for f in result.fingers] == list(POSITIONS[kind])
    assert result.missing == ()
    centres = [f.box.center for f in result.fingers]
    assert [c[0] for c in centres] == sorted(c[0] for c in centres)
    tops = TOPS[::-1] if left else TOPS
    for finger, top in zip(result.fingers, tops, strict=True):
        width, height = finger.box.size
        # the tip only: the lower phalanx below the crease is cut off
        assert 0.8 * TIP[1] < height < 1.25 * TIP[1], (finger.position, height)
        assert 0.8 * TIP[0] < width < 1.3 * TIP[0]
        if not angle:
            assert abs(finger.box.center[1] - (top + TIP[1] / 2)) < 40
    # ccw-turned image (positive cv2 angle) turns the fingertips to the left
    assert abs(result.hand_angle_deg + angle) < 3.0


def test_positions_follow_the_convention() -> None:
    assert POSITIONS[SlapKind.RIGHT_FOUR] == (
        F.RIGHT_INDEX,
        F.RIGHT_MIDDLE,
        F.RIGHT_RING,
        F.RIGHT_LITTLE,
    )
    assert POSITIONS[SlapKind.LEFT_FOUR] == (
        F.LEFT_LITTLE,
        F.LEFT_RING,
        F.LEFT_MIDDLE,
        F.LEFT_INDEX,
    )
    assert POSITIONS[SlapKind.TWO_THUMBS] == (F.LEFT_THUMB, F.RIGHT_THUMB)


def test_a_missing_middle_finger_is_named_by_the_gap() -> None:
    result = segment_slap(_slap((0, 1, 3)), SlapKind.RIGHT_FOUR, extract=False)
    assert result.status is SlapStatus.WRONG_COUNT
    assert [f.position for f in result.fingers] == [F.RIGHT_INDEX, F.RIGHT_MIDDLE, F.RIGHT_LITTLE]
    assert result.missing == (F.RIGHT_RING,)
    assert "3 of 4" in result.message


def test_a_missing_end_finger_leaves_the_positions_open() -> None:
    result = segment_slap(_slap((0, 1, 2)), SlapKind.RIGHT_FOUR, extract=False)
    assert result.status is SlapStatus.WRONG_COUNT
    assert len(result.fingers) == 3
    assert all(f.position is None for f in result.fingers)
    assert result.missing == ()
    assert "cannot be told" in result.message


def test_touching_fingers_are_reported() -> None:
    image = _slap((0, 1, 3), widths={1: 720}, centres={1: 850})
    result = segment_slap(image, SlapKind.RIGHT_FOUR, extract=False)
    assert result.status is SlapStatus.TOUCHING
    assert result.fingers == () and "touch" in result.message


@pytest.mark.parametrize(
    ("image", "ppi", "status"),
    [
        (np.full((1000, 1600), 255, np.uint8), 500.0, SlapStatus.BLANK),
        (np.zeros((1000, 1600), np.uint8), 500.0, SlapStatus.BLANK),
        (np.full((1000, 1600, 3), 128, np.uint8), 500.0, SlapStatus.BAD_IMAGE),
        (np.full((1000, 1600), 1.0, np.float32), 500.0, SlapStatus.BAD_IMAGE),
        (np.full((100, 1600), 128, np.uint8), 500.0, SlapStatus.BAD_IMAGE),
        (np.full((1000, 4200), 128, np.uint8), 500.0, SlapStatus.BAD_IMAGE),
        (_slap(), 100.0, SlapStatus.BAD_IMAGE),
    ],
)
def test_bad_input_gives_a_typed_result(image: np.ndarray, ppi: float, status: SlapStatus) -> None:
    result = segment_slap(image, SlapKind.LEFT_FOUR, ppi)
    assert result.status is status
    assert result.fingers == () and result.missing == result.expected and result.message


def test_flat_noise_has_no_fingertip() -> None:
    noise = np.random.default_rng(0).integers(100, 140, (1000, 1600)).astype(np.uint8)
    noise = cv2.GaussianBlur(noise, (0, 0), 6)
    result = segment_slap(noise, SlapKind.RIGHT_FOUR, extract=False)
    assert result.status in (SlapStatus.BLANK, SlapStatus.WRONG_COUNT)
    assert result.fingers == ()


@pytest.mark.parametrize("blur", [0, 1, 2])
def test_noise_is_not_a_finger(blur: int) -> None:
    noise = np.random.default_rng(blur).integers(0, 256, (1000, 500)).astype(np.uint8)
    if blur:
        noise = cv2.GaussianBlur(noise, (0, 0), blur)
    # band energy like ridges everywhere, but no ridge flow: the coherence test drops it
    result = segment_slap(noise, SlapKind.RIGHT_THUMB, extract=False)
    assert result.status is SlapStatus.WRONG_COUNT and result.fingers == ()


def test_a_1000_ppi_slap_gives_boxes_in_source_pixels() -> None:
    image = _slap()
    big = cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    at500 = segment_slap(image, SlapKind.RIGHT_FOUR, extract=False)
    at1000 = segment_slap(big, SlapKind.RIGHT_FOUR, 1000.0, extract=False)
    assert at1000.status is SlapStatus.OK
    for small, large in zip(at500.fingers, at1000.fingers, strict=True):
        assert abs(large.box.center[0] - 2 * small.box.center[0]) < 20
        assert abs(large.crop.shape[0] - small.crop.shape[0]) < 20  # crops are at 500 ppi


def test_single_thumb_and_extraction() -> None:
    canvas = np.full((1000, 450), 255, np.uint8)
    _finger(canvas, 225, 120, width=320)
    result = segment_slap(canvas, SlapKind.LEFT_THUMB)
    assert result.status is SlapStatus.OK
    (thumb,) = result.fingers
    assert thumb.position is F.LEFT_THUMB
    assert thumb.extraction is not None and thumb.quality is not None
    assert thumb.to_json()["quality_method"] == thumb.quality.method
    assert result.to_json()["found"] == 1

"""The live loop on the shared video, best frames to a 1:1 decision, liveness cues on data."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from biometrics.face import bench
from biometrics.face.capture import BestFrames, embed_selected
from biometrics.face.detect import detect_faces, landmarks68
from biometrics.face.geometry import head_pose
from biometrics.face.imageio import RGBImage, to_gray
from biometrics.face.liveness.parallax import parallax_cue
from biometrics.face.liveness.spectrum import spectral_peak, spectrum_cue
from biometrics.face.models import FaceModels
from biometrics.face.params import VERIFICATION
from biometrics.face.pipeline import BoxSource, FrameResult, LivePipeline
from biometrics.face.quality import Guidance
from biometrics.face.reference import process_still
from biometrics.face.trace import MemoryTraceSink, Stage
from biometrics.face.verify import Decision, verify

from .conftest import rgb

pytestmark = pytest.mark.dataset


@pytest.fixture(scope="module")
def clip(faces: Path) -> list[RGBImage]:
    video = faces / "face_recognition_examples" / "examples" / "short_hamilton_clip.mp4"
    return bench.video_frames(video, 180)


@pytest.fixture(scope="module")
def live_run(
    face_models: FaceModels, clip: list[RGBImage]
) -> tuple[LivePipeline, list[FrameResult], MemoryTraceSink]:
    sink = MemoryTraceSink()
    pipeline = LivePipeline(face_models, sink=sink)
    return pipeline, [pipeline.process(f, k / 30.0) for k, f in enumerate(clip)], sink


def test_live_loop_detects_tracks_and_guides(
    live_run: tuple[LivePipeline, list[FrameResult], MemoryTraceSink], clip: list[RGBImage]
) -> None:
    pipeline, results, sink = live_run
    with_face = [r for r in results if r.has_face]
    sources = {s: sum(r.source is s for r in results) for s in BoxSource}
    assert len(with_face) >= 60
    assert sources[BoxSource.TRACKER] > sources[BoxSource.DETECTOR] > 0
    assert all(r.quality.guidance == (Guidance.NO_FACE,) for r in results if not r.has_face)
    # The singer is a medium shot: small face, moving.
    assert any(Guidance.COME_CLOSER in r.quality.guidance for r in with_face)
    assert all(Stage.LANDMARKS in r.timings and Stage.QUALITY in r.timings for r in with_face)
    assert sink.of(Stage.DETECT) and sink.of(Stage.TRACK) and sink.of(Stage.QUALITY)
    pipeline.reset()
    assert pipeline.process(clip[-1], 99.0).source is not BoxSource.TRACKER


def test_presented_face_to_match_decision(face_models: FaceModels, faces: Path) -> None:
    examples = faces / "face_recognition_examples"
    frames = bench.kiosk_frames(face_models, rgb(examples / "examples" / "obama-720p.jpg"), 40)
    reference = process_still(face_models, rgb(examples / "tests" / "test_images" / "obama3.jpg"))
    stranger = process_still(
        face_models, rgb(examples / "examples" / "knn_examples" / "train" / "biden" / "biden2.jpg")
    )
    pipeline, best = LivePipeline(face_models), BestFrames()
    for k, frame in enumerate(frames):
        best.offer(pipeline.process(frame, k / 30.0), frame)
        if best.ready:
            break
    assert best.ready and k < 30  # a good face is captured within a second of frames
    capture = embed_selected(face_models, best.selected())
    assert capture is not None and len(capture.embeddings) == 2
    same = verify(capture, reference)
    assert same.decision is Decision.MATCH, same
    assert same.score is not None and same.score >= VERIFICATION.accept
    other = verify(capture, stranger)
    assert other.decision is Decision.NO_MATCH
    assert other.score is not None and other.score < VERIFICATION.reject


def test_real_head_motion_in_the_video_has_parallax(
    live_run: tuple[LivePipeline, list[FrameResult], MemoryTraceSink],
) -> None:
    frames, yaws = [], []
    for result in live_run[1]:
        # The singer stands right of the pianist; keep one person.
        if result.points is not None and result.box is not None and result.box.left > 120:
            frames.append(result.points)
            yaws.append(head_pose(result.points, (640, 480)).yaw)
    cue = parallax_cue(frames, yaws)
    assert cue.three_dimensional is True, cue


def _tilted_picture(image: RGBImage, yaw: float) -> RGBImage:
    """The photo as a flat card turned by ``yaw`` degrees about its vertical axis."""
    h, w = image.shape[:2]
    k = np.array([[w, 0, w / 2], [0, w, h / 2], [0, 0, 1.0]])
    y = math.radians(yaw)
    rotation = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    homography = k @ rotation @ np.linalg.inv(k)
    centre = homography @ np.array([w / 2, h / 2, 1.0])
    shift = np.array(
        [[1, 0, w / 2 - centre[0] / centre[2]], [0, 1, h / 2 - centre[1] / centre[2]], [0, 0, 1]]
    )
    warped = cv2.warpPerspective(image, shift @ homography, (w, h), borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(warped, dtype=np.uint8)


def test_a_turned_photo_shows_no_parallax(face_models: FaceModels, faces: Path) -> None:
    photo = rgb(faces / "face_recognition_examples" / "examples" / "obama-480p.jpg")
    frames, yaws = [], []
    for yaw in range(-45, 46, 5):
        gray = to_gray(_tilted_picture(photo, yaw))
        found = detect_faces(face_models, gray, upsample=1)
        if found:
            points = landmarks68(face_models, gray, found[0].box)
            frames.append(points)
            yaws.append(head_pose(points, (gray.shape[1], gray.shape[0])).yaw)
    assert len(frames) >= 10
    cue = parallax_cue(frames, yaws)
    assert cue.three_dimensional is not True, cue  # flat, or too little apparent turn


def _through_a_screen(image: RGBImage) -> RGBImage:
    """The picture shown on an RGB-stripe display and photographed from close by."""
    big = cv2.resize(image, None, fx=3, fy=3, interpolation=cv2.INTER_NEAREST).astype(float)
    mask = np.zeros_like(big)
    for channel in range(3):
        mask[:, channel::3, channel] = 1.0
    mask[::3] *= 0.4
    h, w = big.shape[:2]
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), 3.0, 1.0)
    shown = cv2.warpAffine(big * mask * 2.2, turn, (w, h), borderMode=cv2.BORDER_REFLECT)
    captured = cv2.resize(
        shown, None, fx=0.7 / 3 * 3, fy=0.7 / 3 * 3, interpolation=cv2.INTER_LINEAR
    )
    return np.clip(captured, 0, 255).astype(np.uint8)


def test_spectral_cue_on_the_antispoof_samples(face_models: FaceModels, faces: Path) -> None:
    folder = faces / "silent_face_antispoof_samples" / "images"
    peaks = {}
    for name in ("image_T1.jpg", "image_F1.jpg", "image_F2.jpg"):
        image = rgb(folder / name)  # stored rotated; the EXIF orientation puts it upright
        found = process_still(face_models, image, embed=False)
        assert found.face is not None, name
        peaks[name] = spectral_peak(to_gray(image), found.face.box)
    assert all(p is not None for p in peaks.values())
    real = rgb(folder / "image_T1.jpg")
    face = process_still(face_models, real, embed=False).face
    assert face is not None
    assert spectrum_cue(to_gray(real), face.box).suspicious is False  # bona fide passes
    screen = _through_a_screen(real)
    on_screen = process_still(face_models, screen, embed=False).face
    assert on_screen is not None
    assert spectrum_cue(to_gray(screen), on_screen.box).suspicious is True

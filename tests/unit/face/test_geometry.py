"""Landmark geometry: head pose, eye and mouth openness, on the synthetic mean face."""

from __future__ import annotations

import numpy as np
import pytest

from biometrics.face.geometry import (
    MIRROR_68,
    eye_aspect_ratio,
    eye_centres,
    face_box_from_points,
    head_pose,
    inter_eye_distance,
    mouth_opening,
    project_mean_face,
)


@pytest.mark.parametrize(
    ("yaw", "pitch", "roll"),
    [(0, 0, 0), (20, 0, 0), (-30, 0, 0), (0, 15, 0), (0, -15, 5), (25, 10, -8), (-12, -8, 12)],
)
def test_head_pose_recovers_the_rendered_pose(yaw: float, pitch: float, roll: float) -> None:
    points = project_mean_face(yaw=yaw, pitch=pitch, roll=roll)
    pose = head_pose(points, (640, 480))
    assert pose.yaw == pytest.approx(yaw, abs=1.0)
    assert pose.pitch == pytest.approx(pitch, abs=1.0)
    assert pose.roll == pytest.approx(roll, abs=1.5)


def test_yaw_sign_follows_the_nose() -> None:
    """Turning to one's own left moves the nose to image-right (camera not mirrored)."""
    points = project_mean_face(yaw=20)
    left_eye, right_eye = eye_centres(points)
    assert points[30][0] > (left_eye[0] + right_eye[0]) / 2


def test_pose_is_robust_to_landmark_noise() -> None:
    rng = np.random.default_rng(1)
    points = project_mean_face(yaw=15, eye_distance_px=90) + rng.normal(0, 1.0, (68, 2))
    assert head_pose(points, (640, 480)).yaw == pytest.approx(15, abs=4)


def test_inter_eye_distance_matches_the_rendering() -> None:
    assert inter_eye_distance(project_mean_face(eye_distance_px=100)) == pytest.approx(93, abs=3)


def test_eye_aspect_ratio_drops_when_the_lids_close() -> None:
    points = project_mean_face()
    open_left, open_right = eye_aspect_ratio(points)
    closed = points.copy()
    for upper, lower in ((37, 41), (38, 40), (43, 47), (44, 46)):
        closed[upper] = closed[lower] = (points[upper] + points[lower]) / 2
    assert min(open_left, open_right) > 0.2
    assert max(eye_aspect_ratio(closed)) < 0.02


def test_mouth_opening() -> None:
    points = project_mean_face()
    assert mouth_opening(points) < 0.2
    opened = points.copy()
    opened[66] = opened[66] + [0, 30]
    assert mouth_opening(opened) > 0.5


def test_mirror_map_is_an_involution() -> None:
    assert sorted(MIRROR_68) == list(range(68))
    assert all(MIRROR_68[MIRROR_68[i]] == i for i in range(68))


def test_five_point_eye_centres() -> None:
    five = np.array([[150, 100], [130, 100], [90, 100], [110, 100], [120, 130]], float)
    left, right = eye_centres(five)
    assert left[0] == 100 and right[0] == 140


def test_face_box_is_square_around_the_points() -> None:
    left, top, right, bottom = face_box_from_points(project_mean_face())
    assert right - left == pytest.approx(bottom - top)

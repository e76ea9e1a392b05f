"""Pure geometry on 68-point landmarks (iBUG 300-W layout, as dlib's predictor gives).

Conventions, for a camera that faces the traveller and is NOT mirrored:

- points are ``(x, y)`` in image pixels, ``x`` to the right, ``y`` down;
- "image-left" is the side with the smaller ``x`` (the traveller's right side);
- ``yaw`` > 0: the traveller turns to their own left (the nose moves to image-right);
- ``pitch`` > 0: chin up (looking up);
- ``roll`` > 0: the head tilts clockwise in the image (the image-right eye is lower).

Angles are in degrees. Head pose comes from ``cv2.solvePnP`` against
:data:`MEAN_FACE_3D`, a generic face whose frontal 2D layout is the mean of
dlib landmarks on frontal LFW faces (symmetrised, in inter-eye units) and whose
depths are rough anthropometric values in the same units (63 mm per unit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

Points = npt.NDArray[np.float64]  # N x 2

JAW = slice(0, 17)
BROWS = slice(17, 27)
NOSE_BRIDGE = slice(27, 31)
NOSE_TIP = 30
CHIN = 8
EYE_IMAGE_LEFT = slice(36, 42)  # the traveller's right eye
EYE_IMAGE_RIGHT = slice(42, 48)
MOUTH_INNER = slice(60, 68)
# Index permutation that maps a landmark set onto its mirror image.
MIRROR_68 = (
    *range(16, -1, -1),
    *range(26, 16, -1),
    27, 28, 29, 30, 35, 34, 33, 32, 31,
    45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40,
    54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55,
    64, 63, 62, 61, 60, 67, 66, 65,
)  # fmt: skip

# Frontal mean shape, eye centres at (-0.5, 0) and (0.5, 0), y down.
_MEAN_2D = (
    (-1.146, 0.019), (-1.128, 0.323), (-1.094, 0.625), (-1.046, 0.923), (-0.949, 1.205),
    (-0.783, 1.454), (-0.562, 1.658), (-0.301, 1.822), (0.0, 1.87), (0.301, 1.822),
    (0.562, 1.658), (0.783, 1.454), (0.949, 1.205), (1.046, 0.923), (1.094, 0.625),
    (1.128, 0.323), (1.146, 0.019), (-0.921, -0.184), (-0.785, -0.317), (-0.587, -0.361),
    (-0.382, -0.335), (-0.191, -0.258), (0.191, -0.258), (0.382, -0.335), (0.587, -0.361),
    (0.785, -0.317), (0.921, -0.184), (0.0, -0.038), (0.0, 0.153), (0.0, 0.346),
    (0.0, 0.544), (-0.225, 0.67), (-0.118, 0.711), (0.0, 0.747), (0.118, 0.711),
    (0.225, 0.67), (-0.689, 0.005), (-0.569, -0.064), (-0.427, -0.061), (-0.303, 0.025),
    (-0.437, 0.048), (-0.575, 0.047), (0.303, 0.025), (0.427, -0.061), (0.569, -0.064),
    (0.689, 0.005), (0.575, 0.047), (0.437, 0.048), (-0.45, 1.058), (-0.29, 0.971),
    (-0.127, 0.936), (0.0, 0.962), (0.127, 0.936), (0.29, 0.971), (0.45, 1.058),
    (0.298, 1.216), (0.136, 1.283), (0.0, 1.296), (-0.136, 1.283), (-0.298, 1.216),
    (-0.379, 1.062), (-0.128, 1.028), (0.0, 1.04), (0.128, 1.028), (0.379, 1.062),
    (0.13, 1.14), (0.0, 1.154), (-0.13, 1.14),
)  # fmt: skip
# Depth (towards the camera, inter-eye units) per point: nose tip 0, ears about -1.5.
_DEPTH = (
    -1.45, -1.35, -1.2, -1.05, -0.9, -0.7, -0.5, -0.38, -0.33, -0.38, -0.5, -0.7, -0.9, -1.05,
    -1.2, -1.35, -1.45,
    -0.6, -0.45, -0.35, -0.3, -0.28, -0.28, -0.3, -0.35, -0.45, -0.6,
    -0.3, -0.2, -0.1, 0.0, -0.25, -0.18, -0.16, -0.18, -0.25,
    -0.55, -0.45, -0.42, -0.4, -0.42, -0.45, -0.4, -0.42, -0.45, -0.55, -0.45, -0.42,
    -0.45, -0.3, -0.24, -0.22, -0.24, -0.3, -0.45, -0.33, -0.27, -0.26, -0.27, -0.33,
    -0.4, -0.3, -0.28, -0.3, -0.4, -0.3, -0.28, -0.3,
)  # fmt: skip
MEAN_FACE_3D: npt.NDArray[np.float64] = np.column_stack(
    [np.array(_MEAN_2D, dtype=np.float64), np.array(_DEPTH, dtype=np.float64)]
)
# Points used for pose: rigid-ish inner face (no jaw silhouette, no inner lips).
_POSE_POINTS = (27, 28, 29, 30, 31, 33, 35, 36, 39, 42, 45, 8, 48, 54, 17, 21, 22, 26)


@dataclass(frozen=True, slots=True)
class HeadPose:
    yaw: float
    pitch: float
    roll: float


def eye_centres(points: Points) -> tuple[Points, Points]:
    """(image-left eye centre, image-right eye centre) from 68 or 5 landmarks."""
    if len(points) == 5:  # dlib 5-point: 0-1 image-right eye, 2-3 image-left eye, 4 nose
        return points[2:4].mean(axis=0), points[0:2].mean(axis=0)
    return points[EYE_IMAGE_LEFT].mean(axis=0), points[EYE_IMAGE_RIGHT].mean(axis=0)


def inter_eye_distance(points: Points) -> float:
    """Distance between the eye centres in pixels (ISO/IEC 19794-5 "IED")."""
    left, right = eye_centres(points)
    return float(np.linalg.norm(right - left))


def eye_aspect_ratio(points: Points) -> tuple[float, float]:
    """Eye aspect ratio (Soukupová & Čech 2016) of (image-left, image-right) eye; ~0.3 open."""
    return _ear(points[EYE_IMAGE_LEFT]), _ear(points[EYE_IMAGE_RIGHT])


def _ear(eye: Points) -> float:
    width = float(np.linalg.norm(eye[0] - eye[3]))
    if width <= 1e-6:
        return 0.0
    height = float(np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4]))
    return height / (2.0 * width)


def mouth_opening(points: Points) -> float:
    """Inner-lip opening divided by the inner mouth width (0 closed, ~0.5 wide open)."""
    inner = points[MOUTH_INNER]
    width = float(np.linalg.norm(inner[0] - inner[4]))
    if width <= 1e-6:
        return 0.0
    return float(np.linalg.norm(inner[2] - inner[6])) / width


def roll_degrees(points: Points) -> float:
    left, right = eye_centres(points)
    return math.degrees(math.atan2(right[1] - left[1], right[0] - left[0]))


def head_pose(points: Points, image_size: tuple[int, int]) -> HeadPose:
    """Yaw, pitch and roll in degrees from 68 landmarks (see the module's conventions).

    ``image_size`` is ``(width, height)``; the focal length is taken as the image
    width (about 53° horizontal field of view), the principal point as the centre.
    """
    width, height = image_size
    camera = np.array(
        [[width, 0.0, width / 2.0], [0.0, width, height / 2.0], [0.0, 0.0, 1.0]],
        dtype=np.float64,
    )
    # Model frame: x right, y down, z into the scene (so that camera and model agree).
    model = MEAN_FACE_3D[list(_POSE_POINTS)] * np.array([1.0, 1.0, -1.0])
    image = np.ascontiguousarray(points[list(_POSE_POINTS)], dtype=np.float64)
    ok, rvec, _tvec = cv2.solvePnP(model, image, camera, np.zeros(4), flags=cv2.SOLVEPNP_EPNP)
    if ok:
        ok, rvec, _tvec = cv2.solvePnP(
            model, image, camera, np.zeros(4), rvec, _tvec, True, cv2.SOLVEPNP_ITERATIVE
        )
    if not ok:
        return HeadPose(yaw=0.0, pitch=0.0, roll=roll_degrees(points))
    rotation, _ = cv2.Rodrigues(rvec)
    return _euler(np.asarray(rotation, dtype=np.float64), roll_degrees(points))


def _euler(rotation: npt.NDArray[np.float64], roll: float) -> HeadPose:
    # Face's forward axis (towards the camera, -z in the model frame) in camera coordinates.
    forward = rotation @ np.array([0.0, 0.0, -1.0])
    yaw = math.degrees(math.atan2(forward[0], -forward[2]))
    pitch = math.degrees(math.atan2(-forward[1], math.hypot(forward[0], forward[2])))
    return HeadPose(yaw=yaw, pitch=pitch, roll=roll)


def project_mean_face(
    *,
    yaw: float = 0.0,
    pitch: float = 0.0,
    roll: float = 0.0,
    centre: tuple[float, float] = (320.0, 240.0),
    eye_distance_px: float = 100.0,
    image_width: int = 640,
) -> Points:
    """Landmarks of :data:`MEAN_FACE_3D` seen in a given pose: synthetic input for tests.

    The face is placed so that its inter-eye distance is about ``eye_distance_px``
    when frontal, with a pinhole camera of focal length ``image_width``.
    """
    focal = float(image_width)
    distance = focal / eye_distance_px  # in face units
    model = MEAN_FACE_3D * np.array([1.0, 1.0, -1.0])
    rotation = _rotation(yaw=yaw, pitch=pitch, roll=roll)
    rotated = model @ rotation.T + np.array([0.0, 0.0, distance])
    cx, cy = centre
    return np.column_stack(
        [cx + focal * rotated[:, 0] / rotated[:, 2], cy + focal * rotated[:, 1] / rotated[:, 2]]
    )


def _rotation(*, yaw: float, pitch: float, roll: float) -> npt.NDArray[np.float64]:
    y, p, r = (math.radians(v) for v in (yaw, pitch, roll))
    # roll about the face axis first, then pitch, then yaw: yaw and pitch alone set the gaze
    about_y = np.array([[math.cos(y), 0, -math.sin(y)], [0, 1, 0], [math.sin(y), 0, math.cos(y)]])
    about_x = np.array([[1, 0, 0], [0, math.cos(p), math.sin(p)], [0, -math.sin(p), math.cos(p)]])
    about_z = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return np.asarray(about_y @ about_x @ about_z, dtype=np.float64)


def face_box_from_points(points: Points) -> tuple[float, float, float, float]:
    """A square box (left, top, right, bottom) around the landmarks, like dlib's detector's."""
    left, top = points.min(axis=0)
    right, bottom = points.max(axis=0)
    size = max(right - left, bottom - top)
    cx, cy = (left + right) / 2.0, (top + bottom) / 2.0
    return (cx - size / 2.0, cy - size / 2.0, cx + size / 2.0, cy + size / 2.0)

"""Raw measurements of one face in one image, from its 68 landmarks and pixels.

Nothing here judges: :mod:`biometrics.face.quality` turns these values into
0-100 component scores and guidance codes.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from biometrics.face.geometry import (
    CHIN,
    MIRROR_68,
    Points,
    eye_aspect_ratio,
    eye_centres,
    head_pose,
    inter_eye_distance,
    mouth_opening,
)

GrayImage = npt.NDArray[np.uint8]
NORMALISED_IED = 64.0  # the face is resampled to this eye distance for pixel measures
_FACE_OUTLINE = (*range(17), 26, 25, 24, 23, 22, 21, 20, 19, 18, 17)
_CHEEK_IMAGE_LEFT = (1, 2, 3, 4, 48, 31, 39, 40, 41, 36)
_CHEEK_IMAGE_RIGHT = tuple(MIRROR_68[i] for i in _CHEEK_IMAGE_LEFT)


@dataclass(frozen=True, slots=True)
class FaceMeasures:
    """Measured values; see the quality ramps in :class:`~biometrics.face.params.QualityParams`."""

    ied: float  # inter-eye distance, px
    yaw: float
    pitch: float
    roll: float
    blur: float  # Crete et al. 2007 no-reference blur, 0 sharp .. 1 flat
    exposure: float  # mean grey of the inner face, 0-255
    clipped: float  # fraction of inner-face pixels at 0-5 or 250-255
    contrast: float  # 5th-95th percentile spread of the inner face
    uniformity: float  # darker cheek mean / brighter cheek mean (1 = even light)
    brighter_side: int  # -1 image-left cheek brighter, 1 image-right, 0 even
    eye_openness: float  # smaller eye aspect ratio of the two eyes
    mouth_opening: float
    centre_offset: tuple[float, float]  # eye midpoint - frame centre, fractions of width/height
    eyes_from_top: float  # eye line height as a fraction of the image height
    head_width: float  # face width at the ears / image width (estimate)
    head_length: float  # crown-to-chin / image height (estimate: twice eyes-to-chin)
    glasses: float  # edge density on the nose bridge (eyeglass bridge and rims)


def measure_face(gray: GrayImage, points: Points) -> FaceMeasures:
    """All measures of the face with landmarks ``points`` in the grey image ``gray``."""
    height, width = gray.shape
    left_eye, right_eye = eye_centres(points)
    mid = (left_eye + right_eye) / 2.0
    ied = inter_eye_distance(points)
    pose = head_pose(points, (width, height))
    norm, norm_points = _normalised_face(gray, points, ied)
    inner = _mask(norm.shape, norm_points, _FACE_OUTLINE)
    pixels = norm[inner]
    if pixels.size == 0:  # the face is entirely outside the frame
        pixels = np.zeros(1, dtype=np.uint8)
    left = _region_mean(norm, norm_points, _CHEEK_IMAGE_LEFT)
    right = _region_mean(norm, norm_points, _CHEEK_IMAGE_RIGHT)
    brighter = max(left, right)
    uniformity = min(left, right) / brighter if brighter > 0 else 0.0
    side = 0 if uniformity > 0.95 else (-1 if left > right else 1)
    p5, p95 = np.percentile(pixels, [5, 95])
    chin_to_eyes = float(points[CHIN][1] - mid[1])
    return FaceMeasures(
        ied=ied,
        yaw=pose.yaw,
        pitch=pose.pitch,
        roll=pose.roll,
        blur=crete_blur(_inner_crop(norm, norm_points)),
        exposure=float(pixels.mean()),
        clipped=float(np.mean((pixels <= 5) | (pixels >= 250))),
        contrast=float(p95 - p5),
        uniformity=float(uniformity),
        brighter_side=side,
        eye_openness=min(eye_aspect_ratio(points)),
        mouth_opening=mouth_opening(points),
        centre_offset=(float(mid[0] / width - 0.5), float(mid[1] / height - 0.5)),
        eyes_from_top=float(mid[1] / height),
        head_width=float(np.linalg.norm(points[16] - points[0]) / width),
        head_length=float(2.0 * chin_to_eyes / height),
        glasses=_bridge_edges(norm, norm_points),
    )


def crete_blur(gray: GrayImage) -> float:
    """No-reference blur (Crete, Dolmiere, Ladret, Nicolas 2007): 0 sharp, 1 completely flat.

    The image is blurred again with a 9-tap box filter; a sharp image loses much
    of its neighbour-to-neighbour variation, an already blurred one almost none.
    """
    if gray.shape[0] < 3 or gray.shape[1] < 3:
        return 1.0
    image = gray.astype(np.float64)
    scores = []
    for axis, kernel in ((0, (1, 9)), (1, (9, 1))):
        reblurred = cv2.blur(image, kernel[::-1] if axis == 0 else kernel)
        d_image = np.abs(np.diff(image, axis=axis))
        d_blur = np.abs(np.diff(reblurred, axis=axis))
        total = float(d_image.sum())
        if total <= 0:
            return 1.0
        kept = float(np.maximum(0.0, d_image - d_blur).sum())
        scores.append((total - kept) / total)
    return max(scores)


def _normalised_face(gray: GrayImage, points: Points, ied: float) -> tuple[GrayImage, Points]:
    """The face region resampled so that the eye distance is NORMALISED_IED px."""
    factor = NORMALISED_IED / max(ied, 1.0)
    left, top = points.min(axis=0) - 0.3 * ied
    right, bottom = points.max(axis=0) + 0.3 * ied
    x0, y0 = max(int(left), 0), max(int(top), 0)
    x1, y1 = min(int(right) + 1, gray.shape[1]), min(int(bottom) + 1, gray.shape[0])
    if x1 - x0 < 2 or y1 - y0 < 2:
        return np.zeros((2, 2), dtype=np.uint8), (points - [x0, y0]) * factor
    crop = gray[y0:y1, x0:x1]
    size = (max(2, round((x1 - x0) * factor)), max(2, round((y1 - y0) * factor)))
    method = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    resized = np.asarray(cv2.resize(crop, size, interpolation=method), dtype=np.uint8)
    return resized, (points - [x0, y0]) * factor


def _mask(
    shape: tuple[int, ...], points: Points, indices: tuple[int, ...]
) -> npt.NDArray[np.bool_]:
    mask = np.zeros(shape[:2], dtype=np.uint8)
    polygon = np.round(points[list(indices)]).astype(np.int32)
    cv2.fillPoly(mask, [polygon], 1)
    return mask.astype(bool)


def _region_mean(gray: GrayImage, points: Points, indices: tuple[int, ...]) -> float:
    values = gray[_mask(gray.shape, points, indices)]
    return float(values.mean()) if values.size else 0.0


def _inner_crop(gray: GrayImage, points: Points) -> GrayImage:
    """Brows to mouth, outer eye corners across: texture without hair or background."""
    x0, x1 = int(points[36][0]), int(points[45][0]) + 1
    y0, y1 = int(points[19:25, 1].min()), int(points[57][1]) + 1
    x0, y0 = max(x0, 0), max(y0, 0)
    crop = gray[y0:y1, x0:x1]
    return crop if crop.size else np.zeros((2, 2), dtype=np.uint8)


def _bridge_edges(gray: GrayImage, points: Points) -> float:
    """Share of strong horizontal edges between the eyes, above the nose (eyeglass bridge)."""
    x0, x1 = int(points[39][0]), int(points[42][0]) + 1
    y0 = int(min(points[21][1], points[22][1]))
    y1 = int(points[29][1]) + 1
    x0, y0 = max(x0, 0), max(y0, 0)
    region = gray[y0:y1, x0:x1].astype(np.float64)
    if region.shape[0] < 3 or region.shape[1] < 3:
        return 0.0
    vertical_gradient = np.abs(cv2.Sobel(region, cv2.CV_64F, 0, 1, ksize=3))
    return float(np.mean(vertical_gradient > 60.0))

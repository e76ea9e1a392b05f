"""Face detection (dlib's frontal HOG detector) and 68/5-point landmarks.

The detector runs on grey images (about twice as fast as on RGB, same
detections) and, in the live loop, on a downscaled frame; boxes are always
returned in the coordinates of the image the caller passed.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import dlib
import numpy as np
import numpy.typing as npt

from biometrics.face.geometry import Points
from biometrics.face.models import FaceModels

GrayImage = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned box in pixels (floats; ``right``/``bottom`` exclusive)."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def area(self) -> float:
        return max(self.width, 0.0) * max(self.height, 0.0)

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.left + self.right) / 2.0, (self.top + self.bottom) / 2.0)

    def scaled(self, factor: float) -> Box:
        return Box(self.left * factor, self.top * factor, self.right * factor, self.bottom * factor)

    def shifted(self, dx: float, dy: float) -> Box:
        return Box(self.left + dx, self.top + dy, self.right + dx, self.bottom + dy)

    def iou(self, other: Box) -> float:
        inter = Box(
            max(self.left, other.left),
            max(self.top, other.top),
            min(self.right, other.right),
            min(self.bottom, other.bottom),
        )
        if inter.width <= 0 or inter.height <= 0:
            return 0.0
        union = self.area + other.area - inter.area
        return inter.area / union if union > 0 else 0.0

    def to_dlib(self) -> dlib.rectangle:
        return dlib.rectangle(
            round(self.left), round(self.top), round(self.right) - 1, round(self.bottom) - 1
        )

    @classmethod
    def from_dlib(cls, rect: dlib.rectangle) -> Box:
        return cls(
            float(rect.left()), float(rect.top()), float(rect.right() + 1), float(rect.bottom() + 1)
        )


@dataclass(frozen=True, slots=True)
class Detection:
    box: Box
    score: float  # the HOG SVM's margin: > 0 is a detection at dlib's default threshold


def detect_faces(
    models: FaceModels,
    gray: GrayImage,
    *,
    scale: float = 1.0,
    upsample: int = 0,
    threshold: float = 0.0,
) -> list[Detection]:
    """Faces in ``gray``, largest first; the detector sees the image resized by ``scale``.

    ``upsample`` doubles the image that many times inside dlib (finds faces
    down to ~40 px per doubling instead of ~80 px); ``threshold`` shifts the
    SVM's decision threshold (negative finds more, with more false positives).
    """
    work = gray
    if scale != 1.0:
        size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
        method = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        work = np.asarray(cv2.resize(gray, size, interpolation=method), dtype=np.uint8)
    rects, scores, _kinds = models.detector.run(work, upsample, threshold)
    found = [
        Detection(box=Box.from_dlib(rect).scaled(1.0 / scale), score=float(score))
        for rect, score in zip(rects, scores, strict=True)
    ]
    return sorted(found, key=lambda d: d.box.area, reverse=True)


def landmarks68(models: FaceModels, image: npt.NDArray[np.uint8], box: Box) -> Points:
    """The 68 landmarks of the face in ``box`` (grey or RGB image, same result)."""
    return _shape_points(models.landmarks68(image, box.to_dlib()))


def landmarks5(models: FaceModels, image: npt.NDArray[np.uint8], box: Box) -> Points:
    return _shape_points(models.landmarks5(image, box.to_dlib()))


def _shape_points(shape: dlib.full_object_detection) -> Points:
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)


def to_shape(points: Points, box: Box) -> dlib.full_object_detection:
    """Landmarks back into dlib's type (what ``get_face_chip`` wants)."""
    parts = dlib.points([dlib.point(round(x), round(y)) for x, y in points])
    return dlib.full_object_detection(box.to_dlib(), parts)

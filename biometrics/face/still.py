"""Finding the face in a still image: DG2 portraits, enrolment photos, dataset images.

A ladder of detector settings (see :class:`~biometrics.face.params.StillDetectionParams`),
stopping at the first that finds a face; the largest face wins, and the number
of faces found is reported so that quality can flag "more than one face".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np

from biometrics.face.detect import Box, Detection, detect_faces, landmarks68
from biometrics.face.geometry import Points
from biometrics.face.imageio import RGBImage, to_gray
from biometrics.face.models import FaceModels
from biometrics.face.params import STILL_DETECTION, StillDetectionParams


class DetectionRung(StrEnum):
    PADDED = "padded"
    EQUALISED = "equalised"
    LOW_THRESHOLD = "low_threshold"


@dataclass(frozen=True, slots=True)
class StillFace:
    """The chosen face of a still: its box, 68 landmarks and how it was found."""

    box: Box
    points: Points
    detection_score: float
    rung: DetectionRung
    faces_found: int


def find_face(
    models: FaceModels, rgb: RGBImage, params: StillDetectionParams = STILL_DETECTION
) -> StillFace | None:
    """The largest face in ``rgb`` with its landmarks, or ``None`` when there is none.

    ``None`` here is an outcome (no face in the picture), not a failure: callers
    turn it into a result such as ``Reason.NO_FACE_IN_REFERENCE``.
    """
    gray = to_gray(rgb)
    height, width = gray.shape
    longest = max(height, width)
    scale = min(1.0, params.detect_max_side / longest)
    small = gray
    if scale < 1.0:
        size = (round(width * scale), round(height * scale))
        small = np.asarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    pad = round(params.pad_fraction * max(small.shape))
    padded = np.asarray(
        cv2.copyMakeBorder(small, pad, pad, pad, pad, cv2.BORDER_REPLICATE), dtype=np.uint8
    )
    side = max(small.shape)
    upsample = (
        2
        if side < params.upsample_twice_below_side
        else 1
        if side < params.upsample_below_side
        else 0
    )
    found = detect_faces(models, padded, upsample=upsample)
    rung = DetectionRung.PADDED
    if not found:
        clahe = cv2.createCLAHE(clipLimit=params.clahe_clip, tileGridSize=(8, 8))
        equalised = np.asarray(clahe.apply(padded), dtype=np.uint8)
        found = detect_faces(models, equalised, upsample=upsample)
        rung = DetectionRung.EQUALISED
    if not found:
        candidates = detect_faces(
            models, padded, upsample=upsample, threshold=params.fallback_threshold
        )
        found = sorted(candidates, key=lambda d: d.score, reverse=True)[:1]
        rung = DetectionRung.LOW_THRESHOLD
    if not found:
        return None
    chosen: Detection = found[0]
    box = chosen.box.shifted(-pad, -pad).scaled(1.0 / scale)
    return StillFace(
        box=box,
        points=landmarks68(models, gray, box),
        detection_score=chosen.score,
        rung=rung,
        faces_found=len(found),
    )

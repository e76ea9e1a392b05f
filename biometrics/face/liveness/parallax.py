"""Passive cue against flat artefacts: motion parallax between landmarks during a head turn.

Every point of a flat picture (a print, a phone or tablet showing a still)
moves between two views by one homography, however the picture is tilted.
When a real head turns, the nose tip and the cheek line lie at different
depths and move differently: no single homography maps one view onto the
other. The cue is the RMS residual of the best homography between two views
whose yaw differs enough, divided by the inter-eye distance, as the median
over the pairs of frames of the head turn.

What it does not stop: a video of a real head turning (replayed on a screen,
the depicted head has true parallax), a 3D mask, a strongly curved print. The
spectral cue and the random challenge order address part of that; see
docs/face.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from biometrics.face.geometry import Points, inter_eye_distance
from biometrics.face.params import LIVENESS, LivenessParams

# Brows, nose and eyes: points on features that do not slide with the view (the jaw
# silhouette does) and do not move when the traveller talks (the mouth does).
_RIGID = tuple(range(17, 48))


@dataclass(frozen=True, slots=True)
class ParallaxResult:
    residual: float | None  # median RMS homography residual / IED; None: not measurable
    yaw_change: float  # the largest yaw difference between two frames
    three_dimensional: bool | None  # None when the turn was too small to tell


def planarity_residual(a: Points, b: Points) -> float:
    """RMS distance (in IED units of ``a``) left after the best homography from ``a`` to ``b``."""
    src = np.ascontiguousarray(a[list(_RIGID)], dtype=np.float64)
    dst = np.ascontiguousarray(b[list(_RIGID)], dtype=np.float64)
    homography, _mask = cv2.findHomography(src, dst, 0)
    mapped = cv2.perspectiveTransform(src.reshape(-1, 1, 2), homography).reshape(-1, 2)
    rms = float(np.sqrt(np.mean(np.sum((mapped - dst) ** 2, axis=1))))
    return rms / max(inter_eye_distance(a), 1.0)


def parallax_cue(
    frames: Sequence[Points], yaws: Sequence[float], params: LivenessParams = LIVENESS
) -> ParallaxResult:
    """Median residual over the frame pairs of a turn whose yaw differs enough.

    A single pair is at the mercy of landmark noise (about 0.02 IED on a flat
    photo warped through 80° of tilt, docs/face.md); the median over all pairs
    of a session is not.
    """
    if len(frames) != len(yaws):
        raise ValueError("one yaw per frame")
    step = max(1, len(frames) // params.parallax_max_frames)
    kept = list(range(0, len(frames), step))
    residuals = []
    largest = 0.0
    for i, a in enumerate(kept):
        for b in kept[i + 1 :]:
            change = abs(yaws[a] - yaws[b])
            largest = max(largest, change)
            if change >= params.parallax_min_yaw_change:
                residuals.append(planarity_residual(frames[a], frames[b]))
    if not residuals:
        return ParallaxResult(None, largest, None)
    residual = float(np.median(residuals))
    return ParallaxResult(residual, largest, residual >= params.parallax_min_residual)

"""Sample quality: NFIQ 2 when it runs, else our own clearly-labelled fallback.

NFIQ 2 (through nbis-py, inside the mindtct call, see :mod:`.nbisx`) is the
standard score 0-100. It refuses small or ridge-less images; the fallback then
scores the segmented print from three measurable cues (see
:class:`~biometrics.fingerprint.params.QualityParams`): ridge-flow coherence
of the gradient structure tensor per block, grey-level contrast and print
area. The result always says which method produced it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from biometrics.fingerprint.image import GrayImage
from biometrics.fingerprint.params import QUALITY, QualityParams
from biometrics.fingerprint.segment import Segmentation

NFIQ2 = "nfiq2"
FALLBACK = "fallback-coherence-contrast-area"


@dataclass(frozen=True, slots=True)
class Quality:
    score: int  # 0-100, higher is better
    method: str  # NFIQ2 or FALLBACK
    nfiq2_error: str | None = None  # why NFIQ 2 did not give the score
    coherence: float | None = None  # fallback components, 0..1
    contrast: float | None = None
    area: float | None = None

    @property
    def is_fallback(self) -> bool:
        return self.method != NFIQ2


def fallback_quality(
    pixels: GrayImage,
    segmentation: Segmentation,
    *,
    nfiq2_error: str | None = None,
    params: QualityParams = QUALITY,
) -> Quality:
    """Our quality of a 500 ppi print, 0-100; 0 when no print area was found."""
    area = segmentation.area_fraction
    if area == 0.0:
        return Quality(0, FALLBACK, nfiq2_error, 0.0, 0.0, 0.0)
    image = pixels.astype(np.float32)
    gx = cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3)
    size = (params.block, params.block)
    gxx = cv2.boxFilter(gx * gx, -1, size)
    gyy = cv2.boxFilter(gy * gy, -1, size)
    gxy = cv2.boxFilter(gx * gy, -1, size)
    with np.errstate(invalid="ignore", divide="ignore"):
        coherence_map = np.sqrt((gxx - gyy) ** 2 + 4 * gxy**2) / (gxx + gyy)
    inside = segmentation.mask & np.isfinite(coherence_map)
    coherence = float(np.clip(coherence_map[inside].mean(), 0, 1)) if inside.any() else 0.0
    stds = segmentation.block_std
    block_mask = segmentation.mask[:: segmentation.block, :: segmentation.block][
        : stds.shape[0], : stds.shape[1]
    ]
    contrast_raw = float(stds[block_mask].mean()) if block_mask.any() else 0.0
    contrast = min(contrast_raw / params.contrast_full, 1.0)
    area_score = min(area / params.area_full, 1.0)
    score = (
        100.0
        * coherence**params.coherence_weight
        * contrast**params.contrast_weight
        * area_score**params.area_weight
    )
    return Quality(
        round(score),
        FALLBACK,
        nfiq2_error,
        round(coherence, 4),
        round(contrast, 4),
        round(area_score, 4),
    )

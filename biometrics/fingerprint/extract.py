"""Extraction pipeline: print image -> segmentation -> mindtct (+ NFIQ 2) -> template -> MCC.

Minutiae outside the segmented print (sensor border artefacts) and below
:attr:`ExtractionParams.keep_reliability` are dropped; at most
``max_minutiae`` of the most reliable are kept. Quality never blocks the
minutiae: when NFIQ 2 fails, the fallback quality is computed and labelled.
A print with fewer than ``min_minutiae`` minutiae still gives a template,
flagged ``too_few_minutiae`` (a result for the caller to act on).
"""

from __future__ import annotations

from dataclasses import dataclass

from scipy import ndimage

from biometrics.fingerprint import mcc
from biometrics.fingerprint.image import PrintImage, encode_png
from biometrics.fingerprint.nbisx import MindtctOutput, Nbis
from biometrics.fingerprint.params import CYLINDER, EXTRACTION, CylinderParams, ExtractionParams
from biometrics.fingerprint.quality import NFIQ2, Quality, fallback_quality
from biometrics.fingerprint.segment import Segmentation, segment
from biometrics.fingerprint.template import MinutiaeTemplate


@dataclass(frozen=True, slots=True)
class Extraction:
    template: MinutiaeTemplate  # encoded (cylinders computed)
    quality: Quality
    segmentation: Segmentation
    mindtct: MindtctOutput  # raw output, including the nbis handle for bozorth3
    too_few_minutiae: bool


def extract(
    image: PrintImage,
    nbis: Nbis,
    *,
    nfiq2: bool = True,
    params: ExtractionParams = EXTRACTION,
    cylinder: CylinderParams = CYLINDER,
) -> Extraction:
    """Template and quality of one 500 ppi print.

    ``nfiq2=False`` skips NFIQ 2 (about 0.4 s) and scores quality with the
    fallback; the evaluation does this, it does not use quality.
    """
    pixels = image.pixels
    segmentation = segment(pixels)
    raw = nbis.mindtct(encode_png(pixels), nfiq2=nfiq2)
    if raw.nfiq2 is not None:
        quality = Quality(raw.nfiq2, NFIQ2)
    else:
        quality = fallback_quality(pixels, segmentation, nfiq2_error=raw.nfiq2_error)
    mask = segmentation.mask
    if params.mask_margin:
        mask = ndimage.binary_dilation(mask, iterations=params.mask_margin)
    height, width = mask.shape
    rows = [
        (m.x, m.y, m.angle, 1 if m.ending else 2, m.reliability)
        for m in raw.minutiae
        if m.reliability >= params.keep_reliability
        and 0 <= m.x < width
        and 0 <= m.y < height
        and mask[m.y, m.x]
    ]
    rows.sort(key=lambda row: -row[4])
    rows = rows[: params.max_minutiae]
    template = MinutiaeTemplate.from_lists(
        width, height, rows, quality=quality.score, quality_method=quality.method
    )
    encoded = mcc.encode(template, cylinder)
    return Extraction(
        template=encoded,
        quality=quality,
        segmentation=segmentation,
        mindtct=raw,
        too_few_minutiae=template.count < params.min_minutiae,
    )

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

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from biometrics.fingerprint import flow, mcc
from biometrics.fingerprint.enhance import enhance
from biometrics.fingerprint.errors import FingerprintError
from biometrics.fingerprint.flow import RidgeFlow
from biometrics.fingerprint.image import GrayImage, PrintImage, encode_png
from biometrics.fingerprint.nbisx import MindtctOutput, Nbis, RawMinutia
from biometrics.fingerprint.params import (
    CYLINDER,
    ENHANCEMENT,
    EXTRACTION,
    FLOW,
    CylinderParams,
    EnhancementParams,
    ExtractionParams,
    FlowParams,
)
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
    # the second set of ``gerbang_dual`` (:func:`enhanced_set`), when asked for and
    # usable: None when not asked, when the raw set has too few minutiae, when the
    # enhancement fails or its set has too few minutiae (the raw set then stands alone)
    enhanced: MinutiaeTemplate | None = None
    flow: RidgeFlow | None = None  # the print's ridge flow, given with ``enhanced``


@dataclass(frozen=True, slots=True)
class EnhancedSet:
    """What the enhanced print gives ``gerbang_dual``: its minutiae and the ridge flow."""

    template: MinutiaeTemplate
    flow: RidgeFlow


def extract(
    image: PrintImage,
    nbis: Nbis,
    *,
    nfiq2: bool = True,
    enhanced: bool = False,
    params: ExtractionParams = EXTRACTION,
    cylinder: CylinderParams = CYLINDER,
) -> Extraction:
    """Template and quality of one 500 ppi print.

    ``nfiq2=False`` skips NFIQ 2 (about 0.4 s) and scores quality with the
    fallback; the evaluation does this, it does not use quality.
    ``enhanced=True`` adds the second minutiae set (``Extraction.enhanced``; 0.25–0.6 s
    more per print).
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
    encoded = _template(raw.minutiae, mask, quality, params, cylinder)
    too_few = encoded.count < params.min_minutiae
    second: MinutiaeTemplate | None = None
    ridge_flow: RidgeFlow | None = None
    if enhanced and not too_few:
        try:
            found = enhanced_set(pixels, segmentation, nbis, quality, params=params)
        except FingerprintError:
            found = None  # the raw set stands alone
        if found is not None and usable_enhanced(found.template, params) is not None:
            second, ridge_flow = found.template, found.flow
    return Extraction(
        template=encoded,
        quality=quality,
        segmentation=segmentation,
        mindtct=raw,
        too_few_minutiae=too_few,
        enhanced=second,
        flow=ridge_flow,
    )


def usable_enhanced(
    template: MinutiaeTemplate | None, params: ExtractionParams = EXTRACTION
) -> MinutiaeTemplate | None:
    """The enhanced set when ``gerbang_dual`` may use it (at least ``min_minutiae``), else
    None: the raw set then stands alone (extraction, stored records and the eval alike)."""
    if template is None or template.count < params.min_minutiae:
        return None
    return template


def enhanced_set(
    pixels: GrayImage,
    segmentation: Segmentation,
    nbis: Nbis,
    quality: Quality,
    *,
    params: ExtractionParams = EXTRACTION,
    enhancement: EnhancementParams = ENHANCEMENT,
    cylinder: CylinderParams = CYLINDER,
    flow_params: FlowParams = FLOW,
) -> EnhancedSet:
    """Second template of the same print, mindtct on the Gabor-enhanced image
    (``enhance``), and the print's ridge flow (:mod:`flow`) from the same enhancement.

    The enhanced image is flat white outside the print area, so mindtct finds
    ridge "endings" along that border; minutiae closer than
    ``params.enhanced_border`` pixels to it are dropped.
    """
    enhanced = enhance(pixels, segmentation.mask, enhancement)
    raw = nbis.mindtct(encode_png(enhanced.pixels), nfiq2=False)
    inside = ndimage.distance_transform_edt(np.pad(enhanced.area, 1))[1:-1, 1:-1]
    template = _template(raw.minutiae, inside >= params.enhanced_border, quality, params, cylinder)
    ridge_flow = flow.from_field(
        enhanced.orientation, enhanced.coherence, enhanced.area, flow_params
    )
    return EnhancedSet(template, ridge_flow)


def _template(
    minutiae: tuple[RawMinutia, ...],
    mask: npt.NDArray[np.bool_],
    quality: Quality,
    params: ExtractionParams,
    cylinder: CylinderParams,
) -> MinutiaeTemplate:
    """The encoded template of the most reliable minutiae inside ``mask``."""
    height, width = mask.shape
    rows = [
        (m.x, m.y, m.angle, 1 if m.ending else 2, m.reliability)
        for m in minutiae
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
    return mcc.encode(template, cylinder)

"""The fingerprint facade: a handful of typed functions over the pipeline modules.

    extraction = extract_fingerprint(Path("probe.tif"), ppi=500)   # template + quality
    score = compare(extraction.template, reference_template)     # 0..1, higher = more alike
    decision = decide(score)                                     # through VERIFICATION
    fused = decide_fused([score_left, score_right])              # two index fingers

Nothing is loaded at import; the NBIS extractors are made on first use (one
per process, see :func:`default_nbis`). Templates travel as ISO/IEC 19794-2
records (:func:`to_iso`, :func:`from_iso`); cylinders are recomputed on import.
"""

from __future__ import annotations

import functools
from pathlib import Path

from biometrics.fingerprint import iso, match, mcc
from biometrics.fingerprint.dual import FingerSets
from biometrics.fingerprint.extract import Extraction, extract, usable_enhanced
from biometrics.fingerprint.flow import RidgeFlow
from biometrics.fingerprint.image import PrintImage, load_print
from biometrics.fingerprint.nbisx import Nbis
from biometrics.fingerprint.params import EXTRACTION, FUSION, VERIFICATION
from biometrics.fingerprint.quality import Quality
from biometrics.fingerprint.template import MinutiaeTemplate
from biometrics.fingerprint.verify import Decision, FusedResult, decide, decide_fused


@functools.cache
def default_nbis() -> Nbis:
    return Nbis(EXTRACTION.min_reliability)


def extract_fingerprint(
    source: bytes | Path | PrintImage,
    *,
    ppi: float | None = None,
    nfiq2: bool = True,
    enhanced: bool = False,
) -> Extraction:
    """Template (with cylinders), quality and segmentation of one print image;
    ``enhanced=True`` adds the second minutiae set of ``gerbang_dual`` (:mod:`dual`)."""
    image = source if isinstance(source, PrintImage) else load_print(source, ppi=ppi)
    return extract(image, default_nbis(), nfiq2=nfiq2, enhanced=enhanced)


def assess_quality(source: bytes | Path | PrintImage, *, ppi: float | None = None) -> Quality:
    """NFIQ 2 (or the labelled fallback) of one print image."""
    return extract_fingerprint(source, ppi=ppi).quality


def compare(probe: MinutiaeTemplate, reference: MinutiaeTemplate) -> float:
    """Our matcher's similarity (0..1); templates without cylinders are encoded first."""
    return match.compare(_encoded(probe), _encoded(reference))


def to_iso(
    template: MinutiaeTemplate,
    *,
    position: int = 0,
    enhanced: MinutiaeTemplate | None = None,
    flow: RidgeFlow | None = None,
) -> bytes:
    """ISO 19794-2:2005 record; ``enhanced`` (and ``flow``, with it) go into a marked
    second view (:mod:`iso`)."""
    return iso.dump(template, position=position, enhanced=enhanced, flow=flow)


def from_iso(data: bytes) -> MinutiaeTemplate:
    """An ISO 19794-2:2005 record's first view, encoded for :func:`compare`."""
    return mcc.encode(iso.parse(data).template)


def finger_from_iso(data: bytes) -> FingerSets:
    """Both minutiae sets of a record we wrote (the second only when marked, and only with
    at least ``EXTRACTION.min_minutiae``, as extraction keeps it), encoded, and the ridge
    flow stored with the second."""
    record = iso.parse(data)
    second = usable_enhanced(record.enhanced)
    if second is None:
        return FingerSets(mcc.encode(record.template))
    return FingerSets(mcc.encode(record.template), mcc.encode(second), record.flow)


def _encoded(template: MinutiaeTemplate) -> MinutiaeTemplate:
    return template if template.cylinders is not None else mcc.encode(template)


__all__ = [
    "FUSION",
    "VERIFICATION",
    "Decision",
    "Extraction",
    "FingerSets",
    "FusedResult",
    "MinutiaeTemplate",
    "Quality",
    "assess_quality",
    "compare",
    "decide",
    "decide_fused",
    "default_nbis",
    "extract_fingerprint",
    "finger_from_iso",
    "from_iso",
    "to_iso",
]

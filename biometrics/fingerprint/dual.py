"""Two minutiae sets of one print, one score: mindtct on the raw and on the enhanced image.

mindtct on the raw print and mindtct on its Gabor-enhanced image
(``extract.enhanced_template``) miss and invent different minutiae; the MCC
scores of the two template pairs are averaged (sum-rule score fusion). On the
FVC2002 B sets the average beats either score alone on all four sets
(docs/fingerprint.md, "Enhancement"). Uses only :mod:`match`'s public functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from biometrics.fingerprint import match
from biometrics.fingerprint.template import MinutiaeTemplate


@dataclass(frozen=True, slots=True)
class DualTemplate:
    raw: MinutiaeTemplate  # mindtct on the raw print (``extract.extract``)
    enhanced: MinutiaeTemplate  # mindtct on the enhanced print (``extract.enhanced_template``)


def compare(a: DualTemplate, b: DualTemplate) -> float:
    """Mean of the raw-raw and enhanced-enhanced MCC scores (0..1)."""
    return 0.5 * (match.compare(a.raw, b.raw) + match.compare(a.enhanced, b.enhanced))


def compare_many(
    probe: DualTemplate, references: Sequence[DualTemplate]
) -> npt.NDArray[np.float64]:
    """``compare`` of the probe against each reference, batched per minutiae set."""
    if not references:
        return np.zeros(0)
    raw = match.compare_many(probe.raw, match.Gallery([r.raw for r in references]))
    enhanced = match.compare_many(probe.enhanced, match.Gallery([r.enhanced for r in references]))
    return 0.5 * (np.asarray(raw, np.float64) + np.asarray(enhanced, np.float64))

"""Stored fingerprint templates (``models.FingerprintTemplate``) to and from our matcher.

Templates are stored as ISO/IEC 19794-2:2005 records (``FORMAT``): any other
system can read them, and :func:`comparable` turns one back into a
:class:`MinutiaeTemplate` with cylinders for :func:`api.compare`. Templates in
other formats (e.g. ANSI/NIST Type-9 minutiae kept as imported) are not
comparable: :func:`comparable` returns None for them and callers say so.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import numpy as np
import numpy.typing as npt

from biometrics.fingerprint import api
from biometrics.fingerprint.errors import FingerprintError
from biometrics.fingerprint.extract import Extraction
from biometrics.fingerprint.image import from_array
from biometrics.fingerprint.template import MinutiaeTemplate
from models.biometric import FingerPosition, FingerprintTemplate, SampleSource

FORMAT = "iso19794-2:2005"
DEFAULT_PPI = 500.0  # scanners that do not say (FBI Appendix F sensors are 500 ppi)


def extract_pixels(gray: npt.NDArray[np.uint8], *, ppi: float = DEFAULT_PPI) -> Extraction:
    """Extraction (template, quality) of a scanner's 8-bit grey image."""
    return api.extract_fingerprint(from_array(np.ascontiguousarray(gray), ppi=ppi))


def stored(
    extraction: Extraction,
    position: FingerPosition,
    *,
    subject_id: str | None,
    created_at: datetime,
    source: SampleSource,
    template_id: str | None = None,
) -> FingerprintTemplate:
    template = extraction.template
    return FingerprintTemplate(
        template_id=template_id or str(uuid.uuid4()),
        subject_id=subject_id,
        position=position,
        format=FORMAT,
        data=api.to_iso(template, position=int(position)),
        minutiae_count=len(template.x),
        created_at=created_at,
        source=source,
        quality=float(extraction.quality.score),
    )


def comparable(record: FingerprintTemplate) -> MinutiaeTemplate | None:
    """Our matcher's template of a stored record; None when its format is not ours
    or the record does not parse."""
    if record.format != FORMAT:
        return None
    try:
        return api.from_iso(record.data)
    except FingerprintError:
        return None

"""Stored fingerprint templates (``models.FingerprintTemplate``) to and from our matcher.

Templates are stored as ISO/IEC 19794-2:2005 records (``FORMAT``): any other
system can read them, and :func:`comparable` turns one back into a
:class:`MinutiaeTemplate` with cylinders for :func:`api.compare`. Minutiae
imported from partner agencies (ANSI/NIST Type-9, INCITS 378, ISO records) are
converted (:mod:`ansi9`, :mod:`incits378`) and stored in the same format by
:func:`stored_template`. A Type-9 record kept as imported (``TYPE9_FORMAT``,
its fields as JSON: what imports before the converter stored, and records that
convert to fewer than ``EXTRACTION.min_minutiae`` minutiae) is converted when
compared; when that gives too few minutiae or fails, :func:`comparable` returns
None and callers say so.

A record stored from a capture with its enhanced set (``extract_pixels(...,
enhanced=True)``) holds that set as a marked second view with the print's
ridge flow (:mod:`iso`);
:func:`finger_sets` reads both, :func:`comparable` the first (raw) set only,
which is what the 1:N galleries compare.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import numpy as np
import numpy.typing as npt

from biometrics.fingerprint import ansi9, api, mcc
from biometrics.fingerprint.dual import FingerSets
from biometrics.fingerprint.errors import FingerprintError
from biometrics.fingerprint.extract import Extraction
from biometrics.fingerprint.image import from_array
from biometrics.fingerprint.params import EXTRACTION
from biometrics.fingerprint.template import MinutiaeTemplate
from models.biometric import FingerPosition, FingerprintTemplate, SampleSource

FORMAT = "iso19794-2:2005"
TYPE9_FORMAT = "ansi-nist-itl-type9"  # a Type-9 record's fields as JSON, kept as imported
DEFAULT_PPI = 500.0  # scanners that do not say (FBI Appendix F sensors are 500 ppi)


def extract_pixels(
    gray: npt.NDArray[np.uint8], *, ppi: float = DEFAULT_PPI, enhanced: bool = False
) -> Extraction:
    """Extraction (template, quality) of a scanner's 8-bit grey image; ``enhanced=True``
    adds the second minutiae set that 1:1 verification compares (``gerbang_dual``)."""
    image = from_array(np.ascontiguousarray(gray), ppi=ppi)
    return api.extract_fingerprint(image, enhanced=enhanced)


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
        data=api.to_iso(
            template,
            position=int(position),
            enhanced=extraction.enhanced,
            flow=extraction.flow,
        ),
        minutiae_count=len(template.x),
        created_at=created_at,
        source=source,
        quality=float(extraction.quality.score),
    )


def stored_template(
    template: MinutiaeTemplate,
    position: FingerPosition,
    *,
    subject_id: str | None,
    created_at: datetime,
    source: SampleSource,
    template_id: str | None = None,
) -> FingerprintTemplate:
    """An imported (converted) minutiae template in our storage format."""
    return FingerprintTemplate(
        template_id=template_id or str(uuid.uuid4()),
        subject_id=subject_id,
        position=position,
        format=FORMAT,
        data=api.to_iso(template, position=int(position)),
        minutiae_count=min(template.count, 255),
        created_at=created_at,
        source=source,
        quality=None if template.quality is None else float(template.quality),
    )


def enough_minutiae(template: MinutiaeTemplate) -> bool:
    """Whether our matcher can use a template (extraction's ``too_few_minutiae`` floor)."""
    return template.count >= EXTRACTION.min_minutiae


def type9_fields(data: bytes) -> dict[int, str]:
    """The fields of a ``TYPE9_FORMAT`` record; TemplateError-free: {} when not JSON."""
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return {}
    if not isinstance(raw, dict):
        return {}
    return {
        int(k): v for k, v in raw.items() if k.isascii() and k.isdecimal() and isinstance(v, str)
    }


def finger_sets(record: FingerprintTemplate) -> FingerSets | None:
    """Like :func:`comparable`, with the record's enhanced set when it holds one (records
    stored from a capture since the enhanced view exists); 1:1 verification compares these."""
    if record.format != FORMAT:
        usable = comparable(record)
        return None if usable is None else FingerSets(usable)
    try:
        return api.finger_from_iso(record.data)
    except FingerprintError:
        return None


def comparable(record: FingerprintTemplate) -> MinutiaeTemplate | None:
    """Our matcher's template of a stored record; None when its format is not one we
    compare, the record does not parse, or it holds too few minutiae."""
    try:
        if record.format == FORMAT:
            return api.from_iso(record.data)
        if record.format == TYPE9_FORMAT:
            converted = ansi9.from_type9(type9_fields(record.data)).template
            return mcc.encode(converted) if enough_minutiae(converted) else None
    except FingerprintError:
        return None
    return None

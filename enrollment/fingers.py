"""The counter's finger engine: NFIQ 2 quality and an ISO 19794-2 template per capture.

The template holds both minutiae sets of the capture (raw, and the Gabor-enhanced
print's as a marked second view, ``biometrics.fingerprint.iso``), so the kiosk can
verify the traveller with ``gerbang_dual``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from biometrics.fingerprint import record
from biometrics.fingerprint.errors import FingerprintError
from enrollment.session import FingerCapture
from models.biometric import FingerPosition, FingerprintTemplate, ImageData, SampleSource


class FingerprintPipeline:
    """:class:`enrollment.counter.FingerEngine` over :mod:`biometrics.fingerprint`.

    A print that cannot be used (blank, too small, no ridges) is a capture with
    no template and quality 0: the session asks for another attempt.
    """

    def __init__(self, *, ppi: float = record.DEFAULT_PPI) -> None:
        self.ppi = ppi

    def capture(
        self, position: FingerPosition, image: ImageData, pixels: npt.NDArray[np.uint8]
    ) -> FingerCapture:
        try:
            extraction = record.extract_pixels(pixels, ppi=self.ppi, enhanced=True)
        except FingerprintError as exc:
            return FingerCapture(position, image, None, 0.0, f"unusable:{exc.code}")
        template: FingerprintTemplate | None = record.stored(
            extraction,
            position,
            subject_id=None,  # set to the traveller when the enrollment is stored
            created_at=datetime.now(UTC),
            source=SampleSource.ENROLMENT,
        )
        if extraction.too_few_minutiae:
            template = None
        quality = extraction.quality
        return FingerCapture(position, image, template, float(quality.score), quality.method)

"""Errors of the fingerprint pipeline (leaves of :mod:`models.errors`).

A print the traveller can fix (too light, too few minutiae) is a *result*
(:class:`~biometrics.fingerprint.sample.SampleIssue` codes, a template with
too few minutiae, a score of 0), not an exception. These are for data that
cannot be used at all::

    BiometricError
    └── FingerprintError               biometric.fingerprint
        ├── FingerprintImageError      biometric.fingerprint.image: not a usable print image
        │   ├── NotAnImageError        ...image.unknown_format: bytes are no image we can decode
        │   ├── BlankImageError        ...image.blank: (almost) uniform pixels (white, black, grey)
        │   └── ImageSizeError         ...image.size: too small or too large for a print
        ├── ExtractionError            biometric.fingerprint.extraction: mindtct failed
        └── TemplateError              biometric.fingerprint.template: a template does not parse
"""

from __future__ import annotations

from models.errors import BiometricError


class FingerprintError(BiometricError):
    code = "biometric.fingerprint"


class FingerprintImageError(FingerprintError):
    """Bytes or pixels that cannot be used as a print. ``source`` names the file, if any."""

    code = "biometric.fingerprint.image"

    def __init__(self, message: str, *, source: str | None = None) -> None:
        super().__init__(message)
        self.source = source


class NotAnImageError(FingerprintImageError):
    code = "biometric.fingerprint.image.unknown_format"


class BlankImageError(FingerprintImageError):
    """No ridge pattern: the pixels are (almost) uniform. ``level`` is their mean grey."""

    code = "biometric.fingerprint.image.blank"

    def __init__(self, message: str, *, source: str | None = None, level: float = 0.0) -> None:
        super().__init__(message, source=source)
        self.level = level


class ImageSizeError(FingerprintImageError):
    """The image is too small or too large. ``size`` is (width, height) at 500 ppi."""

    code = "biometric.fingerprint.image.size"

    def __init__(
        self, message: str, *, source: str | None = None, size: tuple[int, int] = (0, 0)
    ) -> None:
        super().__init__(message, source=source)
        self.size = size


class ExtractionError(FingerprintError):
    code = "biometric.fingerprint.extraction"


class TemplateError(FingerprintError):
    """A template's bytes do not parse. ``offset`` is where parsing stopped, if known."""

    code = "biometric.fingerprint.template"

    def __init__(self, message: str, *, offset: int | None = None) -> None:
        super().__init__(message)
        self.offset = offset

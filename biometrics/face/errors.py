"""Errors of the face pipeline (leaves of :mod:`models.errors`).

Outcomes the traveller can fix (no face, too far, eyes closed) are *results*
(guidance codes, decisions), never these exceptions. These are for data or
set-up that failed::

    BiometricError
    └── FaceError                    biometric.face
        └── FaceModelError           biometric.face.models: model files missing or unreadable
    MalformedDataError
    └── ImageDecodeError             document.malformed.image: bytes are not a usable image
        ├── NotAnImageError          ...image.unknown_format: no known image signature
        ├── ImageTruncatedError      ...image.truncated: the file ends before the pixels do
        └── ImageTooLargeError       ...image.too_large: more pixels than the decoder may allocate
"""

from __future__ import annotations

from pathlib import Path

from models.errors import BiometricError, MalformedDataError


class FaceError(BiometricError):
    code = "biometric.face"


class FaceModelError(FaceError):
    """A dlib model file is missing or unreadable. ``path`` names the file."""

    code = "biometric.face.models"

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


class ImageDecodeError(MalformedDataError):
    """Bytes that should hold an image cannot be decoded. ``source`` names the file, if any."""

    code = "document.malformed.image"

    def __init__(self, message: str, *, source: str | None = None) -> None:
        super().__init__(message)
        self.source = source


class NotAnImageError(ImageDecodeError):
    code = "document.malformed.image.unknown_format"


class ImageTruncatedError(ImageDecodeError):
    code = "document.malformed.image.truncated"


class ImageTooLargeError(ImageDecodeError):
    """The image declares more pixels than :data:`ImageLimits.max_pixels` allows."""

    code = "document.malformed.image.too_large"

    def __init__(self, message: str, *, source: str | None = None, pixels: int = 0) -> None:
        super().__init__(message, source=source)
        self.pixels = pixels

"""Biometric samples (images) and templates (features) for face and fingerprint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum

import numpy as np
import numpy.typing as npt


class SampleSource(StrEnum):
    LIVE = "live"  # captured at a kiosk or counter now
    CHIP = "chip"  # read from a passport chip (DG2 / DG3)
    ENROLMENT = "enrolment"
    IMPORT = "import"  # from a partner agency's file


class FingerPosition(IntEnum):
    """Finger position codes of ANSI/NIST-ITL and ISO/IEC 19794-2 (table of positions)."""

    UNKNOWN = 0
    RIGHT_THUMB = 1
    RIGHT_INDEX = 2
    RIGHT_MIDDLE = 3
    RIGHT_RING = 4
    RIGHT_LITTLE = 5
    LEFT_THUMB = 6
    LEFT_INDEX = 7
    LEFT_MIDDLE = 8
    LEFT_RING = 9
    LEFT_LITTLE = 10
    PLAIN_RIGHT_FOUR = 13
    PLAIN_LEFT_FOUR = 14
    PLAIN_THUMBS = 15


@dataclass(frozen=True, slots=True)
class ImageData:
    """An encoded image (PNG, JPEG, JPEG 2000, WSQ ...) with its decoded size."""

    encoding: str  # "png", "jpeg", "jp2", "wsq", "raw-gray8"
    data: bytes
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class FaceSample:
    sample_id: str
    subject_id: str | None
    captured_at: datetime
    source: SampleSource
    image: ImageData
    quality: float | None = None  # unified quality 0-100, None when not assessed


@dataclass(frozen=True, slots=True)
class FingerprintSample:
    sample_id: str
    subject_id: str | None
    captured_at: datetime
    source: SampleSource
    position: FingerPosition
    image: ImageData
    ppi: int
    quality: float | None = None  # NFIQ 2 (0-100) or the fallback's score
    quality_method: str | None = None  # "nfiq2" or the fallback's name


def _frozen_vector(raw: bytes, dim: int) -> npt.NDArray[np.float32]:
    vector = np.frombuffer(raw, dtype="<f4")
    if vector.shape != (dim,):
        raise ValueError(f"template holds {vector.size} values, expected {dim}")
    return vector  # frombuffer on bytes is read-only already


@dataclass(frozen=True, slots=True)
class FaceTemplate:
    """A face embedding. ``vector`` holds ``dim`` little-endian float32 values."""

    template_id: str
    subject_id: str | None
    algorithm: str  # e.g. "dlib-resnet-v1"
    dim: int
    vector: bytes
    created_at: datetime
    source: SampleSource
    quality: float | None = None

    @classmethod
    def from_array(
        cls,
        array: npt.ArrayLike,
        *,
        template_id: str,
        subject_id: str | None,
        algorithm: str,
        created_at: datetime,
        source: SampleSource,
        quality: float | None = None,
    ) -> FaceTemplate:
        vector = np.asarray(array, dtype="<f4").ravel()
        return cls(
            template_id=template_id,
            subject_id=subject_id,
            algorithm=algorithm,
            dim=int(vector.size),
            vector=vector.tobytes(),
            created_at=created_at,
            source=source,
            quality=quality,
        )

    def as_array(self) -> npt.NDArray[np.float32]:
        """The embedding as a read-only float32 array."""
        return _frozen_vector(self.vector, self.dim)


@dataclass(frozen=True, slots=True)
class FingerprintTemplate:
    """A fingerprint template in a named format (ISO 19794-2, or our own matcher's)."""

    template_id: str
    subject_id: str | None
    position: FingerPosition
    format: str  # e.g. "iso19794-2:2005", "gerbang-mcc-v1"
    data: bytes
    minutiae_count: int
    created_at: datetime
    source: SampleSource
    quality: float | None = None

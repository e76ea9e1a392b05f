"""The face work of the officer workflows behind one small port.

Watchlist imports and counter enrollment need the same three facts about a
still image: is there a face, its embedding, and its ICAO portrait report.
:class:`FaceEngine` is that port; :class:`DlibFaceEngine` is the real one over
``biometrics.face`` (models loaded on first use, never at import). Tests of the
workflows pass a fake.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from models.biometric import FaceTemplate, ImageData, SampleSource

if TYPE_CHECKING:
    from biometrics.face.models import FaceModels

ALGORITHM = "dlib-resnet-v1"  # the FaceTemplate.algorithm of biometrics.face embeddings


@dataclass(frozen=True, slots=True)
class IcaoRule:
    """One line of the ICAO portrait report."""

    rule: str
    passed: bool
    value: float | None
    limit: str
    advisory: bool  # its failure alone does not make the portrait non-compliant

    def to_json(self) -> dict[str, object]:
        value = None if self.value is None else round(self.value, 3)
        return {
            "rule": self.rule,
            "passed": self.passed,
            "value": value,
            "limit": self.limit,
            "advisory": self.advisory,
        }


@dataclass(frozen=True, slots=True)
class FaceAnalysis:
    """What a still image gave: ``embedding`` is None when no face was found."""

    embedding: npt.NDArray[np.float32] | None
    quality: float  # unified quality 0-100
    failed_rules: tuple[str, ...]  # ICAO rules not met that make the portrait non-compliant
    compliant: bool  # a face, and every non-advisory ICAO rule met
    faces_found: int
    report: tuple[IcaoRule, ...] = ()

    @property
    def found(self) -> bool:
        return self.embedding is not None

    def template(
        self, template_id: str, subject_id: str | None, at: datetime, source: SampleSource
    ) -> FaceTemplate:
        if self.embedding is None:
            raise ValueError("no face: no template")
        return FaceTemplate.from_array(
            self.embedding,
            template_id=template_id,
            subject_id=subject_id,
            algorithm=ALGORITHM,
            created_at=at,
            source=source,
            quality=self.quality,
        )


class FaceEngine(Protocol):
    def analyse(self, rgb: npt.NDArray[np.uint8]) -> FaceAnalysis:
        """Face, embedding, quality and ICAO report of an 8-bit RGB (or grey) image."""
        ...


class DlibFaceEngine:
    """:class:`FaceEngine` over ``biometrics.face``; loads the dlib models at first use (~1.5 s).

    dlib's objects are not thread-safe and the officer window analyses faces on
    more than one worker thread (enrollment, watchlist import): calls are
    serialised by a lock.
    """

    def __init__(self) -> None:
        self._models: FaceModels | None = None
        self.lock = threading.Lock()  # held by every user of the models (the live capture too)

    def models(self) -> FaceModels:
        """The dlib models (loaded on the first call)."""
        from biometrics.face import api

        with self.lock:
            if self._models is None:
                self._models = api.load_models()
            return self._models

    def analyse(self, rgb: npt.NDArray[np.uint8]) -> FaceAnalysis:
        from biometrics.face import api
        from biometrics.face.reference import compliance

        models = self.models()
        with self.lock:
            result = api.embed_face(models, api.as_rgb(rgb))
        report = compliance(result)
        rules = tuple(
            IcaoRule(r.rule.value, r.passed, r.value, r.limit, r.advisory) for r in report.results
        )
        return FaceAnalysis(
            embedding=result.embedding,
            quality=float(result.quality.unified),
            failed_rules=tuple(r.rule for r in rules if not (r.passed or r.advisory)),
            compliant=result.found and report.compliant,
            faces_found=result.quality.face_count,
            report=rules,
        )


def encode_png(pixels: npt.NDArray[np.uint8]) -> ImageData:
    """An uncompressed image array as PNG (images are stored encoded, never raw)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return ImageData("png", buffer.getvalue(), int(pixels.shape[1]), int(pixels.shape[0]))


def sniff_encoding(raw: bytes) -> str:
    """The ImageData encoding name of encoded image bytes ("unknown" when not recognised)."""
    if raw[:2] == b"\xff\xa0":
        return "wsq"
    if raw[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if raw[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if raw[:4] == b"\x00\x00\x00\x0c" or raw[:4] == b"\xff\x4f\xff\x51":
        return "jp2"
    if raw[:2] in (b"BM",):
        return "bmp"
    if raw[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    return "unknown"

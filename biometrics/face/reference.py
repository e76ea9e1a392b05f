"""A still portrait (the chip's DG2 photo, an enrolment photo) → face, quality, embedding."""

from __future__ import annotations

from dataclasses import dataclass

from biometrics.face.detect import landmarks5
from biometrics.face.embed import Embedding, embed_chips, face_chip
from biometrics.face.icao import ComplianceReport, icao_report
from biometrics.face.imageio import RGBImage, to_gray
from biometrics.face.measures import measure_face
from biometrics.face.models import FaceModels
from biometrics.face.params import (
    EMBEDDING,
    ICAO,
    QUALITY,
    STILL_DETECTION,
    EmbeddingParams,
    IcaoLimits,
    QualityParams,
    StillDetectionParams,
)
from biometrics.face.quality import QualityReport, assess, no_face_report
from biometrics.face.still import StillFace, find_face
from biometrics.face.trace import NULL_SINK, Stage, Timings, TraceEvent, TraceSink


@dataclass(frozen=True, slots=True)
class StillResult:
    face: StillFace | None
    quality: QualityReport
    embedding: Embedding | None

    @property
    def found(self) -> bool:
        return self.face is not None


def process_still(
    models: FaceModels,
    rgb: RGBImage,
    *,
    embed: bool = True,
    detection: StillDetectionParams = STILL_DETECTION,
    quality: QualityParams = QUALITY,
    embedding: EmbeddingParams = EMBEDDING,
    timings: Timings | None = None,
    sink: TraceSink = NULL_SINK,
) -> StillResult:
    """Find, assess and (unless ``embed`` is false) embed the face of a still image."""
    clock = timings if timings is not None else Timings()
    with clock.measure(Stage.DETECT):
        face = find_face(models, rgb, detection)
    if face is None:
        return StillResult(face=None, quality=no_face_report(0), embedding=None)
    sink.record(TraceEvent(0, Stage.DETECT, {"box": face.box, "rung": face.rung}))
    with clock.measure(Stage.QUALITY):
        report = assess(
            measure_face(to_gray(rgb), face.points), face_count=face.faces_found, params=quality
        )
    vector = None
    if embed:
        with clock.measure(Stage.ALIGN):
            points = face.points
            if embedding.landmarks == 5:  # face_recognition's alignment, for comparisons
                points = landmarks5(models, rgb, face.box)
            chip = face_chip(rgb, points, face.box, embedding)
        sink.record(TraceEvent(0, Stage.ALIGN, {"chip": chip}))
        with clock.measure(Stage.EMBED):
            vector = embed_chips(models, [chip], embedding)[0]
    return StillResult(face=face, quality=report, embedding=vector)


def compliance(result: StillResult, limits: IcaoLimits = ICAO) -> ComplianceReport:
    """The ICAO portrait report of an enrolment photo."""
    return icao_report(result.quality, limits)

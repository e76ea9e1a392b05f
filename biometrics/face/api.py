"""The face facade: a handful of typed functions over the pipeline modules.

In the spirit of face_recognition's ``api.py``, without its import-time model
loading and string options::

    models = load_models()                          # explicit, ~1.5 s
    reference = embed_face(models, as_rgb(dg2))     # the chip's portrait (RGB array)
    pipeline = LivePipeline(models)                 # per camera; feed frames:
    result = pipeline.process(frame, timestamp)     # -> guidance in result.quality
    ...                                             # BestFrames / embed_selected
    outcome = verify(live_capture, reference)       # decision + reason codes

Scores and decisions are separate: :func:`compare` gives the score,
:func:`decide` maps it through a :class:`VerificationPolicy`.
"""

from __future__ import annotations

from biometrics.face.capture import BestFrames, LiveCapture, embed_selected
from biometrics.face.icao import ComplianceReport
from biometrics.face.imageio import RGBImage, as_rgb, load_image
from biometrics.face.liveness.session import LivenessSession, PadDecision, PadResult
from biometrics.face.models import FaceModels, load_models
from biometrics.face.params import VERIFICATION, VerificationPolicy
from biometrics.face.pipeline import FrameResult, LivePipeline
from biometrics.face.quality import Guidance, QualityReport
from biometrics.face.reference import StillResult, compliance, process_still
from biometrics.face.still import StillFace, find_face
from biometrics.face.verify import (
    Decision,
    Reason,
    VerificationResult,
    compare,
    decide,
    policy_from_settings,
    verify,
)


def detect(models: FaceModels, rgb: RGBImage) -> StillFace | None:
    """The largest face of a still image with its landmarks (None: no face)."""
    return find_face(models, rgb)


def assess_quality(models: FaceModels, rgb: RGBImage) -> QualityReport:
    """Quality components, unified score and guidance of a still image."""
    return process_still(models, rgb, embed=False).quality


def embed_face(models: FaceModels, rgb: RGBImage) -> StillResult:
    """Face, quality and embedding of a still (``.embedding`` is None without a face)."""
    return process_still(models, rgb)


def icao_compliance(models: FaceModels, rgb: RGBImage) -> ComplianceReport:
    """The ICAO portrait report of an enrolment photo, rule by rule."""
    return compliance(process_still(models, rgb, embed=False))


__all__ = [
    "VERIFICATION",
    "BestFrames",
    "ComplianceReport",
    "Decision",
    "FaceModels",
    "FrameResult",
    "Guidance",
    "LiveCapture",
    "LivePipeline",
    "LivenessSession",
    "PadDecision",
    "PadResult",
    "QualityReport",
    "Reason",
    "StillResult",
    "VerificationPolicy",
    "VerificationResult",
    "as_rgb",
    "assess_quality",
    "compare",
    "decide",
    "detect",
    "embed_face",
    "embed_selected",
    "icao_compliance",
    "load_image",
    "load_models",
    "policy_from_settings",
    "verify",
]

"""The dlib models, loaded explicitly (never at import).

The model files ship in the ``face-recognition-models`` wheel. That package's
``__init__`` imports ``pkg_resources`` (gone from setuptools 81), so we locate
its folder with :func:`importlib.util.find_spec` and never import it.
"""

from __future__ import annotations

import importlib.util
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlib

from biometrics.face.errors import FaceModelError

log = logging.getLogger(__name__)

MODEL_PACKAGE = "face_recognition_models"
LANDMARKS_68 = "shape_predictor_68_face_landmarks.dat"
LANDMARKS_5 = "shape_predictor_5_face_landmarks.dat"
RESNET = "dlib_face_recognition_resnet_model_v1.dat"
ALGORITHM = "dlib-resnet-v1"  # FaceTemplate.algorithm of our embeddings
EMBEDDING_DIM = 128


@dataclass(frozen=True, slots=True)
class FaceModels:
    """The loaded models. dlib objects are not thread-safe: one instance per worker thread."""

    detector: Any  # dlib.fhog_object_detector (frontal HOG + linear SVM)
    landmarks68: Any  # dlib.shape_predictor
    landmarks5: Any  # dlib.shape_predictor
    embedder: Any  # dlib.face_recognition_model_v1 (ResNet-29, 128-d)
    model_dir: Path


def default_model_dir() -> Path:
    """The ``models/`` folder of the installed ``face-recognition-models`` wheel."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FaceModelError(
            f"the {MODEL_PACKAGE} package (face-recognition-models) is not installed; "
            "run ./run setup"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def load_models(model_dir: Path | None = None) -> FaceModels:
    """Load the detector, both landmark predictors and the ResNet embedder (~1.5 s).

    ``model_dir`` defaults to :func:`default_model_dir`. Raises
    :class:`FaceModelError` naming the file that is missing or does not load.
    """
    folder = model_dir if model_dir is not None else default_model_dir()
    started = time.perf_counter()
    models = FaceModels(
        detector=dlib.get_frontal_face_detector(),
        landmarks68=_load(dlib.shape_predictor, folder / LANDMARKS_68),
        landmarks5=_load(dlib.shape_predictor, folder / LANDMARKS_5),
        embedder=_load(dlib.face_recognition_model_v1, folder / RESNET),
        model_dir=folder,
    )
    log.info(
        "face models loaded",
        extra={"duration_ms": round((time.perf_counter() - started) * 1000)},
    )
    return models


def _load(factory: Any, path: Path) -> Any:
    if not path.is_file():
        raise FaceModelError(f"face model file missing: {path.name}", path=path)
    try:
        return factory(str(path))
    except RuntimeError as exc:  # dlib reports unreadable or corrupt files this way
        raise FaceModelError(f"face model file does not load: {path.name}", path=path) from exc

"""Fixtures of the face tests that need the dlib models (and mostly the shared data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from biometrics.face.imageio import RGBImage, load_image
from biometrics.face.models import FaceModels, load_models


@pytest.fixture(scope="session")
def face_models() -> FaceModels:
    return load_models()


@pytest.fixture(scope="session")
def faces(gerbang_data: Path) -> Path:
    return gerbang_data / "faces"


def rgb(path: Path) -> RGBImage:
    return load_image(path).rgb

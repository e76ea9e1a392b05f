"""Model loading: explicit, located without pkg_resources; the baseline's import is contained."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from biometrics.face.errors import FaceModelError
from biometrics.face.models import LANDMARKS_68, FaceModels, default_model_dir, load_models

REPO = Path(__file__).resolve().parents[3]


def test_models_load_explicitly(face_models: FaceModels) -> None:
    assert face_models.model_dir == default_model_dir()
    assert (face_models.model_dir / LANDMARKS_68).is_file()


def test_a_missing_model_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(FaceModelError) as caught:
        load_models(tmp_path)
    assert caught.value.path is not None and caught.value.path.parent == tmp_path


def test_a_corrupt_model_file_is_a_typed_error(tmp_path: Path) -> None:
    for name in ("shape_predictor_68_face_landmarks.dat", "shape_predictor_5_face_landmarks.dat",
                 "dlib_face_recognition_resnet_model_v1.dat"):  # fmt: skip
        (tmp_path / name).write_bytes(b"not a model")
    with pytest.raises(FaceModelError, match="does not load"):
        load_models(tmp_path)


def _run(code: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *flags, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=False,
    )


def test_models_load_without_pkg_resources() -> None:
    result = _run(
        "import sys; sys.modules['pkg_resources'] = None\n"
        "from biometrics.face.models import load_models\n"
        "models = load_models()\n"
        "assert 'face_recognition_models' not in sys.modules\n"
        "print('ok')",
        "-W",
        "error",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_baseline_imports_under_warnings_as_errors_and_restores_pillow() -> None:
    result = _run(
        "from PIL import ImageFile\n"
        "from biometrics.face.baseline import load_baseline\n"
        "baseline = load_baseline()\n"
        "assert ImageFile.LOAD_TRUNCATED_IMAGES is False\n"
        "print(type(baseline).__name__)",
        "-W",
        "error",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Baseline"

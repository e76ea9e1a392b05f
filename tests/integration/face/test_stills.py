"""Stills through detection, quality and embedding; bad input gives typed results or errors."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from biometrics.face.errors import ImageTruncatedError
from biometrics.face.icao import Rule
from biometrics.face.imageio import load_image
from biometrics.face.models import FaceModels
from biometrics.face.quality import Guidance
from biometrics.face.reference import compliance, process_still
from biometrics.face.still import find_face

from .conftest import rgb

pytestmark = pytest.mark.dataset


def test_no_face(face_models: FaceModels) -> None:
    noise = np.random.default_rng(0).integers(0, 255, (240, 320, 3), dtype=np.uint8)
    for image in (np.zeros((240, 320, 3), np.uint8), noise):
        result = process_still(face_models, image)
        assert result.face is None and result.embedding is None
        assert result.quality.guidance == (Guidance.NO_FACE,)


def test_many_faces_are_counted_and_flagged(face_models: FaceModels, faces: Path) -> None:
    path = faces / "face_recognition_examples" / "examples" / "two_people.jpg"
    result = process_still(face_models, rgb(path), embed=False)
    assert result.face is not None and result.face.faces_found >= 2
    assert result.quality.unified == 0
    assert Guidance.ONE_PERSON_ONLY in result.quality.guidance
    assert Rule.SINGLE_FACE in compliance(result).failed


def test_small_grey_pgm_faces_are_found(face_models: FaceModels, faces: Path) -> None:
    image = rgb(faces / "att_orl_faces" / "images" / "orl_s1" / "1.pgm")  # 92x112
    assert image.shape == (112, 92, 3)
    result = process_still(face_models, image)
    assert result.embedding is not None
    assert np.linalg.norm(result.embedding) == pytest.approx(1.0, abs=1e-5)
    assert Guidance.COME_CLOSER in result.quality.guidance


def test_a_tiny_face_gives_a_result_not_a_crash(face_models: FaceModels, faces: Path) -> None:
    tiny = rgb(faces / "att_orl_faces" / "images" / "orl_s1" / "1.pgm")[::4, ::4].copy()
    result = process_still(face_models, tiny)  # 23x28 pixels
    if result.face is None:
        assert result.quality.guidance == (Guidance.NO_FACE,)
    else:
        assert Guidance.COME_CLOSER in result.quality.guidance
        assert result.embedding is not None


def test_gif_without_extension_and_sixteen_bit(face_models: FaceModels, faces: Path) -> None:
    gif = faces / "yale_faces" / "images" / "subject01" / "subject01.normal"
    loaded = load_image(gif)
    assert loaded.format == "GIF"
    assert find_face(face_models, loaded.rgb) is not None
    grey16 = (loaded.rgb[:, :, 0].astype(np.uint16) * 257).astype(np.uint16)
    buffer = io.BytesIO()
    Image.fromarray(grey16).save(buffer, format="PNG")
    sixteen = load_image(buffer.getvalue())
    assert sixteen.mode.startswith("I")
    assert find_face(face_models, sixteen.rgb) is not None


def test_huge_photo_is_downscaled_and_works(face_models: FaceModels, faces: Path) -> None:
    folder = faces / "deepface_pairs" / "images"
    largest = max(folder.iterdir(), key=lambda p: p.stat().st_size)
    loaded = load_image(largest)
    assert max(loaded.rgb.shape[:2]) <= 2048
    assert find_face(face_models, loaded.rgb) is not None


def test_truncated_photo_is_a_typed_error(faces: Path) -> None:
    data = (
        faces / "face_recognition_examples" / "tests" / "test_images" / "obama.jpg"
    ).read_bytes()
    with pytest.raises(ImageTruncatedError):
        load_image(data[: len(data) // 3])


def test_icao_report_of_a_portrait(face_models: FaceModels, faces: Path) -> None:
    image = rgb(faces / "casia_facev5" / "images" / "casia_000" / "000_0.bmp")
    report = compliance(process_still(face_models, image, embed=False))
    assert {r.rule for r in report.results} == set(Rule)
    eye = next(r for r in report.results if r.rule is Rule.EYE_DISTANCE)
    assert eye.value is not None and not eye.passed  # 168x193 BMP: IED well under 90 px


def test_glasses_measure_separates_yale_glasses(face_models: FaceModels, faces: Path) -> None:
    def measure(condition: str) -> list[float]:
        values = []
        for subject in sorted((faces / "yale_faces" / "images").iterdir()):
            path = subject / f"{subject.name}.{condition}"
            if path.is_file():
                result = process_still(face_models, rgb(path), embed=False)
                if result.quality.measures is not None:
                    values.append(result.quality.measures.glasses)
        return values

    with_glasses, without = measure("glasses"), measure("noglasses")
    assert len(with_glasses) >= 12 and len(without) >= 12
    assert np.median(with_glasses) > 1.5 * np.median(without)


def test_the_facade(face_models: FaceModels, faces: Path) -> None:
    from biometrics.face import api

    image = api.as_rgb(rgb(faces / "casia_facev5" / "images" / "casia_000" / "000_0.bmp"))
    face = api.detect(face_models, image)
    assert face is not None and face.points.shape == (68, 2)
    quality = api.assess_quality(face_models, image)
    assert 0 < quality.unified <= 100
    still = api.embed_face(face_models, image)
    assert still.embedding is not None
    assert api.compare(still.embedding, still.embedding) > 0.999
    assert api.decide(1.0)[0] is api.Decision.MATCH
    assert api.icao_compliance(face_models, image).results

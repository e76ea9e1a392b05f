"""Plain ``face_recognition`` usage, the baseline of ``gerbang eval face`` and ``bench face``.

Exactly what its README shows: ``load_image_file``, the largest of
``face_locations`` (HOG, upsample 1), ``face_encodings`` with default settings
(5-point alignment, one jitter), Euclidean distance, tolerance 0.6.

Importing ``face_recognition`` has side effects we contain here:
it imports ``face_recognition_models``, which imports ``pkg_resources`` (a
deprecation UserWarning; under ``-W error`` the package calls ``quit()``), it
loads every model (~2 s), and it sets Pillow's global ``LOAD_TRUNCATED_IMAGES``
to True, which we restore so that our own loader still refuses truncated files.
"""

from __future__ import annotations

import importlib
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import numpy.typing as npt
from PIL import ImageFile

from models.errors import NotAvailableError

DEFAULT_TOLERANCE = 0.6


def import_face_recognition() -> ModuleType:
    truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        with warnings.catch_warnings():
            # face_recognition_models' `import pkg_resources` (setuptools < 81 warns).
            warnings.filterwarnings(
                "ignore", message="pkg_resources is deprecated", category=UserWarning
            )
            return importlib.import_module("face_recognition")
    except (ImportError, SystemExit) as exc:  # it calls quit() when its models fail to import
        raise NotAvailableError(
            "the face_recognition baseline",
            detail="install face-recognition 1.3.0 (./run setup does, from requirements.lock)",
        ) from exc
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated


@dataclass
class Baseline:
    """The baseline matcher. Its "score" is the negated distance (higher = more alike)."""

    module: ModuleType

    def encode_file(self, path: Path) -> npt.NDArray[np.float64] | None:
        """The encoding of the largest face in the file, or None (a failure to enrol).

        Files the library cannot read (face_recognition would crash) also give None.
        """
        fr = self.module
        truncated = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = True  # what the library does on import
        try:
            image = fr.load_image_file(str(path))
        except (OSError, ValueError, SyntaxError):
            return None
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = truncated
        return self.encode_image(image)

    def encode_image(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64] | None:
        fr = self.module
        locations = fr.face_locations(image)
        if not locations:
            return None
        largest = max(locations, key=lambda box: (box[2] - box[0]) * (box[1] - box[3]))
        encodings = fr.face_encodings(image, [largest])
        return np.asarray(encodings[0], dtype=np.float64) if encodings else None

    @staticmethod
    def score(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float:
        return -float(np.linalg.norm(a - b))


def load_baseline() -> Baseline:
    """Import ``face_recognition`` (loads its models); raises NotAvailableError if absent."""
    return Baseline(import_face_recognition())

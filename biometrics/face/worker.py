"""Face embedding in a child process, so that an interactive program never stalls.

dlib's Python bindings keep the GIL while they compute: embedding the chip
portrait (detection with upsampling, landmarks, ResNet) or the selected live
frames takes 0.1-0.8 s on a kiosk PC, and every other thread of the process -
the GUI thread included - waits that long. Measured here: a 5 ms heartbeat
thread saw a 318 ms gap during one ``embed_face`` call, while the live
pipeline's per-frame work (downscaled detection, tracking, landmarks) never
kept it waiting more than 14 ms.

:class:`EmbeddingWorker` runs those two long calls in one ``spawn``-ed child
process that loads the models once; waiting for its answer releases the GIL.
:class:`InProcessEmbedder` is the same interface in the calling thread, for
batch tools and headless runs where nobody waits on a screen.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Protocol, TypeVar

from biometrics.face.capture import Candidate, LiveCapture, embed_selected
from biometrics.face.errors import FaceError
from biometrics.face.imageio import RGBImage
from biometrics.face.models import FaceModels, load_models
from biometrics.face.reference import StillResult, process_still

log = logging.getLogger(__name__)

T = TypeVar("T")


class FaceWorkerError(FaceError):
    """The embedding process died, did not start or did not answer in time."""

    code = "biometric.face.worker"


class FaceEmbedder(Protocol):
    def embed_face(self, rgb: RGBImage) -> StillResult: ...

    def embed_selected(self, candidates: Sequence[Candidate]) -> LiveCapture | None: ...


class InProcessEmbedder:
    """Embedding in the calling thread (holds the GIL while dlib works)."""

    def __init__(self, models: FaceModels) -> None:
        self.models = models

    def embed_face(self, rgb: RGBImage) -> StillResult:
        return process_still(self.models, rgb)

    def embed_selected(self, candidates: Sequence[Candidate]) -> LiveCapture | None:
        return embed_selected(self.models, list(candidates))


# ----------------------------------------------------------------- the child process
_child_models: FaceModels | None = None


def _child_start(model_dir: Path | None) -> None:
    global _child_models
    _child_models = load_models(model_dir)


def _child_models_loaded() -> FaceModels:
    if _child_models is None:  # pragma: no cover - the initializer always runs first
        raise FaceWorkerError("the embedding process has no models")
    return _child_models


def _child_ready() -> bool:
    return _child_models is not None


def _child_embed_face(rgb: RGBImage) -> StillResult:
    return process_still(_child_models_loaded(), rgb)


def _child_embed_selected(candidates: list[Candidate]) -> LiveCapture | None:
    return embed_selected(_child_models_loaded(), candidates)


class EmbeddingWorker:
    """dlib's embedding in one child process (see the module doc).

    ``start()`` spawns the process and waits until its models are loaded
    (about 2-3 s); calls then take the computation's time plus a few ms to move
    the images. A dead process raises :class:`FaceWorkerError` and the next
    call starts a new one.
    """

    def __init__(self, model_dir: Path | None = None, *, timeout_s: float = 60.0) -> None:
        self.model_dir = model_dir
        self.timeout_s = timeout_s
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> EmbeddingWorker:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def start(self) -> None:
        if self._pool is not None:
            return
        self._pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_child_start,
            initargs=(self.model_dir,),
        )
        self._call(self._pool.submit(_child_ready))
        log.info("face embedding process ready")

    def embed_face(self, rgb: RGBImage) -> StillResult:
        return self._call(self._started().submit(_child_embed_face, rgb))

    def embed_selected(self, candidates: Sequence[Candidate]) -> LiveCapture | None:
        return self._call(self._started().submit(_child_embed_selected, list(candidates)))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _started(self) -> ProcessPoolExecutor:
        self.start()
        assert self._pool is not None  # noqa: S101 - start() sets it or raises
        return self._pool

    def _call(self, future: Future[T]) -> T:
        try:
            return future.result(timeout=self.timeout_s)
        except BrokenProcessPool as exc:
            self._discard()
            raise FaceWorkerError("the face embedding process stopped") from exc
        except TimeoutError as exc:
            self._discard()
            raise FaceWorkerError(
                f"the face embedding process did not answer within {self.timeout_s:.0f} s"
            ) from exc

    def _discard(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

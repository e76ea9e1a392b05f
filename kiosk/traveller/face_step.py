"""The face step of a traveller transaction (Qt-free, runs on the worker thread).

Frames from the camera go through the live pipeline (detection and tracking,
landmarks, quality); the traveller is guided until two good frames are kept;
the liveness challenge (a blink and a head turn, in random order) runs on the
same frames when the policy asks for it. Then the selected frames are embedded
and fused, compared 1:1 with the chip portrait, and searched 1:N in the face
gallery restricted to the watchlist entries active now. Candidates from the
index are re-scored against the exact templates in the store.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import cv2
import numpy as np
import numpy.typing as npt

from biometrics.face import api
from biometrics.face.liveness.session import PadDecision
from biometrics.face.params import VERIFICATION, WATCHLIST, VerificationPolicy, WatchlistPolicy
from biometrics.face.worker import FaceEmbedder, InProcessEmbedder
from biometrics.index import BiometricIndex, SearchFilter
from devices.base import Camera, Frame, Retry
from kiosk.traveller.facts import FaceFacts, WatchlistFacts
from kiosk.traveller.services import Cancelled, FaceOutcome, Guidance, Preview
from models.biometric import FaceSample, ImageData, SampleSource
from models.events import CheckOutcome
from models.store import Store

# Face guidance and challenge prompts -> the prompt codes the kiosk screen knows.
PROMPTS = {
    "no_face": "centre_face",
    "one_person_only": "one_person",
    "move_left": "centre_face",
    "move_right": "centre_face",
    "move_up": "centre_face",
    "move_down": "centre_face",
    "straighten_head": "look_straight",
    "less_light": "less_light",
    "even_light": "even_light",
}


@dataclass(frozen=True)
class FaceStepResult:
    outcome: FaceOutcome
    evidence: tuple[
        FaceSample, ...
    ]  # the best live frame and the chip portrait, kept for a referral


def _jpeg(rgb: npt.NDArray[np.uint8]) -> ImageData:
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88]
    )
    if not ok:
        raise ValueError("JPEG encoding failed")
    return ImageData("jpeg", buf.tobytes(), int(rgb.shape[1]), int(rgb.shape[0]))


class FaceStep:
    def __init__(
        self,
        camera: Camera,
        models: api.FaceModels | Callable[[], api.FaceModels],
        store: Store,
        index: BiometricIndex | None,
        *,
        liveness: bool = True,
        timeout_s: float = 45.0,
        verification: VerificationPolicy = VERIFICATION,
        watchlist: WatchlistPolicy = WATCHLIST,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        embedder: FaceEmbedder | None = None,
    ) -> None:
        """``embedder``: where the long dlib calls run; an interactive kiosk passes an
        :class:`~biometrics.face.worker.EmbeddingWorker` (a child process) so that the
        GUI thread never waits on the GIL; by default they run in this thread."""
        self.camera = camera
        self.timings: dict[str, float] = {}  # ms by stage of the last run (bench, events)
        self._embedder = embedder
        self._models = models  # or a loader: the models load on first use (about 1.5 s)
        self.store = store
        self.index = index
        self.liveness = liveness
        self.timeout_s = timeout_s
        self.verification = verification
        self.watchlist = watchlist
        self.clock = clock

    @property
    def models(self) -> api.FaceModels:
        if callable(self._models):
            self._models = self._models()
        return self._models

    @property
    def embedder(self) -> FaceEmbedder:
        if self._embedder is None:
            self._embedder = InProcessEmbedder(self.models)
        return self._embedder

    def reference(self, chip_rgb: npt.NDArray[np.uint8] | None) -> api.StillResult | None:
        return None if chip_rgb is None else self.embedder.embed_face(api.as_rgb(chip_rgb))

    def run(
        self,
        reference: api.StillResult | None,
        guidance: Guidance,
        preview: Preview,
        cancelled: Cancelled,
    ) -> FaceStepResult:
        self.timings = {}
        started = time.perf_counter()
        pipeline, best = api.LivePipeline(self.models), api.BestFrames()
        pad = api.LivenessSession() if self.liveness else None
        deadline = time.monotonic() + self.timeout_s
        shown: tuple[str, ...] = ()
        while not cancelled() and time.monotonic() < deadline:
            frame = self.camera.read(1.0)
            if isinstance(frame, Retry):
                continue
            rgb, grey = self._rgb_grey(frame)
            result = pipeline.process(rgb, frame.timestamp)
            if frame.index % 2 == 0:
                preview(frame.image)
            best.offer(result, rgb)
            prompts = [PROMPTS.get(g.value, g.value) for g in result.quality.guidance]
            if pad is not None:
                status = pad.observe(result, grey)
                if status.current is not None and best.ready:
                    prompts = [status.current.value]
            if tuple(prompts[:1]) != shown:
                shown = tuple(prompts[:1])
                guidance(shown)
            if best.ready and (pad is None or pad.finished):
                break
            if best.expired and pad is None:
                break
        self._lap("capture", started)
        return self._decide(best, pad, reference)

    def _lap(self, name: str, started: float) -> None:
        self.timings[name] = (time.perf_counter() - started) * 1000

    @staticmethod
    def _rgb_grey(frame: Frame) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
        image = frame.image
        if image.ndim == 2:
            return np.ascontiguousarray(np.stack([image] * 3, axis=-1)), image
        rgb = np.ascontiguousarray(image[:, :, ::-1])
        return rgb, np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), dtype=np.uint8)

    def _decide(
        self,
        best: api.BestFrames,
        pad: api.LivenessSession | None,
        reference: api.StillResult | None,
    ) -> FaceStepResult:
        selected = best.selected()
        started = time.perf_counter()
        live = self.embedder.embed_selected(selected)
        self._lap("embed", started)
        if pad is None:
            liveness = CheckOutcome.NOT_RUN
        elif not pad.finished:
            liveness = CheckOutcome.FAILED  # the challenge was not completed in time
        else:
            liveness = (
                CheckOutcome.PASSED
                if pad.result().decision is PadDecision.BONA_FIDE
                else CheckOutcome.FAILED
            )
        if live is None:
            facts = FaceFacts(False, liveness, CheckOutcome.NOT_RUN)
            return FaceStepResult(FaceOutcome(facts, WatchlistFacts(CheckOutcome.NOT_RUN)), ())
        if reference is None:
            match, score = CheckOutcome.UNAVAILABLE, None
        else:
            verdict = api.verify(live, reference, self.verification)
            match = (
                CheckOutcome.PASSED
                if verdict.decision is api.Decision.MATCH
                else CheckOutcome.FAILED
            )
            score = verdict.score
        facts = FaceFacts(True, liveness, match, score, self.verification.accept, live.quality)
        evidence = (self.sample(selected[0].frame, SampleSource.LIVE, live.quality),)
        started = time.perf_counter()
        watchlist = self.search_watchlist(live.fused)
        self._lap("watchlist_search", started)
        return FaceStepResult(FaceOutcome(facts, watchlist), evidence)

    def sample(
        self, rgb: npt.NDArray[np.uint8], source: SampleSource, quality: float | None
    ) -> FaceSample:
        """A capture kept as evidence of a referral (its subject is set to the event when stored)."""
        return FaceSample(str(uuid.uuid4()), None, self.clock(), source, _jpeg(rgb), quality)

    def search_watchlist(self, embedding: npt.NDArray[np.float32]) -> WatchlistFacts:
        """1:N among the watchlist entries active now; exact re-scoring of the index's candidates."""
        if self.index is None:
            return WatchlistFacts(CheckOutcome.UNAVAILABLE)
        now = self.clock()
        candidates = self.index.search(
            embedding, self.watchlist.candidates, SearchFilter.watchlist(now)
        )
        if not candidates:
            return WatchlistFacts(CheckOutcome.PASSED, None, self.watchlist.hit)
        best_score: float | None = None
        over: list[str] = []  # template ids scoring over the hit threshold
        for candidate in candidates:
            template = self.store.face_templates.get_by_row_id(candidate.row_id)
            score = api.compare(embedding, template.as_array())
            best_score = score if best_score is None else max(best_score, score)
            if score >= self.watchlist.hit:
                over.append(template.template_id)
        hits: list[str] = []
        if over:  # rare: only then are the active entries read (and decrypted)
            entry_of = {
                t: e.entry_id for e in self.store.watchlist.active(now) for t in e.face_template_ids
            }
            hits = [entry_of[t] for t in over if t in entry_of]
        outcome = CheckOutcome.FAILED if hits else CheckOutcome.PASSED
        return WatchlistFacts(outcome, best_score, self.watchlist.hit, tuple(hits))

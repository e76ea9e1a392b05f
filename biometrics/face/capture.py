"""Best-frame selection in the live loop, and embedding of only the selected frames.

Frames whose unified quality reaches ``accept_unified`` become candidates (a
copy of the frame is kept, bounded to a few per capture). The selection takes
the best few, at least ``min_frames_apart`` frames apart so that one blink or
one motion blur cannot fill it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from biometrics.face.detect import Box
from biometrics.face.embed import Embedding, embed_chips, face_chip, fuse
from biometrics.face.geometry import Points
from biometrics.face.imageio import RGBImage
from biometrics.face.models import FaceModels
from biometrics.face.params import CAPTURE, EMBEDDING, QUALITY, CaptureParams, EmbeddingParams
from biometrics.face.pipeline import FrameResult
from biometrics.face.trace import NULL_SINK, Stage, Timings, TraceEvent, TraceSink


@dataclass(frozen=True, slots=True)
class Candidate:
    index: int
    timestamp: float
    quality: float
    frame: RGBImage
    box: Box
    points: Points


@dataclass(frozen=True, slots=True)
class LiveCapture:
    """The embeddings of the selected frames and their fusion (the live template)."""

    embeddings: tuple[Embedding, ...]
    qualities: tuple[float, ...]
    frame_indices: tuple[int, ...]
    fused: Embedding

    @property
    def quality(self) -> float:
        return max(self.qualities)


class BestFrames:
    def __init__(
        self, params: CaptureParams = CAPTURE, *, accept_unified: float = QUALITY.accept_unified
    ) -> None:
        self._params = params
        self._accept = accept_unified
        self._keep = max(params.frames_to_embed * 4, params.frames_to_embed)
        self._candidates: list[Candidate] = []
        self.frames_seen = 0

    def offer(self, result: FrameResult, frame: RGBImage) -> bool:
        """Consider a processed frame; returns whether it was kept as a candidate."""
        self.frames_seen += 1
        if result.points is None or result.box is None or result.quality.face_count != 1:
            return False
        if result.quality.unified < self._accept:
            return False
        if len(self._candidates) >= self._keep:
            worst = min(self._candidates, key=lambda c: c.quality)
            if worst.quality >= result.quality.unified:
                return False
            self._candidates.remove(worst)
        self._candidates.append(
            Candidate(
                index=result.index,
                timestamp=result.timestamp,
                quality=result.quality.unified,
                frame=np.array(frame, copy=True),
                box=result.box,
                points=result.points,
            )
        )
        return True

    @property
    def ready(self) -> bool:
        """Enough good frames to stop capturing early."""
        good = [c for c in self._candidates if c.quality >= self._params.enough_quality]
        return len(self.selected(good)) >= self._params.enough_count

    @property
    def expired(self) -> bool:
        return self.frames_seen >= self._params.window_frames

    def selected(self, pool: list[Candidate] | None = None) -> list[Candidate]:
        chosen: list[Candidate] = []
        for candidate in sorted(
            self._candidates if pool is None else pool, key=lambda c: -c.quality
        ):
            if all(abs(candidate.index - c.index) >= self._params.min_frames_apart for c in chosen):
                chosen.append(candidate)
            if len(chosen) == self._params.frames_to_embed:
                break
        return chosen

    def clear(self) -> None:
        self._candidates.clear()
        self.frames_seen = 0


def embed_selected(
    models: FaceModels,
    candidates: list[Candidate],
    *,
    params: EmbeddingParams = EMBEDDING,
    timings: Timings | None = None,
    sink: TraceSink = NULL_SINK,
) -> LiveCapture | None:
    """Embed the selected frames (``None`` when there is none) and fuse them by quality."""
    if not candidates:
        return None
    clock = timings if timings is not None else Timings()
    with clock.measure(Stage.ALIGN):
        chips = [face_chip(c.frame, c.points, c.box, params) for c in candidates]
    with clock.measure(Stage.EMBED):
        vectors = embed_chips(models, chips, params)
    for candidate, chip in zip(candidates, chips, strict=True):
        sink.record(TraceEvent(candidate.index, Stage.ALIGN, {"chip": chip}))
    qualities = tuple(c.quality for c in candidates)
    return LiveCapture(
        embeddings=tuple(vectors),
        qualities=qualities,
        frame_indices=tuple(c.index for c in candidates),
        fused=fuse(vectors, weights=qualities),
    )

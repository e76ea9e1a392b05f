"""``gerbang bench face``: stage timings, guidance-loop fps and time to a 1:1 decision.

Two frame sources, both 640x480 RGB:

- ``video``: a real clip (default: the shared face video, letterboxed from
  640x360), faces small and moving: the guidance loop's detect/track/landmark/
  quality costs;
- ``kiosk``: a traveller standing in front of the kiosk, synthesised from a
  portrait still (the face scaled to ~90 px between the eyes, drifting and
  turning slightly, with sensor noise), against a reference photo of the same
  person: time from the face's first frame to the 1:1 decision.

The baseline runs the same frames through plain per-frame face_recognition
calls (``face_locations`` + ``face_encodings``). Run on one core: the command
pins itself to one CPU.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from biometrics.face.baseline import Baseline
from biometrics.face.capture import BestFrames, embed_selected
from biometrics.face.imageio import RGBImage, load_image
from biometrics.face.models import FaceModels
from biometrics.face.pipeline import LivePipeline
from biometrics.face.reference import process_still
from biometrics.face.trace import Stage, Timings
from biometrics.face.verify import verify

FRAME_SIZE = (640, 480)
CAMERA_FPS = 30.0


def video_frames(path: Path, limit: int | None = None) -> list[RGBImage]:
    """A clip's frames as 640x480 RGB (letterboxed or resized to fit)."""
    capture = cv2.VideoCapture(str(path))
    frames: list[RGBImage] = []
    try:
        while limit is None or len(frames) < limit:
            ok, bgr = capture.read()
            if not ok:
                break
            frames.append(_fit(np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)))
    finally:
        capture.release()
    return frames


def _fit(rgb: RGBImage) -> RGBImage:
    width, height = FRAME_SIZE
    scale = min(width / rgb.shape[1], height / rgb.shape[0])
    resized = cv2.resize(rgb, (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)))
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    y0, x0 = (height - resized.shape[0]) // 2, (width - resized.shape[1]) // 2
    canvas[y0 : y0 + resized.shape[0], x0 : x0 + resized.shape[1]] = resized
    return canvas


def kiosk_frames(
    models: FaceModels, portrait: RGBImage, count: int, seed: int = 7
) -> list[RGBImage]:
    """A traveller in front of the camera, synthesised from a portrait (see module doc)."""
    found = process_still(models, portrait, embed=False)
    if found.face is None:
        raise ValueError("no face in the portrait used to synthesise kiosk frames")
    ied = found.quality.measures.ied if found.quality.measures else 60.0
    eyes = found.face.points[36:48].mean(axis=0)
    rng = np.random.default_rng(seed)
    width, height = FRAME_SIZE
    frames = []
    for k in range(count):
        phase = 2 * math.pi * k / max(count, 1)
        scale = 92.0 / ied * (1.0 + 0.04 * math.sin(phase))
        angle = 3.0 * math.sin(2 * phase)
        centre = (width / 2 + 12 * math.sin(phase), height * 0.42 + 6 * math.cos(phase))
        matrix = cv2.getRotationMatrix2D((float(eyes[0]), float(eyes[1])), angle, scale)
        matrix[:, 2] += np.array(centre) - eyes
        frame = cv2.warpAffine(portrait, matrix, FRAME_SIZE, borderMode=cv2.BORDER_REPLICATE)
        noise = rng.normal(0.0, 3.0, frame.shape)
        frames.append(np.clip(frame + noise, 0, 255).astype(np.uint8))
    return frames


@dataclass
class LoopFigures:
    frames: int
    seconds: float
    stage_ms: dict[Stage, float]
    stage_calls: dict[Stage, int]

    def as_json(self) -> dict[str, Any]:
        return {
            "frames": self.frames,
            "fps": round(self.frames / self.seconds, 1) if self.seconds else None,
            "ms_per_frame": round(1000 * self.seconds / max(self.frames, 1), 2),
            "stage_ms_per_call": {
                s.value: round(self.stage_ms[s] / self.stage_calls[s], 2) for s in self.stage_ms
            },
            "stage_ms_per_frame": {
                s.value: round(self.stage_ms[s] / max(self.frames, 1), 2) for s in self.stage_ms
            },
            "stage_calls": {s.value: self.stage_calls[s] for s in self.stage_calls},
        }


def guidance_loop(models: FaceModels, frames: Sequence[RGBImage]) -> LoopFigures:
    pipeline = LivePipeline(models)
    ms: dict[Stage, float] = {}
    calls: dict[Stage, int] = {}
    started = time.perf_counter()
    for k, frame in enumerate(frames):
        result = pipeline.process(frame, k / CAMERA_FPS)
        for stage, value in result.timings.items():
            ms[stage] = ms.get(stage, 0.0) + value
            calls[stage] = calls.get(stage, 0) + 1
    return LoopFigures(len(frames), time.perf_counter() - started, ms, calls)


def presented_to_decision(
    models: FaceModels, frames: Sequence[RGBImage], reference: RGBImage
) -> dict[str, Any]:
    """Camera at 30 fps from the face's first frame; the reference is embedded beforehand
    (while the chip is read), its cost reported separately."""
    clock = Timings()
    started = time.perf_counter()
    ref = process_still(models, reference, timings=clock)
    reference_ms = (time.perf_counter() - started) * 1000
    pipeline = LivePipeline(models)
    best = BestFrames()
    done = 0.0  # ms, simulated wall clock: frames arrive every 1/30 s
    used = 0
    for k, frame in enumerate(frames):
        arrival = 1000.0 * k / CAMERA_FPS
        t0 = time.perf_counter()
        result = pipeline.process(frame, k / CAMERA_FPS)
        best.offer(result, frame)
        done = max(done, arrival) + (time.perf_counter() - t0) * 1000
        used = k + 1
        if best.ready or best.expired:
            break
    t0 = time.perf_counter()
    embed_clock = Timings()
    live = embed_selected(models, best.selected(), timings=embed_clock)
    outcome = verify(live, ref)
    decide_ms = (time.perf_counter() - t0) * 1000
    return {
        "frames_used": used,
        "capture_ms": round(done, 1),
        "embed_and_decide_ms": round(decide_ms, 1),
        "embedded_frames": len(live.embeddings) if live else 0,
        "ms_per_embedded_frame": round(
            (embed_clock.ms.get(Stage.EMBED, 0.0) + embed_clock.ms.get(Stage.ALIGN, 0.0))
            / max(len(live.embeddings) if live else 1, 1),
            1,
        ),
        "presented_to_decision_ms": round(done + decide_ms, 1),
        "reference_embedding_ms": round(reference_ms, 1),
        "decision": outcome.decision.value,
        "score": None if outcome.score is None else round(outcome.score, 4),
    }


def baseline_loop(baseline: Baseline, frames: Sequence[RGBImage]) -> dict[str, Any]:
    fr = baseline.module
    detect_ms = encode_ms = 0.0
    encoded = 0
    started = time.perf_counter()
    for frame in frames:
        t0 = time.perf_counter()
        locations = fr.face_locations(frame)
        t1 = time.perf_counter()
        encodings = fr.face_encodings(frame, locations)
        t2 = time.perf_counter()
        detect_ms += (t1 - t0) * 1000
        encode_ms += (t2 - t1) * 1000
        encoded += len(encodings)
    seconds = time.perf_counter() - started
    n = max(len(frames), 1)
    return {
        "frames": len(frames),
        "fps": round(len(frames) / seconds, 1) if seconds else None,
        "ms_per_frame": round(1000 * seconds / n, 2),
        "detect_ms_per_frame": round(detect_ms / n, 2),
        "encode_ms_per_frame": round(encode_ms / n, 2),
        "faces_encoded": encoded,
    }


def load_rgb(path: Path) -> RGBImage:
    return load_image(path).rgb

"""The live guidance loop: detect or track → landmarks → quality, one frame at a time.

Detection runs on a downscaled grey frame every ``redetect_every`` frames (or
when the track is lost); in between, a correlation tracker follows the face.
No embedding happens here: :mod:`biometrics.face.capture` keeps the best frames
and embeds only those. One pipeline per camera and thread (dlib is not
thread-safe); it keeps the previous frame's landmarks to measure motion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from biometrics.face.detect import Box, Detection, GrayImage, detect_faces, landmarks68
from biometrics.face.geometry import Points, face_box_from_points, inter_eye_distance
from biometrics.face.imageio import RGBImage, to_gray
from biometrics.face.measures import measure_face
from biometrics.face.models import FaceModels
from biometrics.face.params import LIVE_DETECTION, QUALITY, LiveDetectionParams, QualityParams
from biometrics.face.quality import QualityReport, assess, no_face_report
from biometrics.face.trace import NULL_SINK, Stage, Timings, TraceEvent, TraceSink
from biometrics.face.track import FaceTracker


class BoxSource(StrEnum):
    DETECTOR = "detector"
    TRACKER = "tracker"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class FrameResult:
    index: int
    timestamp: float  # seconds, from the caller's clock
    face_count: int  # faces seen by the last detection
    box: Box | None
    points: Points | None
    quality: QualityReport
    source: BoxSource
    timings: dict[Stage, float] = field(default_factory=dict)

    @property
    def has_face(self) -> bool:
        return self.points is not None


class LivePipeline:
    """Feed frames with :meth:`process`; read guidance from each result's quality."""

    def __init__(
        self,
        models: FaceModels,
        *,
        detection: LiveDetectionParams = LIVE_DETECTION,
        quality: QualityParams = QUALITY,
        sink: TraceSink = NULL_SINK,
    ) -> None:
        self._models = models
        self._det = detection
        self._quality = quality
        self._sink = sink
        self._tracker = FaceTracker()
        self._index = -1
        self._since_detection = 0
        self._face_count = 0
        self._last_box: Box | None = None
        self._last_points: Points | None = None

    def reset(self) -> None:
        """Forget the current face (a new traveller)."""
        self._tracker.stop()
        self._since_detection = 0
        self._face_count = 0
        self._last_box = None
        self._last_points = None

    def process(self, frame: RGBImage, timestamp: float) -> FrameResult:
        self._index += 1
        timings = Timings()
        gray = to_gray(frame) if frame.ndim == 3 else frame
        box, source = self._locate(gray, timings)
        if box is None:
            self._last_points = None
            return self._result(timestamp, None, None, no_face_report(self._face_count), timings)
        with timings.measure(Stage.LANDMARKS):
            points = landmarks68(self._models, gray, box)
        if source is BoxSource.TRACKER and _drifted(box, points, self._det.max_landmark_box_drift):
            self._tracker.stop()  # the tracker slid off the face: detect again
            box, source = self._locate(gray, timings)
            if box is None:
                self._last_points = None
                report = no_face_report(self._face_count)
                return self._result(timestamp, None, None, report, timings)
            with timings.measure(Stage.LANDMARKS):
                points = landmarks68(self._models, gray, box)
        self._sink.record(TraceEvent(self._index, Stage.LANDMARKS, {"points": points}))
        with timings.measure(Stage.QUALITY):
            motion = None
            if self._last_points is not None:
                travel = float(np.median(np.linalg.norm(points - self._last_points, axis=1)))
                motion = travel / max(inter_eye_distance(points), 1.0)
            report = assess(
                measure_face(gray, points),
                face_count=self._face_count,
                motion=motion,
                frame_width=gray.shape[1],
                params=self._quality,
            )
        self._sink.record(TraceEvent(self._index, Stage.QUALITY, {"report": report}))
        self._last_box, self._last_points = box, points
        return self._result(timestamp, box, points, report, timings, source)

    def _locate(self, gray: GrayImage, timings: Timings) -> tuple[Box | None, BoxSource]:
        if self._tracker.active and self._since_detection < self._det.redetect_every:
            with timings.measure(Stage.TRACK):
                box, confidence = self._tracker.update(gray)
            self._sink.record(TraceEvent(self._index, Stage.TRACK, {"box": box, "psr": confidence}))
            self._since_detection += 1
            if confidence >= self._det.tracker_min_psr:
                return box, BoxSource.TRACKER
            self._tracker.stop()
        scale = self._detection_scale()
        with timings.measure(Stage.DETECT):
            found = detect_faces(self._models, gray, scale=scale)[: self._det.max_faces]
        self._sink.record(TraceEvent(self._index, Stage.DETECT, {"faces": found, "scale": scale}))
        self._since_detection = 0
        self._face_count = len(found)
        if not found:
            self._tracker.stop()
            self._last_box = None
            return None, BoxSource.NONE
        chosen = self._follow(found)
        with timings.measure(Stage.TRACK):
            self._tracker.start(gray, chosen.box, scale=scale)
        return chosen.box, BoxSource.DETECTOR

    def _detection_scale(self) -> float:
        if self._last_box is None:
            return self._det.search_scale
        wanted = self._det.min_face_at_detector / max(self._last_box.width, 1.0)
        return min(self._det.search_scale, max(self._det.min_scale, wanted))

    def _follow(self, found: list[Detection]) -> Detection:
        """The face we were following if it is still there, else the largest."""
        if self._last_box is not None:
            best = max(found, key=lambda d: d.box.iou(self._last_box) if self._last_box else 0.0)
            if best.box.iou(self._last_box) > 0.3:
                return best
        return found[0]

    def _result(
        self,
        timestamp: float,
        box: Box | None,
        points: Points | None,
        report: QualityReport,
        timings: Timings,
        source: BoxSource = BoxSource.NONE,
    ) -> FrameResult:
        return FrameResult(
            index=self._index,
            timestamp=timestamp,
            face_count=self._face_count,
            box=box,
            points=points,
            quality=report,
            source=source,
            timings=dict(timings.ms),
        )


def _drifted(box: Box, points: Points, limit: float) -> bool:
    left, top, right, bottom = face_box_from_points(points)
    return box.iou(Box(left, top, right, bottom)) < 1.0 - limit

"""Camera calibration: focus sweep, exposure histogram, white balance, face size.

:func:`calibrate_camera` reads frames from a :class:`devices.base.Camera` and
measures, on whole frames:

- **focus**: sharpness (variance of the Laplacian) of every frame; where the
  driver offers manual focus (:class:`devices.base.FocusControl`), a coarse
  sweep over its range then a fine one around the best value, the sharpest
  focus value recommended (and left set);
- **exposure**: mean, spread, percentiles and clipped fractions of the grey
  histogram; the recommended exposure scale brings the median frame's mean to
  :data:`TARGET_BRIGHTNESS`;
- **white balance**: grey-world gains per channel (B, G, R with green = 1);
- **face size**: inter-eye distance in pixels of the person standing at the
  standard distance, when a face measure is given (the face models are optional:
  without them the figure is reported as not measured, never guessed).

The result is JSON-ready and turns into the ``[calibration.camera.<id>]``
settings of :class:`models.settings.CameraCalibration`.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from devices.base import Camera, Capability, FocusControl, Image, Retry
from models.errors import DeviceTimeoutError
from models.settings import CameraCalibration

from . import imagestats

TARGET_BRIGHTNESS = 128.0  # mean grey of a well-exposed frame
BRIGHTNESS_BAND = (90.0, 170.0)  # outside this the exposure needs changing
MAX_CLIPPED = 0.02  # more than 2% clipped shadows or highlights is too much
MAX_CAST = 0.10  # a white-balance gain more than 10% off 1.0 is a visible colour cast
MIN_SHARPNESS = 100.0  # variance of the Laplacian below this: blurred (test card, 640x480)
IED_TARGET = (90.0, 250.0)  # px at the standard distance (ICAO minimum 90; too close above)

FaceMeasure = Callable[[Image], float | None]  # frame -> inter-eye distance in px, None: no face


@dataclass(frozen=True, slots=True)
class CalibrationParams:
    frames: int = 15  # frames measured at the final setting
    sweep_points: int = 11  # coarse focus sweep
    fine_points: int = 5  # fine sweep around the best coarse value
    frames_per_focus: int = 2  # sharpness at one focus value: median of this many frames
    settle_frames: int = 1  # frames dropped after a focus change
    read_timeout_s: float = 2.0
    max_retries: int = 30  # Retry outcomes (dark frame, no frame) before giving up


@dataclass
class _Reader:
    camera: Camera
    params: CalibrationParams
    retries: Counter[str] = field(default_factory=Counter)

    def frame(self) -> Image:
        while True:
            got = self.camera.read(self.params.read_timeout_s)
            if not isinstance(got, Retry):
                return got.image
            self.retries[got.reason.value] += 1
            if sum(self.retries.values()) > self.params.max_retries:
                raise DeviceTimeoutError(
                    f"camera {self.camera.info.device_id}: no usable frame ({dict(self.retries)})",
                    device_id=self.camera.info.device_id,
                    timeout_s=self.params.read_timeout_s,
                )

    def frames(self, count: int) -> list[Image]:
        return [self.frame() for _ in range(count)]


def _sweep_values(low: float, high: float, points: int) -> list[float]:
    if points < 2:
        return [(low + high) / 2]
    step = (high - low) / (points - 1)
    return [round(low + k * step, 4) for k in range(points)]


def _focus_sweep(reader: _Reader, focus: FocusControl, params: CalibrationParams) -> dict[str, Any]:
    low, high = focus.focus_range()

    def measure(values: Sequence[float]) -> list[tuple[float, float]]:
        points = []
        for value in values:
            focus.set_focus(value)
            reader.frames(params.settle_frames)
            scores = [imagestats.sharpness(f) for f in reader.frames(params.frames_per_focus)]
            points.append((value, statistics.median(scores)))
        return points

    coarse = measure(_sweep_values(low, high, params.sweep_points))
    best = max(coarse, key=lambda p: p[1])[0]
    step = (high - low) / max(params.sweep_points - 1, 1)
    fine_low, fine_high = max(low, best - step), min(high, best + step)
    fine = measure(_sweep_values(fine_low, fine_high, params.fine_points))
    points = sorted(dict([*coarse, *fine]).items())  # a value in both: the fine reading
    best_value, best_score = max(points, key=lambda p: p[1])
    peak = _peak(points)
    focus.set_focus(peak)
    return {
        "supported": True,
        "range": [low, high],
        "points": [{"focus": v, "sharpness": round(s, 2)} for v, s in points],
        "best_measured": best_value,
        "best_sharpness": round(best_score, 2),
        "best_focus": peak,
    }


def _peak(points: Sequence[tuple[float, float]]) -> float:
    """The sharpness peak between the sharpest point and its neighbours: the vertex of a
    parabola through their log sharpness (near focus the curve is flat, and frame-to-frame
    noise alone would pick either side of it)."""
    k = max(range(len(points)), key=lambda i: points[i][1])
    if k == 0 or k == len(points) - 1:
        return points[k][0]
    (x0, y0), (x1, y1), (x2, y2) = ((x, math.log(max(y, 1e-6))) for x, y in points[k - 1 : k + 2])
    denominator = (x0 - x1) * (x0 - x2) * (x1 - x2)
    a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / denominator
    b = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / denominator
    if a >= 0:
        return points[k][0]
    return round(min(max(-b / (2 * a), x0), x2), 1)


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def calibrate_camera(
    camera: Camera,
    *,
    params: CalibrationParams | None = None,
    face_measure: FaceMeasure | None = None,
) -> dict[str, Any]:
    """Measure ``camera`` and recommend settings (JSON-ready; see the module docstring)."""
    params = params or CalibrationParams()
    started = time.monotonic()
    reader = _Reader(camera, params)
    caps = camera.capabilities
    if Capability.FOCUS_CONTROL in caps and isinstance(camera, FocusControl):
        focus: dict[str, Any] = _focus_sweep(reader, camera, params)
    else:
        focus = {"supported": False, "reason": "the driver has no manual focus control"}
    frames = reader.frames(params.frames)
    sharp = [imagestats.sharpness(f) for f in frames]
    exposures = [imagestats.exposure(f) for f in frames]
    gains = [imagestats.grey_world_gains(f) for f in frames]
    middle = sorted(exposures, key=lambda e: e.mean)[len(exposures) // 2]
    gain = tuple(round(_median([g[k] for g in gains]), 4) for k in range(3))
    scale = min(max(TARGET_BRIGHTNESS / max(middle.mean, 1.0), 0.0625), 16.0)
    face = _face_size(frames, face_measure)
    height, width = frames[0].shape[:2]
    advice = _advice(middle, _median(sharp), gain, face.get("inter_eye_px"))
    recommended = CameraCalibration(
        focus=focus.get("best_focus"),
        exposure_scale=round(scale, 3),
        white_balance_gains=(gain[0], gain[1], gain[2]),
        brightness_mean=round(middle.mean, 2),
        sharpness=round(_median(sharp), 2),
        inter_eye_px=face.get("inter_eye_px"),
    )
    return {
        "device_id": camera.info.device_id,
        "backend": camera.info.backend,
        "frames": len(frames),
        "resolution": [int(width), int(height)],
        "capabilities": sorted(c.value for c in caps),
        "focus": {**focus, "sharpness_median": round(_median(sharp), 2)},
        "exposure": middle.as_json(),
        "white_balance": {"gains_bgr": list(gain), "cast": _cast(gain)},
        "face": face,
        "retries": dict(reader.retries),
        "advice": advice,
        "ok": not advice,
        "recommended": recommended.model_dump(
            mode="json", exclude={"calibrated_at", "calibrated_by"}
        ),
        "duration_ms": round((time.monotonic() - started) * 1000, 1),
    }


def _face_size(frames: Sequence[Image], measure: FaceMeasure | None) -> dict[str, Any]:
    if measure is None:
        return {"measured": False, "reason": "no face models loaded"}
    found = [d for d in (measure(f) for f in frames) if d is not None]
    if not found:
        return {"measured": True, "faces": 0, "inter_eye_px": None}
    ied = round(_median(found), 1)
    return {
        "measured": True,
        "faces": len(found),
        "inter_eye_px": ied,
        "target_px": list(IED_TARGET),
    }


def _cast(gains: Sequence[float]) -> str:
    b, _, r = gains
    if abs(b - 1) <= MAX_CAST and abs(r - 1) <= MAX_CAST:
        return "neutral"
    # a gain above 1 means the channel is weak: the picture leans the other way
    return "warm" if b > r else "cool"


def _advice(
    e: imagestats.Exposure, sharp: float, gains: Sequence[float], ied: float | None
) -> list[str]:
    """Machine codes the UI translates; empty when the camera is fine."""
    codes = []
    if e.mean < BRIGHTNESS_BAND[0]:
        codes.append("increase_exposure")
    elif e.mean > BRIGHTNESS_BAND[1]:
        codes.append("decrease_exposure")
    if e.clipped_high > MAX_CLIPPED:
        codes.append("highlights_clipped")
    if e.clipped_low > MAX_CLIPPED:
        codes.append("shadows_clipped")
    if sharp < MIN_SHARPNESS:
        codes.append("out_of_focus")
    if _cast(gains) != "neutral":
        codes.append("white_balance")
    if ied is not None:
        if ied < IED_TARGET[0]:
            codes.append("face_too_small")
        elif ied > IED_TARGET[1]:
            codes.append("face_too_large")
    return codes


def face_measure_from_models(models: Any) -> FaceMeasure:
    """A :data:`FaceMeasure` over the face detector (``biometrics.face`` models)."""
    import cv2

    from biometrics.face.api import as_rgb, detect
    from biometrics.face.geometry import inter_eye_distance

    def measure(frame: Image) -> float | None:
        rgb = as_rgb(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB) if frame.ndim == 3 else frame)
        face = detect(models, rgb)
        return None if face is None else float(inter_eye_distance(face.points))

    return measure

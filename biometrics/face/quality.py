"""Face image quality in the spirit of ISO/IEC 29794-5: components, unified score, guidance.

Each component maps one measured value to 0-100 by a ramp whose ends are in
:class:`~biometrics.face.params.QualityParams`. The unified score is the
weighted geometric mean of the components, so a single zero (no face, eyes
shut) makes the frame unusable whatever the rest. Guidance codes tell the UI
what the traveller should do; directions are from the traveller's point of
view for a camera that faces them and is not mirrored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from biometrics.face.measures import FaceMeasures
from biometrics.face.params import QUALITY, QualityParams


class Component(StrEnum):
    FACE_COUNT = "face_count"
    EYE_DISTANCE = "eye_distance"
    YAW = "yaw"
    PITCH = "pitch"
    ROLL = "roll"
    SHARPNESS = "sharpness"
    EXPOSURE = "exposure"
    CONTRAST = "contrast"
    LIGHT_UNIFORMITY = "light_uniformity"
    EYES_OPEN = "eyes_open"
    MOUTH_CLOSED = "mouth_closed"
    CENTRED = "centred"
    NO_GLASSES = "no_glasses"
    STILLNESS = "stillness"


class Guidance(StrEnum):
    """What the traveller should do, most urgent first in a report's list."""

    NO_FACE = "no_face"
    ONE_PERSON_ONLY = "one_person_only"
    COME_CLOSER = "come_closer"
    MOVE_BACK = "move_back"
    MOVE_LEFT = "move_left"  # the traveller's own left
    MOVE_RIGHT = "move_right"
    MOVE_UP = "move_up"  # raise the face (stand up straight)
    MOVE_DOWN = "move_down"
    LOOK_STRAIGHT = "look_straight"  # yaw or pitch off
    STRAIGHTEN_HEAD = "straighten_head"  # roll off
    KEEP_STILL = "keep_still"  # motion or blur
    MORE_LIGHT = "more_light"
    LESS_LIGHT = "less_light"
    EVEN_LIGHT = "even_light"  # one side of the face in shadow
    OPEN_EYES = "open_eyes"
    CLOSE_MOUTH = "close_mouth"
    REMOVE_GLASSES = "remove_glasses"


# Weights of the unified score (geometric mean); identity-relevant components weigh most.
WEIGHTS: Mapping[Component, float] = {
    Component.FACE_COUNT: 1.0,
    Component.EYE_DISTANCE: 1.5,
    Component.YAW: 1.5,
    Component.PITCH: 1.0,
    Component.ROLL: 0.5,
    Component.SHARPNESS: 1.5,
    Component.EXPOSURE: 1.0,
    Component.CONTRAST: 0.5,
    Component.LIGHT_UNIFORMITY: 0.5,
    Component.EYES_OPEN: 1.0,
    Component.MOUTH_CLOSED: 0.3,
    Component.CENTRED: 0.3,
    Component.NO_GLASSES: 0.3,
    Component.STILLNESS: 1.0,
}


@dataclass(frozen=True, slots=True)
class QualityReport:
    """Component scores (0-100), the unified score and the guidance, most urgent first."""

    face_count: int
    components: Mapping[Component, float]
    unified: float
    guidance: tuple[Guidance, ...]
    measures: FaceMeasures | None = field(default=None, repr=False)

    @property
    def usable(self) -> bool:
        return self.unified > 0 and self.face_count == 1


def ramp(value: float, zero: float, full: float) -> float:
    """0 at ``zero``, 100 at ``full``, linear between, clamped (works in either direction)."""
    if zero == full:
        return 100.0 if value >= full else 0.0
    return 100.0 * min(1.0, max(0.0, (value - zero) / (full - zero)))


def no_face_report(face_count: int) -> QualityReport:
    """The report of a frame with no face, or with more than one."""
    code = Guidance.NO_FACE if face_count == 0 else Guidance.ONE_PERSON_ONLY
    return QualityReport(
        face_count=face_count,
        components={Component.FACE_COUNT: 0.0},
        unified=0.0,
        guidance=(code,),
    )


def assess(
    measures: FaceMeasures,
    *,
    face_count: int = 1,
    motion: float | None = None,
    frame_width: int | None = None,
    params: QualityParams = QUALITY,
) -> QualityReport:
    """Score one face. ``motion`` (landmark travel since the last frame / IED) only in video."""
    p = params
    scores: dict[Component, float] = {
        Component.FACE_COUNT: 100.0 if face_count == 1 else 0.0,
        Component.EYE_DISTANCE: ramp(measures.ied, p.ied_zero, p.ied_full),
        Component.YAW: ramp(abs(measures.yaw), p.yaw_zero, p.yaw_full),
        Component.PITCH: ramp(abs(measures.pitch), p.pitch_zero, p.pitch_full),
        Component.ROLL: ramp(abs(measures.roll), p.roll_zero, p.roll_full),
        Component.SHARPNESS: ramp(measures.blur, p.blur_zero, p.blur_full),
        Component.EXPOSURE: min(
            ramp(measures.exposure, p.exposure_low_zero, p.exposure_low_full),
            ramp(measures.exposure, p.exposure_high_zero, p.exposure_high_full),
            ramp(measures.clipped, p.clipped_zero, 0.0),
        ),
        Component.CONTRAST: ramp(measures.contrast, p.contrast_zero, p.contrast_full),
        Component.LIGHT_UNIFORMITY: ramp(measures.uniformity, p.uniformity_zero, p.uniformity_full),
        Component.EYES_OPEN: ramp(measures.eye_openness, p.ear_zero, p.ear_full),
        Component.MOUTH_CLOSED: ramp(measures.mouth_opening, p.mouth_zero, p.mouth_full),
        Component.CENTRED: ramp(
            max(abs(measures.centre_offset[0]), abs(measures.centre_offset[1])),
            p.centre_zero,
            p.centre_full,
        ),
        Component.NO_GLASSES: ramp(measures.glasses, p.glasses_zero, p.glasses_full),
    }
    if motion is not None:
        scores[Component.STILLNESS] = ramp(motion, p.motion_zero, p.motion_full)
    too_close = frame_width is not None and measures.ied > p.ied_too_close_fraction * frame_width
    return QualityReport(
        face_count=face_count,
        components=scores,
        unified=unified_score(scores),
        guidance=_guidance(measures, scores, too_close=too_close, params=p),
        measures=measures,
    )


def unified_score(scores: Mapping[Component, float]) -> float:
    """Weighted geometric mean of the component scores (0 if any component is 0)."""
    total = sum(WEIGHTS[c] for c in scores)
    if total <= 0:
        return 0.0
    log_sum = 0.0
    for component, score in scores.items():
        if score <= 0:
            return 0.0
        log_sum += WEIGHTS[component] * math.log(score / 100.0)
    return round(100.0 * math.exp(log_sum / total), 2)


def _guidance(
    m: FaceMeasures,
    s: Mapping[Component, float],
    *,
    too_close: bool,
    params: QualityParams,
) -> tuple[Guidance, ...]:
    low = params.guidance_below
    codes: list[Guidance] = []
    if s[Component.FACE_COUNT] < low:
        codes.append(Guidance.ONE_PERSON_ONLY)
    if too_close:
        codes.append(Guidance.MOVE_BACK)
    elif s[Component.EYE_DISTANCE] < low:
        codes.append(Guidance.COME_CLOSER)
    if s[Component.CENTRED] < low:
        dx, dy = m.centre_offset
        if abs(dx) >= abs(dy):
            # Face at image-left = the traveller stands too far to their right.
            codes.append(Guidance.MOVE_LEFT if dx < 0 else Guidance.MOVE_RIGHT)
        else:
            codes.append(Guidance.MOVE_DOWN if dy < 0 else Guidance.MOVE_UP)
    if min(s[Component.YAW], s[Component.PITCH]) < low:
        codes.append(Guidance.LOOK_STRAIGHT)
    if s[Component.ROLL] < low:
        codes.append(Guidance.STRAIGHTEN_HEAD)
    if min(s[Component.SHARPNESS], s.get(Component.STILLNESS, 100.0)) < low:
        codes.append(Guidance.KEEP_STILL)
    if s[Component.EXPOSURE] < low:
        codes.append(Guidance.MORE_LIGHT if m.exposure < 128 else Guidance.LESS_LIGHT)
    elif s[Component.CONTRAST] < low:
        codes.append(Guidance.MORE_LIGHT)
    if s[Component.LIGHT_UNIFORMITY] < low:
        codes.append(Guidance.EVEN_LIGHT)
    if s[Component.EYES_OPEN] < low:
        codes.append(Guidance.OPEN_EYES)
    if s[Component.MOUTH_CLOSED] < low:
        codes.append(Guidance.CLOSE_MOUTH)
    if s[Component.NO_GLASSES] < low:
        codes.append(Guidance.REMOVE_GLASSES)
    return tuple(codes)

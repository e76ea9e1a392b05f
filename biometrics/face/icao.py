"""ICAO portrait compliance report for enrolment photos (rule by rule, passed or failed).

The limits are those commonly cited from ISO/IEC 19794-5:2005 (full frontal)
and ICAO Doc 9303 Part 3 (see :class:`~biometrics.face.params.IcaoLimits`). The
head width and length are estimated from landmarks (ears from the jaw line,
crown from twice the eyes-to-chin distance), so these two rules are advisory.
Measured-from-pixels rules reuse the quality components.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from biometrics.face.params import ICAO, IcaoLimits
from biometrics.face.quality import Component, QualityReport


class Rule(StrEnum):
    SINGLE_FACE = "single_face"
    EYE_DISTANCE = "eye_distance"
    YAW = "yaw"
    PITCH = "pitch"
    ROLL = "roll"
    HORIZONTALLY_CENTRED = "horizontally_centred"
    EYE_LINE_HEIGHT = "eye_line_height"
    HEAD_WIDTH = "head_width"
    HEAD_LENGTH = "head_length"
    SHARP = "sharp"
    EXPOSURE = "exposure"
    UNIFORM_LIGHTING = "uniform_lighting"
    EYES_OPEN = "eyes_open"
    MOUTH_CLOSED = "mouth_closed"
    NO_GLASSES = "no_glasses"


# Rules whose failure does not make the portrait non-compliant on its own.
ADVISORY = frozenset({Rule.HEAD_WIDTH, Rule.HEAD_LENGTH, Rule.NO_GLASSES})


@dataclass(frozen=True, slots=True)
class RuleResult:
    rule: Rule
    passed: bool
    value: float | None  # the measured value (None when no face)
    limit: str  # the requirement, human-readable for the officer's report
    advisory: bool


@dataclass(frozen=True, slots=True)
class ComplianceReport:
    results: tuple[RuleResult, ...]

    @property
    def compliant(self) -> bool:
        return all(r.passed for r in self.results if not r.advisory)

    @property
    def failed(self) -> tuple[Rule, ...]:
        return tuple(r.rule for r in self.results if not r.passed)


def icao_report(quality: QualityReport, limits: IcaoLimits = ICAO) -> ComplianceReport:
    """Check a still's quality report against the portrait rules."""
    m = quality.measures
    single = RuleResult(
        Rule.SINGLE_FACE, quality.face_count == 1, float(quality.face_count), "exactly 1", False
    )
    if m is None:
        return ComplianceReport((single,))
    comp = quality.components
    floor = limits.min_component

    def component(rule: Rule, which: Component, value: float) -> RuleResult:
        return RuleResult(
            rule, comp.get(which, 0.0) >= floor, value, f"score >= {floor:g}", rule in ADVISORY
        )

    rows = [
        single,
        RuleResult(
            Rule.EYE_DISTANCE, m.ied >= limits.min_ied, m.ied, f">= {limits.min_ied:g} px", False
        ),
        RuleResult(
            Rule.YAW, abs(m.yaw) <= limits.max_yaw, m.yaw, f"|yaw| <= {limits.max_yaw:g}°", False
        ),
        RuleResult(
            Rule.PITCH,
            abs(m.pitch) <= limits.max_pitch,
            m.pitch,
            f"|pitch| <= {limits.max_pitch:g}°",
            False,
        ),
        RuleResult(
            Rule.ROLL,
            abs(m.roll) <= limits.max_roll,
            m.roll,
            f"|roll| <= {limits.max_roll:g}°",
            False,
        ),
        _range_rule(Rule.HORIZONTALLY_CENTRED, 0.5 + m.centre_offset[0], limits.centre_x),
        _range_rule(Rule.EYE_LINE_HEIGHT, m.eyes_from_top, limits.eyes_from_top),
        _range_rule(Rule.HEAD_WIDTH, m.head_width, limits.head_width),
        _range_rule(Rule.HEAD_LENGTH, m.head_length, limits.head_length),
        component(Rule.SHARP, Component.SHARPNESS, m.blur),
        component(Rule.EXPOSURE, Component.EXPOSURE, m.exposure),
        component(Rule.UNIFORM_LIGHTING, Component.LIGHT_UNIFORMITY, m.uniformity),
        component(Rule.EYES_OPEN, Component.EYES_OPEN, m.eye_openness),
        component(Rule.MOUTH_CLOSED, Component.MOUTH_CLOSED, m.mouth_opening),
        component(Rule.NO_GLASSES, Component.NO_GLASSES, m.glasses),
    ]
    return ComplianceReport(tuple(rows))


def _range_rule(rule: Rule, value: float, bounds: tuple[float, float]) -> RuleResult:
    return RuleResult(
        rule,
        bounds[0] <= value <= bounds[1],
        value,
        f"{bounds[0]:g} to {bounds[1]:g} of the image",
        rule in ADVISORY,
    )

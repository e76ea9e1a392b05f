"""Quality components, unified score, guidance codes and the ICAO report."""

from __future__ import annotations

import dataclasses

import pytest

from biometrics.face.icao import Rule, icao_report
from biometrics.face.measures import FaceMeasures
from biometrics.face.quality import (
    Component,
    Guidance,
    assess,
    no_face_report,
    ramp,
    unified_score,
)

GOOD = FaceMeasures(
    ied=110.0,
    yaw=1.0,
    pitch=-2.0,
    roll=0.5,
    blur=0.80,
    exposure=130.0,
    clipped=0.0,
    contrast=110.0,
    uniformity=0.92,
    brighter_side=0,
    eye_openness=0.30,
    mouth_opening=0.03,
    centre_offset=(0.01, -0.08),
    eyes_from_top=0.42,
    head_width=0.6,
    head_length=0.75,
    glasses=0.05,
)


def good(**changes: object) -> FaceMeasures:
    return dataclasses.replace(GOOD, **changes)  # type: ignore[arg-type]


def test_ramp_both_directions_and_clamped() -> None:
    assert ramp(30, 30, 90) == 0 and ramp(90, 30, 90) == 100 and ramp(60, 30, 90) == 50
    assert ramp(0.5, 0.9, 0.8) == 100 and ramp(0.95, 0.9, 0.8) == 0
    assert ramp(200, 30, 90) == 100


def test_a_good_face_scores_high_without_guidance() -> None:
    report = assess(good(), motion=0.0, frame_width=640)
    assert report.unified > 90
    assert report.guidance == ()
    assert all(0 <= s <= 100 for s in report.components.values())
    assert report.usable


@pytest.mark.parametrize(
    ("changes", "component", "code"),
    [
        ({"ied": 40.0}, Component.EYE_DISTANCE, Guidance.COME_CLOSER),
        ({"yaw": 22.0}, Component.YAW, Guidance.LOOK_STRAIGHT),
        ({"pitch": -20.0}, Component.PITCH, Guidance.LOOK_STRAIGHT),
        ({"roll": 22.0}, Component.ROLL, Guidance.STRAIGHTEN_HEAD),
        ({"blur": 0.93}, Component.SHARPNESS, Guidance.KEEP_STILL),
        ({"exposure": 50.0}, Component.EXPOSURE, Guidance.MORE_LIGHT),
        ({"exposure": 230.0}, Component.EXPOSURE, Guidance.LESS_LIGHT),
        ({"contrast": 30.0}, Component.CONTRAST, Guidance.MORE_LIGHT),
        ({"uniformity": 0.5}, Component.LIGHT_UNIFORMITY, Guidance.EVEN_LIGHT),
        ({"eye_openness": 0.14}, Component.EYES_OPEN, Guidance.OPEN_EYES),
        ({"mouth_opening": 0.4}, Component.MOUTH_CLOSED, Guidance.CLOSE_MOUTH),
        ({"glasses": 0.28}, Component.NO_GLASSES, Guidance.REMOVE_GLASSES),
        ({"centre_offset": (-0.3, 0.0)}, Component.CENTRED, Guidance.MOVE_LEFT),
        ({"centre_offset": (0.3, 0.0)}, Component.CENTRED, Guidance.MOVE_RIGHT),
        ({"centre_offset": (0.0, -0.3)}, Component.CENTRED, Guidance.MOVE_DOWN),
        ({"centre_offset": (0.0, 0.3)}, Component.CENTRED, Guidance.MOVE_UP),
    ],
)
def test_each_fault_lowers_its_component_and_gives_its_guidance(
    changes: dict[str, object], component: Component, code: Guidance
) -> None:
    baseline = assess(good())
    report = assess(good(**changes))
    assert report.components[component] < 50 <= baseline.components[component]
    assert code in report.guidance
    assert report.unified < baseline.unified


def test_motion_only_counts_in_video() -> None:
    assert Component.STILLNESS not in assess(good()).components
    moving = assess(good(), motion=0.2)
    assert moving.components[Component.STILLNESS] == 0
    assert Guidance.KEEP_STILL in moving.guidance
    assert moving.unified == 0


def test_too_close_asks_to_move_back() -> None:
    report = assess(good(ied=320.0), frame_width=640)
    assert Guidance.MOVE_BACK in report.guidance and Guidance.COME_CLOSER not in report.guidance


def test_faces_count() -> None:
    assert no_face_report(0).guidance == (Guidance.NO_FACE,)
    assert no_face_report(3).guidance == (Guidance.ONE_PERSON_ONLY,)
    two = assess(good(), face_count=2)
    assert two.unified == 0 and Guidance.ONE_PERSON_ONLY in two.guidance and not two.usable


def test_unified_is_a_weighted_geometric_mean() -> None:
    assert unified_score({Component.YAW: 100.0, Component.SHARPNESS: 100.0}) == 100
    half = unified_score({Component.YAW: 25.0, Component.SHARPNESS: 100.0})
    assert 25 < half < 100
    assert unified_score({Component.YAW: 0.0, Component.SHARPNESS: 100.0}) == 0


def test_guidance_is_ordered_most_urgent_first() -> None:
    report = assess(good(ied=40.0, glasses=0.29, yaw=22.0))
    codes = list(report.guidance)
    assert codes.index(Guidance.COME_CLOSER) < codes.index(Guidance.LOOK_STRAIGHT)
    assert codes.index(Guidance.LOOK_STRAIGHT) < codes.index(Guidance.REMOVE_GLASSES)


def test_icao_report_passes_a_compliant_portrait() -> None:
    report = icao_report(assess(good()))
    assert report.compliant, report.failed
    assert {r.rule for r in report.results} == set(Rule)


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"ied": 80.0}, Rule.EYE_DISTANCE),
        ({"yaw": 7.0}, Rule.YAW),
        ({"pitch": 6.0}, Rule.PITCH),
        ({"roll": 9.0}, Rule.ROLL),
        ({"centre_offset": (0.08, 0.0)}, Rule.HORIZONTALLY_CENTRED),
        ({"eyes_from_top": 0.6}, Rule.EYE_LINE_HEIGHT),
        ({"eye_openness": 0.12}, Rule.EYES_OPEN),
        ({"blur": 0.95}, Rule.SHARP),
        ({"uniformity": 0.4}, Rule.UNIFORM_LIGHTING),
    ],
)
def test_icao_report_names_the_failed_rule(changes: dict[str, object], rule: Rule) -> None:
    report = icao_report(assess(good(**changes)))
    assert rule in report.failed
    assert not report.compliant


def test_icao_advisory_rules_do_not_fail_compliance() -> None:
    report = icao_report(assess(good(glasses=0.29, head_width=0.9)))
    assert {Rule.NO_GLASSES, Rule.HEAD_WIDTH} <= set(report.failed)
    assert report.compliant


def test_icao_report_without_a_face() -> None:
    report = icao_report(no_face_report(0))
    assert report.failed == (Rule.SINGLE_FACE,)

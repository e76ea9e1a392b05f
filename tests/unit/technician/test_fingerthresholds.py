"""Fingerprint threshold calibration on synthetic scores: the point choice, pooling, the report,
the saved point, the folder layouts (no image is read: evalfinger's scoring is replaced)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from biometrics import evaluation
from biometrics.fingerprint import evalfinger
from biometrics.fingerprint.dataset import FvcSet
from biometrics.fingerprint.params import DUAL_VERIFICATION, FUSION, VERIFICATION
from biometrics.fingerprint.verify import (
    SHIPPED,
    Decision,
    decide,
    decide_fused,
    policy_from_settings,
)
from enrollment.technician import apply, fingerthresholds, savefile
from enrollment.technician.fingerthresholds import (
    calibrate_fingerprint,
    choose,
    load_finger_folder,
    round_up,
)
from models.errors import ConfigError
from models.roles import Principal, Role
from models.settings import (
    CalibrationSettings,
    CameraCalibration,
    FaceOperatingPoint,
    FingerprintOperatingPoint,
    load_settings,
)
from tests.unit.technician.conftest import open_audit

Curves = dict[str, tuple[np.ndarray, np.ndarray]]


def _set(name: str) -> FvcSet:
    return FvcSet(name, (Path(f"{name}.tif"),) * 8, ("1",) * 8, tuple(range(1, 9)))


def _scores(curves: dict[str, Curves]) -> Any:
    """A stand-in for evalfinger.evaluate: the given curves per set name."""

    def evaluate(dataset: FvcSet, **kwargs: Any) -> tuple[dict[str, Any], Curves]:
        assert kwargs["protocol"] == "all-pairs" and kwargs["baseline"] is False
        progress = kwargs.get("progress")
        if progress is not None:
            progress("extract", 8, 8)
        ours = curves[dataset.name][evalfinger.OURS]
        report = {
            "images": 8,
            "failures_to_extract": 0,
            "failure_reasons": {},
            "matchers": {evalfinger.OURS: {"eer": 0.0}, evalfinger.DUAL: {"eer": 0.0}},
            "size": ours[0].size,
        }
        return report, curves[dataset.name]

    return evaluate


def _curves(seed: int, genuine: int, impostor: int) -> Curves:
    rng = np.random.default_rng(seed)
    one = rng.uniform(0.02, 0.2, genuine), rng.uniform(0.0, 0.03, impostor)
    two = rng.uniform(0.04, 0.4, genuine // 2), rng.uniform(0.0, 0.05, impostor // 4)
    dual_one = rng.uniform(0.025, 0.2, genuine), rng.uniform(0.0, 0.027, impostor)
    dual_two = rng.uniform(0.05, 0.4, genuine // 2), rng.uniform(0.0, 0.045, impostor // 4)
    return {
        evalfinger.OURS: one,
        evalfinger.FUSED_SUM: two,
        evalfinger.DUAL: dual_one,
        evalfinger.DUAL_FUSED_SUM: dual_two,
    }


def test_round_up_never_lowers_a_threshold() -> None:
    for value in (0.0324, 0.02990000001, 1 / 3, 0.0, 0.1234565, 0.99999951):
        up = round_up(value)
        assert up >= value and up - value < 1.0000001e-6 and round(up, 6) == up


def test_the_accept_point_is_the_lowest_threshold_at_the_target_fmr() -> None:
    impostor = np.arange(1, 101) / 100.0  # 0.01 .. 1.00, one each
    # FMR 1% allows one impostor (1.00) at or above: just above 0.99, rounded up
    assert choose(impostor, 0.01, 1.0) == 0.990001
    assert choose(impostor, 0.05, 1.0) == 0.950001  # five allowed: 0.96 .. 1.00
    assert choose(impostor, 0.001, 2.0) == 1.000001  # none allowed: above every impostor
    assert choose(impostor, 0.001, 1.0) == 1.0  # the one-finger score's ceiling


def test_calibration_chooses_pools_and_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    curves = {"A": _curves(1, 300, 3000), "B": _curves(2, 100, 1000)}
    monkeypatch.setattr(evalfinger, "evaluate", _scores(curves))
    stages: list[str] = []
    result = calibrate_fingerprint(
        [_set("A"), _set("B")],
        target_fmr=0.001,
        progress=lambda stage, done, total: stages.append(stage),
    )
    assert stages == ["A: extract", "B: extract"]
    genuine = np.concatenate([curves[n][evalfinger.OURS][0] for n in "AB"])
    impostor = np.concatenate([curves[n][evalfinger.OURS][1] for n in "AB"])
    fused_g = np.concatenate([curves[n][evalfinger.FUSED_SUM][0] for n in "AB"])
    fused_i = np.concatenate([curves[n][evalfinger.FUSED_SUM][1] for n in "AB"])
    report, point = result.report, result.point
    assert report["dataset"] == "A+B" and [s["dataset"] for s in report["datasets"]] == ["A", "B"]
    assert (report["genuine_pairs"], report["impostor_pairs"]) == (400, 4000)
    assert report["fused"]["pairs"] == {"genuine": 200, "impostor": 1000}
    # 4,000 impostors at FMR 0.1%: four may score at or above accept, a fifth may not
    top = np.sort(impostor)[::-1]
    assert top[4] < point.accept <= top[3] and point.accept - top[4] <= 1e-6
    assert report["accept"]["fmr"] == 0.001 and report["accept"]["threshold"] == point.accept
    assert evaluation.rates(genuine, impostor, point.accept - 1e-6)[0] > 0.001
    # reject at 10x the target: FMR 1%, forty impostors allowed
    assert top[40] < point.reject <= top[39] and report["reject_fmr"] == 0.01
    # the two-finger points: 1,000 fused impostors, one allowed at 0.1%, ten at 1%
    fused_top = np.sort(fused_i)[::-1]
    assert fused_top[1] < point.fused_accept <= fused_top[0]
    assert fused_top[10] < point.fused_reject <= fused_top[9]
    fmr, fnmr = evaluation.rates(fused_g, fused_i, point.fused_accept)
    assert report["fused"]["accept"] == {
        "threshold": point.fused_accept,
        "fmr": round(fmr, 6),
        "fnmr": round(fnmr, 6),
    }
    assert report["resolution_limited"] is False and report["fused"]["resolution_limited"] is False
    assert report["warnings"] == []
    # the shipped points measured on the same scores
    current = report["current"]
    assert current["source"] == "shipped"
    assert current["accept"]["threshold"] == VERIFICATION.accept
    assert current["fused"]["reject"]["threshold"] == FUSION.sum_reject
    assert (point.genuine_pairs, point.fused_impostor_pairs, point.target_fmr) == (400, 1000, 0.001)
    # gerbang_dual's points: chosen the same way on its own scores, in the same run
    dual_i = np.concatenate([curves[n][evalfinger.DUAL][1] for n in "AB"])
    dual_fused_i = np.concatenate([curves[n][evalfinger.DUAL_FUSED_SUM][1] for n in "AB"])
    dual_top = np.sort(dual_i)[::-1]
    assert point.dual_accept is not None and point.dual_reject is not None
    assert dual_top[4] < point.dual_accept <= dual_top[3]
    assert dual_top[40] < point.dual_reject <= dual_top[39]
    dual_fused_top = np.sort(dual_fused_i)[::-1]
    assert point.dual_fused_accept is not None
    assert dual_fused_top[1] < point.dual_fused_accept <= dual_fused_top[0]
    assert report["dual"]["accept"]["threshold"] == point.dual_accept
    assert point.dual_accept != point.accept  # not the raw-set point copied
    assert current["dual"]["accept"]["threshold"] == DUAL_VERIFICATION.accept


def test_too_few_impostors_is_reported_as_resolution_limited(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(evalfinger, "evaluate", _scores({"S": _curves(3, 10, 2000)}))
    report = calibrate_fingerprint([_set("S")], target_fmr=0.0001).report
    # 2,000 impostors cannot measure FMR 0.01%: the accept point lies above every impostor
    assert report["resolution_limited"] is True and report["accept"]["fmr"] == 0.0
    assert report["warnings"] == [
        "resolution_limited",
        "fused_resolution_limited",
        "few_genuine_pairs",
        "few_fused_genuine_pairs",
    ]


def test_bad_rates_and_sets_without_two_finger_people_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    both = _curves(4, 50, 500)
    one_only = {"S": {k: both[k] for k in (evalfinger.OURS, evalfinger.DUAL)}}
    monkeypatch.setattr(evalfinger, "evaluate", _scores(one_only))
    with pytest.raises(ConfigError, match="two-finger"):
        calibrate_fingerprint([_set("S")], target_fmr=0.001)
    with pytest.raises(ConfigError, match="target FMR"):
        calibrate_fingerprint([_set("S")], target_fmr=0.2)
    with pytest.raises(ConfigError, match="reject FMR"):
        calibrate_fingerprint([_set("S")], target_fmr=0.001, reject_fmr=0.0001)
    with pytest.raises(ConfigError, match="no fingerprint dataset"):
        calibrate_fingerprint([], target_fmr=0.001)


def test_per_finger_folders_become_numbered_fingers(tmp_path: Path) -> None:
    for finger in ("left-index", "right-index", "notes"):
        (tmp_path / finger).mkdir()
    for k in range(3):
        for finger in ("left-index", "right-index"):
            cv2.imwrite(str(tmp_path / finger / f"{k}.png"), np.zeros((8, 8), np.uint8))
    (tmp_path / "notes" / "readme.txt").write_text("not an image")
    found = load_finger_folder(tmp_path)
    assert found.fingers == ("1",) * 3 + ("2",) * 3
    assert found.impressions == (1, 2, 3, 1, 2, 3)
    assert found.images[0] == tmp_path / "left-index" / "0.png"
    with pytest.raises(ConfigError, match="not found"):
        load_finger_folder(tmp_path / "missing")
    with pytest.raises(ConfigError, match="at least two fingers"):
        load_finger_folder(tmp_path / "notes")


def test_an_fvc_folder_is_read_in_its_own_layout(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    for name in ("101_1", "101_2", "102_1", "102_2"):
        cv2.imwrite(str(tmp_path / "images" / f"{name}.tif"), np.zeros((8, 8), np.uint8))
    found = load_finger_folder(tmp_path)
    assert (found.name, found.fingers, found.impressions) == (
        tmp_path.name,
        ("101", "101", "102", "102"),
        (1, 2, 1, 2),
    )


POINT = FingerprintOperatingPoint(
    accept=0.05,
    reject=0.03,
    accept_fmr=0.0009,
    reject_fmr=0.009,
    fused_accept=0.08,
    fused_reject=0.06,
    fused_accept_fmr=0.0,
    fused_reject_fmr=0.008,
    target_fmr=0.001,
    dataset="DB1_B",
    genuine_pairs=280,
    impostor_pairs=2880,
    bit_cylinders=True,
)


def test_an_invalid_fingerprint_point_is_refused() -> None:
    with pytest.raises(ValueError, match="fused_reject must not exceed fused_accept"):
        FingerprintOperatingPoint.model_validate({**POINT.model_dump(), "fused_reject": 0.09})
    with pytest.raises(ValueError, match="less than or equal to 1"):
        FingerprintOperatingPoint.model_validate({**POINT.model_dump(), "accept": 1.5})


DUAL_POINT = {
    "dual_accept": 0.045,
    "dual_reject": 0.028,
    "dual_accept_fmr": 0.0008,
    "dual_reject_fmr": 0.009,
    "dual_fused_accept": 0.075,
    "dual_fused_reject": 0.055,
    "dual_fused_accept_fmr": 0.0,
    "dual_fused_reject_fmr": 0.007,
    "dual_with_flow": True,
    "dual_flow_aligned": True,
}


def test_dual_points_are_all_or_none_and_only_calibrated_ones_are_used() -> None:
    with pytest.raises(ValueError, match="all given or none"):
        FingerprintOperatingPoint.model_validate({**POINT.model_dump(), "dual_accept": 0.04})
    with pytest.raises(ValueError, match="dual_fused_reject must not exceed"):
        FingerprintOperatingPoint.model_validate(
            {**POINT.model_dump(), **DUAL_POINT, "dual_fused_reject": 0.08}
        )
    assert SHIPPED.dual and SHIPPED.dual_verification is not None
    # saved before gerbang_dual was calibrated: no shipped dual point beside calibrated raw ones
    older = policy_from_settings(POINT)
    assert not older.dual and older.dual_verification is None and older.dual_fusion is None
    both = policy_from_settings(
        FingerprintOperatingPoint.model_validate({**POINT.model_dump(), **DUAL_POINT})
    )
    assert both.dual and both.dual_verification is not None and both.dual_fusion is not None
    assert (both.dual_verification.accept, both.dual_verification.reject) == (0.045, 0.028)
    assert (both.dual_fusion.sum_accept, both.dual_fusion.sum_reject) == (0.075, 0.055)
    assert both.verification.accept == 0.05  # the raw-set points stay their own
    # measured before the ridge flow joined gerbang_dual: another score scale, not used
    before_flow = FingerprintOperatingPoint.model_validate(
        {**POINT.model_dump(), **DUAL_POINT, "dual_with_flow": False}
    )
    assert before_flow.dual_accept == 0.045 and not before_flow.has_dual
    assert not policy_from_settings(before_flow).dual
    # measured with the searched flow, before it was aligned by the minutiae: not used
    searched = FingerprintOperatingPoint.model_validate(
        {**POINT.model_dump(), **DUAL_POINT, "dual_flow_aligned": False}
    )
    assert searched.dual_accept == 0.045 and not searched.has_dual
    assert not policy_from_settings(searched).dual
    # measured on the float cylinders, before the bit matcher: none of it is used
    floats = FingerprintOperatingPoint.model_validate(
        {**POINT.model_dump(), **DUAL_POINT, "bit_cylinders": False}
    )
    assert floats.accept == 0.05 and policy_from_settings(floats) is SHIPPED
    assert (
        FingerprintOperatingPoint.model_validate(
            {k: v for k, v in POINT.model_dump().items() if k != "bit_cylinders"}
        ).bit_cylinders
        is False
    )  # a file written before the marker existed


def test_the_saved_point_round_trips_and_decides(tmp_path: Path, data_dir: Path) -> None:
    path = tmp_path / "gerbang.toml"
    path.write_text('# kiosk\n[kiosk]\nmode = "development"\n')
    face = FaceOperatingPoint(
        accept=0.93, reject=0.91, accept_fmr=0.001, reject_fmr=0.01, target_fmr=0.001
    )
    savefile.save(path, CalibrationSettings(face=face))
    assert policy_from_settings(load_settings(path, {})[0].calibration.fingerprint) is SHIPPED
    store, audit = open_audit(data_dir)
    try:
        tech = Principal("tech", frozenset({Role.TECHNICIAN}))
        apply.save_fingerprint_point(path, POINT, by=tech, audit=audit)
        apply.save_camera(path, "cam", CameraCalibration(focus=30.0), by=tech, audit=audit)
        (record,) = [r for r in store.audit if r.action == apply.ACTION_FINGERPRINT]
        with_dual = FingerprintOperatingPoint.model_validate({**POINT.model_dump(), **DUAL_POINT})
        other = tmp_path / "other.toml"
        apply.save_fingerprint_point(other, POINT, by=tech, audit=audit)
        apply.save_fingerprint_point(other, with_dual, by=tech, audit=audit)
        dual_record = [r for r in store.audit if r.action == apply.ACTION_FINGERPRINT][-1]
    finally:
        store.close()
    detail = json.loads(record.detail)
    assert record.actor == "tech" and detail["fused_accept"] == 0.08
    assert detail["previous"] is None and detail["dual_accept"] is None
    dual_detail = json.loads(dual_record.detail)  # the dual points decide 1:1: audited too
    assert (dual_detail["dual_accept"], dual_detail["dual_fused_reject"]) == (0.045, 0.055)
    assert dual_detail["previous"]["dual_accept"] is None
    settings = load_settings(path, {})[0]
    saved = settings.calibration.fingerprint
    assert saved is not None and saved.calibrated_by == "tech"
    assert saved.model_copy(update={"calibrated_at": "", "calibrated_by": ""}) == POINT
    assert settings.calibration.face == face  # the face point is kept, the camera added
    assert settings.calibration.camera["cam"].focus == 30.0
    assert "[calibration.fingerprint]" in path.read_text()
    policy = policy_from_settings(saved)
    assert policy.source == "calibrated" and policy.watchlist_hit == 0.05
    assert (policy.verification.accept, policy.verification.reject) == (0.05, 0.03)
    assert (policy.fusion.sum_accept, policy.fusion.sum_reject) == (0.08, 0.06)
    assert policy.fusion.max_accept == FUSION.max_accept  # max fusion is not calibrated
    # decisions follow the saved points, wherever the shipped ones lie
    assert decide(0.04, policy.verification) is Decision.INCONCLUSIVE
    assert decide(0.05, policy.verification) is Decision.MATCH
    assert decide(0.029, policy.verification) is Decision.NO_MATCH
    assert decide_fused([0.035, 0.035], policy.fusion).decision is Decision.INCONCLUSIVE
    assert decide_fused([0.04, 0.04], policy.fusion).decision is Decision.MATCH


def test_folders_are_checked_before_any_image_is_read(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="target FMR"):
        fingerthresholds.calibrate_folders([tmp_path / "missing"], target_fmr=0.5)
    with pytest.raises(ConfigError, match="not found"):
        fingerthresholds.calibrate_folders([tmp_path / "missing"], target_fmr=0.001)


def test_the_watchlist_hit_is_never_looser_than_the_shipped_point_unless_measured_as_strict() -> (
    None
):
    loose = POINT.model_copy(update={"accept": 0.02, "reject": 0.015, "target_fmr": 0.001})
    policy = policy_from_settings(loose)
    assert policy.verification.accept == 0.02  # 1:1 takes the calibrated point ...
    assert policy.watchlist_hit == VERIFICATION.accept  # ... 1:N keeps the stricter 0.01% one
    strict = loose.model_copy(update={"target_fmr": VERIFICATION.accept_fmr})
    assert policy_from_settings(strict).watchlist_hit == 0.02  # measured at 0.01%: used as is
    higher = loose.model_copy(update={"accept": 0.05, "reject": 0.03})
    assert policy_from_settings(higher).watchlist_hit == 0.05


def test_the_dual_watchlist_hit_follows_the_same_rule_with_the_dual_points() -> None:
    def point(accept: float, target: float) -> FingerprintOperatingPoint:
        values = {**POINT.model_dump(), **DUAL_POINT, "target_fmr": target}
        values |= {"dual_accept": accept, "dual_reject": 0.015}
        return FingerprintOperatingPoint.model_validate(values)

    loose = policy_from_settings(point(0.02, 0.001))
    assert loose.dual_verification is not None and loose.dual_verification.accept == 0.02
    assert loose.dual_watchlist_hit == DUAL_VERIFICATION.accept  # the stricter shipped point
    assert policy_from_settings(point(0.02, 0.0001)).dual_watchlist_hit == 0.02
    assert policy_from_settings(point(0.045, 0.001)).dual_watchlist_hit == 0.045
    without = policy_from_settings(POINT)  # saved without dual points: no gerbang_dual at all
    assert without.dual_watchlist_hit is None and not without.dual


def test_a_point_that_is_not_a_measurement_of_its_target_is_never_saved(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        evalfinger, "evaluate", _scores({"S": _curves(3, 10, 2000), "L": _curves(4, 400, 20000)})
    )
    small = calibrate_fingerprint([_set("S")], target_fmr=0.0001)
    assert fingerthresholds.save_blockers(small.report) == [
        "resolution_limited",
        "few_genuine_pairs",
    ]
    with pytest.raises(ConfigError, match="2000 impostor and 10 genuine pairs"):
        fingerthresholds.check_saveable(small)
    large = calibrate_fingerprint([_set("L")], target_fmr=0.0001)
    assert fingerthresholds.save_blockers(large.report) == []
    fingerthresholds.check_saveable(large)  # 20,000 impostors measure 0.01%: may be saved

"""Fingerprint threshold calibration on FVC2002 DB1_B: the points are the lowest thresholds at
the target FMR on the real scores, and agree with ``gerbang eval fingerprint``'s figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from biometrics import evaluation
from biometrics.fingerprint import evalfinger
from biometrics.fingerprint.dataset import load_fvc
from enrollment.technician.fingerthresholds import calibrate_folders

pytestmark = [pytest.mark.integration, pytest.mark.dataset, pytest.mark.slow]


def test_db1_points_are_the_lowest_thresholds_at_the_target_fmr(fvc2002: Path) -> None:
    progress: list[tuple[str, int, int]] = []
    result = calibrate_folders(
        [fvc2002 / "DB1_B"],
        target_fmr=0.001,
        progress=lambda stage, done, total: progress.append((stage, done, total)),
    )
    assert progress[-1] == ("DB1_B: extract", 80, 80) and len(progress) == 80
    point, g, i = result.point, result.genuine, result.impostor
    assert (g.size, i.size, result.fused_impostor.size) == (2 * 140, 2880, 640)
    # at most floor(0.001 x 2880) = 2 impostors at or above accept, and 1e-6 lower admits more
    assert np.count_nonzero(i >= point.accept) <= 2
    assert evaluation.rates(g, i, point.accept - 1e-6)[0] > 0.001
    assert np.count_nonzero(i >= point.reject) <= 28  # FMR 1%: floor(28.8)
    assert evaluation.rates(g, i, point.reject - 1e-6)[0] > 0.01
    # the fused point: 640 impostors cannot resolve 0.1%, so it lies above every impostor sum
    assert point.fused_accept > result.fused_impostor.max()
    assert point.fused_accept - result.fused_impostor.max() <= 1.0000001e-6
    # the same scores as `gerbang eval fingerprint --protocol all-pairs` (its FMR 0.1% point)
    report, curves = evalfinger.evaluate(
        load_fvc(fvc2002 / "DB1_B"), protocol="all-pairs", baseline=False
    )
    ours = report["matchers"][evalfinger.OURS]
    assert np.array_equal(np.sort(curves[evalfinger.OURS][1]), np.sort(i))
    # the report rounds to 6 decimals, the point rounds up to them: 1e-6 apart at most (and
    # a float's last bit)
    assert abs(ours["thresholds"]["fmr1000"] - point.accept) <= 1e-6 + 1e-12
    assert result.report["accept"]["fnmr"] == ours["fmr1000"]
    assert result.report["eer"] == ours["eer"]

"""The second minutiae set (mindtct on the Gabor-enhanced print) on real FVC2002 DB3 prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from biometrics.fingerprint import api, dual
from biometrics.fingerprint.dataset import load_fvc
from biometrics.fingerprint.evalfinger import DUAL, evaluate
from biometrics.fingerprint.extract import enhanced_template
from biometrics.fingerprint.image import load_print

pytestmark = pytest.mark.dataset


def _dual(fvc2002: Path, name: str) -> dual.DualTemplate:
    image = load_print(fvc2002 / "DB3_B" / "images" / f"{name}.tif")
    extraction = api.extract_fingerprint(image, nfiq2=False)
    second = enhanced_template(
        image.pixels, extraction.segmentation, api.default_nbis(), extraction.quality
    )
    assert 15 <= second.count <= 80 and second.cylinders is not None
    return dual.DualTemplate(extraction.template, second)


def test_db3_genuine_pairs_score_above_impostors(fvc2002: Path) -> None:
    names = ["101_1", "101_2", "101_3", "102_1", "103_1", "104_1"]
    templates = {n: _dual(fvc2002, n) for n in names}
    probe = templates["101_1"]
    genuine = [dual.compare(probe, templates[n]) for n in ("101_2", "101_3")]
    impostor = [dual.compare(probe, templates[n]) for n in ("102_1", "103_1", "104_1")]
    assert min(genuine) > 2 * max(impostor), (genuine, impostor)


def test_eval_reports_gerbang_dual_unless_told_not_to(fvc2002: Path) -> None:
    dataset = load_fvc(fvc2002 / "DB3_B", limit_fingers=2)
    report, curves = evaluate(dataset, protocol="all-pairs")
    dual_figures = report["matchers"][DUAL]
    assert 0 <= dual_figures["eer"] < 0.3 and DUAL in curves
    assert dual_figures["extract_ms"] >= report["matchers"]["gerbang"]["extract_ms"]
    alone, curves = evaluate(dataset, protocol="all-pairs", dual=False)
    assert DUAL not in alone["matchers"] and DUAL not in curves
    assert alone["matchers"]["gerbang"]["eer"] == report["matchers"]["gerbang"]["eer"]

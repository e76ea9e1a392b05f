"""The second minutiae set (mindtct on the Gabor-enhanced print) on real FVC2002 DB3 prints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from biometrics.fingerprint import api, dual
from biometrics.fingerprint.dataset import load_fvc
from biometrics.fingerprint.evalfinger import DUAL, evaluate
from biometrics.fingerprint.extract import enhanced_set
from biometrics.fingerprint.image import load_print
from biometrics.fingerprint.params import FLOW
from tests.unit.fingerprint.synthetic import aligned_agreement

pytestmark = pytest.mark.dataset


def _dual(fvc2002: Path, name: str) -> dual.DualTemplate:
    image = load_print(fvc2002 / "DB3_B" / "images" / f"{name}.tif")
    extraction = api.extract_fingerprint(image, nfiq2=False)
    found = enhanced_set(
        image.pixels, extraction.segmentation, api.default_nbis(), extraction.quality
    )
    second = found.template
    assert 15 <= second.count <= 80 and second.cylinders is not None
    assert found.flow.valid_blocks > 600  # most of a 300x300 print's 37x37 blocks
    return dual.DualTemplate(extraction.template, second, found.flow)


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


def test_extraction_gives_the_flow_with_the_enhanced_set_and_the_record_keeps_it(
    fvc2002: Path,
) -> None:
    image = load_print(fvc2002 / "DB1_B" / "images" / "103_4.tif")
    plain = api.extract_fingerprint(image, nfiq2=False)
    assert plain.enhanced is None and plain.flow is None  # not asked: neither
    both = api.extract_fingerprint(image, nfiq2=False, enhanced=True)
    assert both.enhanced is not None and both.flow is not None
    stored = api.to_iso(both.template, position=2, enhanced=both.enhanced, flow=both.flow)
    sets = api.finger_from_iso(stored)
    assert sets.flow is not None and np.array_equal(sets.flow.degrees, both.flow.degrees)
    assert sets.dual is not None


def test_the_flow_agrees_on_a_pair_that_shares_only_the_core(fvc2002: Path) -> None:
    """DB1_B 103_4 is cut off at its core; 103_5 shows more of the finger. Their minutiae
    score like impostors (docs/fingerprint.md, "Ridge flow"); their flows, aligned by
    those minutiae, agree above the floor, and above those of 103_4 and other fingers'
    prints."""
    folder = fvc2002 / "DB1_B" / "images"
    fingers = []
    for name in ("103_4", "103_5", "101_1", "105_2", "108_3"):
        found = api.extract_fingerprint(load_print(folder / f"{name}.tif"), enhanced=True)
        assert found.enhanced is not None and found.flow is not None
        fingers.append(dual.DualTemplate(found.template, found.enhanced, found.flow))
    genuine, *impostors = (aligned_agreement(fingers[0], other) for other in fingers[1:])
    assert genuine > FLOW.floor and genuine > max(impostors), (genuine, impostors)

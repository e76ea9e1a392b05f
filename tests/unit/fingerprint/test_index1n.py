"""1:N retrieval on synthetic templates: the moved mate is voted up and ranked first."""

from __future__ import annotations

import math

import numpy as np

from biometrics.fingerprint import mcc
from biometrics.fingerprint.index1n import MinutiaIndex, descriptors
from biometrics.fingerprint.indexbench import distractor
from biometrics.fingerprint.params import IndexParams
from tests.unit.fingerprint.synthetic import moved, random_template


def test_mate_is_found_among_distractors() -> None:
    gallery = [mcc.encode(random_template(40, seed=s)) for s in range(60)]
    index = MinutiaIndex(gallery, IndexParams(dims=32, neighbours=16, shortlist=5))
    probe = mcc.encode(moved(gallery[17], rotation=math.radians(20), shift=(10, 5), jitter=1.5))
    votes = index.votes(probe)
    assert int(np.argmax(votes)) == 17
    found = index.search(probe, top=3)
    assert found[0].finger == 17
    assert found[0].score > 3 * found[1].score


def test_descriptors_are_unit_rows() -> None:
    rows = descriptors(mcc.encode(random_template(30, seed=2)))
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-4)


def test_a_mirrored_distractor_is_not_a_mate() -> None:
    base = mcc.encode(random_template(40, seed=5))
    fake = distractor(base, np.random.default_rng(0))
    index = MinutiaIndex([base, fake], IndexParams(dims=16, neighbours=8, shortlist=2))
    again = mcc.encode(moved(base, rotation=0.2, shift=(5, 5), jitter=1.0))
    assert index.search(again, top=1)[0].finger == 0

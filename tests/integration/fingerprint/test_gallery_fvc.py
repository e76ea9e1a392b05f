"""FingerGallery on real FVC2002 prints: the index path finds the same mates, with the same
hits above the accept threshold, as exhaustive search; compact templates score like the
originals."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from biometrics.fingerprint import api, match
from biometrics.fingerprint.compact import CompactTemplate
from biometrics.fingerprint.gallery import FingerGallery
from biometrics.fingerprint.indexbench import distractor
from biometrics.fingerprint.params import INDEX, VERIFICATION
from biometrics.fingerprint.template import MinutiaeTemplate

pytestmark = pytest.mark.dataset

FINGERS = range(101, 111)


@pytest.fixture(scope="module")
def db1(fvc2002: Path) -> dict[str, MinutiaeTemplate]:
    folder = fvc2002 / "DB1_B" / "images"
    return {
        f"{finger}_{impression}": api.extract_fingerprint(
            folder / f"{finger}_{impression}.tif", nfiq2=False
        ).template
        for finger in FINGERS
        for impression in (1, 2, 3)
    }


def _references(db1: dict[str, MinutiaeTemplate]) -> list[MinutiaeTemplate]:
    """The 10 mates (impression 1) first, then 190 mirrored distractors of all 30 prints."""
    rng = np.random.default_rng(7)
    bases = list(db1.values())
    mates = [db1[f"{finger}_1"] for finger in FINGERS]
    return mates + [distractor(bases[k % len(bases)], rng) for k in range(190)]


def test_the_index_finds_what_exhaustive_search_finds(db1: dict[str, MinutiaeTemplate]) -> None:
    references = _references(db1)
    indexed = FingerGallery(references, dataclasses.replace(INDEX, exhaustive_below=100))
    exhaustive = FingerGallery(references, dataclasses.replace(INDEX, exhaustive_below=1000))
    assert (indexed.method, exhaustive.method) == ("index", "exhaustive")
    found = 0
    for position, finger in enumerate(FINGERS):
        for impression in (2, 3):
            probe = db1[f"{finger}_{impression}"]
            by_index, by_all = indexed.search(probe), exhaustive.search(probe)
            # the best reference and every reference above the accept threshold agree
            assert by_index[0].reference == by_all[0].reference, (finger, impression)
            assert by_index[0].score == by_all[0].score  # compact templates keep the bits
            hits = {h.reference for h in by_index if h.score >= VERIFICATION.accept}
            assert hits == {h.reference for h in by_all if h.score >= VERIFICATION.accept}
            found += int(by_all[0].reference == position)
    assert found >= 16  # the matcher's own rank-1 rate on these 20 probes (not the index's)


def test_compact_templates_score_like_the_originals(db1: dict[str, MinutiaeTemplate]) -> None:
    references = [db1[f"{finger}_1"] for finger in FINGERS]
    restored = [CompactTemplate.of(t).restore() for t in references]
    for finger in FINGERS:
        probe = db1[f"{finger}_2"]
        original = match.compare_many(probe, match.Gallery(references))
        compact = match.compare_many(probe, match.Gallery(restored))
        assert np.array_equal(original, compact)  # the bits are kept whole
        assert int(np.argmax(original)) == int(np.argmax(compact))

"""FingerGallery: exhaustive below the size limit, the index from it, the same hits."""

from __future__ import annotations

import dataclasses

import numpy as np

from biometrics.fingerprint import match, mcc
from biometrics.fingerprint.gallery import FingerGallery
from biometrics.fingerprint.params import IndexParams
from tests.unit.fingerprint.synthetic import moved, random_template

PARAMS = IndexParams(dims=32, neighbours=16, shortlist=8, exhaustive_below=50)


def _references(count: int) -> list:
    return [mcc.encode(random_template(40, seed=100 + s)) for s in range(count)]


def test_small_galleries_are_exhaustive_and_exact() -> None:
    references = _references(20)
    gallery = FingerGallery(references, PARAMS)
    assert gallery.method == "exhaustive" and len(gallery) == 20
    probe = mcc.encode(moved(references[4], rotation=0.3, shift=(5, 5), jitter=1.0))
    hits = gallery.search(probe)
    assert len(hits) == 20 and hits[0].reference == 4
    exact = match.compare_many(probe, match.Gallery(references))
    assert [h.score for h in hits] == sorted(exact.tolist(), reverse=True)


def test_large_galleries_use_the_index_with_the_same_best_hit() -> None:
    references = _references(60)
    indexed = FingerGallery(references, PARAMS)
    exhaustive = FingerGallery(references, dataclasses.replace(PARAMS, exhaustive_below=1000))
    assert (indexed.method, exhaustive.method) == ("index", "exhaustive")
    for mate in (0, 31, 59):
        probe = mcc.encode(moved(references[mate], rotation=-0.2, shift=(-4, 6), jitter=1.0))
        by_index, by_all = indexed.search(probe, top=3), exhaustive.search(probe, top=3)
        assert by_index[0].reference == by_all[0].reference == mate
        assert abs(by_index[0].score - by_all[0].score) < 0.01  # uint8 cylinders
        assert len(indexed.search(probe)) == PARAMS.shortlist


def test_an_empty_gallery_finds_nothing() -> None:
    gallery = FingerGallery([], PARAMS)
    assert gallery.search(mcc.encode(random_template(30, seed=1))) == []
    assert np.isfinite(len(gallery))

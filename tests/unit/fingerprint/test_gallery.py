"""FingerGallery: exhaustive below the size limit, the index from it, the same hits."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest

from biometrics.fingerprint import dual, match, mcc
from biometrics.fingerprint.dual import FingerSets
from biometrics.fingerprint.flow import RidgeFlow
from biometrics.fingerprint.gallery import FingerGallery
from biometrics.fingerprint.index1n import DualIndex
from biometrics.fingerprint.params import IndexParams
from biometrics.fingerprint.template import MinutiaeTemplate
from tests.unit.fingerprint.synthetic import (
    arch,
    count_flow_comparisons,
    flow_of,
    moved,
    random_template,
)

PARAMS = IndexParams(
    dims=32, neighbours=16, shortlist=8, exhaustive_below=50, dual_exhaustive_below=50
)


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
        assert by_index[0].score == by_all[0].score  # compact templates keep the bits whole
        assert len(indexed.search(probe)) == PARAMS.shortlist


def test_an_empty_gallery_finds_nothing() -> None:
    gallery = FingerGallery([], PARAMS)
    assert gallery.search(mcc.encode(random_template(30, seed=1))) == []
    assert np.isfinite(len(gallery))


@functools.cache
def _flows() -> list[RidgeFlow]:
    return [flow_of(arch(bend=0.002 * k)) for k in (1, 2, 3)]  # the flow is a tie-break


def _dual_fingers(count: int) -> list[tuple[FingerSets, FingerSets]]:
    """(enrolled, a second capture) per finger, both with both minutiae sets and a flow."""
    out = []
    for s in range(count):
        raw, enhanced = random_template(40, seed=200 + s), random_template(34, seed=900 + s)
        ridge = _flows()[s % 3]

        def again(t: MinutiaeTemplate, k: int) -> MinutiaeTemplate:
            return mcc.encode(moved(t, rotation=0.2, shift=(4, -6), jitter=1.0, seed=k))

        out.append(
            (
                FingerSets(mcc.encode(raw), mcc.encode(enhanced), ridge),
                FingerSets(again(raw, s), again(enhanced, s + 1), ridge),
            )
        )
    return out


def test_a_dual_gallery_scores_probes_with_both_sets_by_gerbang_dual() -> None:
    fingers = _dual_fingers(12)
    enrolled = [e for e, _ in fingers]
    gallery = FingerGallery(enrolled, PARAMS)
    assert gallery.dual and gallery.method == "exhaustive"
    probe = fingers[5][1]
    assert probe.dual is not None and gallery.uses_dual(probe)
    hits = gallery.search(probe)
    assert hits[0].reference == 5
    expected = dual.compare_many(probe.dual, [e.dual for e in enrolled if e.dual is not None])
    assert [h.score for h in hits] == sorted(expected.tolist(), reverse=True)
    # the same gallery searched with the raw sets: a probe without its enhanced set, or
    # the caller's choice (one matcher for all the probes of a decision)
    raw_scores = match.compare_many(probe.raw, match.Gallery([e.raw for e in enrolled]))
    for search in (
        gallery.search(FingerSets(probe.raw)),
        gallery.search(probe.raw),
        gallery.search(probe, dual_allowed=False),
    ):
        assert [h.score for h in search] == sorted(raw_scores.tolist(), reverse=True)
    assert not gallery.uses_dual(FingerSets(probe.raw))


def test_a_raw_search_of_an_indexed_dual_gallery_stays_exhaustive_below_its_limit() -> None:
    fingers = _dual_fingers(12)
    enrolled = [e for e, _ in fingers]
    params = dataclasses.replace(PARAMS, dual_exhaustive_below=10, exhaustive_below=50)
    gallery = FingerGallery(enrolled, params)
    assert gallery.dual and gallery.method == "index"
    probe = fingers[7][1]
    assert len(gallery.search(probe)) == params.shortlist  # gerbang_dual: the shortlist
    exact = match.compare_many(probe.raw, match.Gallery([e.raw for e in enrolled]))
    raw_hits = gallery.search(probe, dual_allowed=False)  # e.g. a policy without dual points
    assert [h.score for h in raw_hits] == sorted(exact.tolist(), reverse=True)
    assert raw_hits[0].reference == 7
    # from exhaustive_below on, the raw sets' search goes through the raw index too
    large = FingerGallery(enrolled, dataclasses.replace(params, exhaustive_below=10))
    assert len(large.search(probe, dual_allowed=False)) == params.shortlist


def test_one_reference_with_the_raw_set_only_makes_the_gallery_raw() -> None:
    fingers = _dual_fingers(6)
    enrolled = [e for e, _ in fingers]
    enrolled[2] = FingerSets(enrolled[2].raw)  # e.g. minutiae imported without an image
    gallery = FingerGallery(enrolled, PARAMS)
    probe = fingers[4][1]
    assert not gallery.dual and not gallery.uses_dual(probe)
    exact = match.compare_many(probe.raw, match.Gallery([e.raw for e in enrolled]))
    assert [h.score for h in gallery.search(probe)] == sorted(exact.tolist(), reverse=True)


def test_a_large_dual_gallery_votes_with_both_sets_and_finds_the_same_best_hit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fingers = _dual_fingers(60)
    enrolled = [e for e, _ in fingers]
    indexed = FingerGallery(enrolled, PARAMS)
    exhaustive = FingerGallery(enrolled, dataclasses.replace(PARAMS, dual_exhaustive_below=1000))
    assert (indexed.method, exhaustive.method) == ("index", "exhaustive") and indexed.dual
    index = DualIndex([e.dual for e in enrolled if e.dual is not None], PARAMS)

    for mate in (0, 31, 59):
        probe = fingers[mate][1]
        assert probe.dual is not None
        votes = index.votes(probe.dual)
        both = index.raw.votes(probe.raw) + index.enhanced.votes(probe.dual.enhanced)
        assert np.array_equal(votes, both) and int(np.argmax(votes)) == mate
        by_index, by_all = indexed.search(probe, top=3), exhaustive.search(probe, top=3)
        assert by_index[0].reference == by_all[0].reference == mate
        assert by_index[0].score == by_all[0].score  # compact templates keep the bits whole
        # deciding between the best and the second: the best is exact, the rest below,
        # and only the flows of the shortlisted fingers that could reach it are compared
        threshold = 0.5 * (by_index[0].score + by_index[1].score)
        with monkeypatch.context() as patch:
            compared = count_flow_comparisons(patch)
            decided = indexed.search(probe, decide_at=threshold)
        assert decided[0] == by_index[0] and all(h.score < threshold for h in decided[1:])
        assert compared == [1] and len(decided) == PARAMS.shortlist
    assert index.nbytes()["flows"] == sum(e.dual.flow.degrees.nbytes for e in enrolled if e.dual)

"""1:N retrieval on synthetic templates: the moved mate is voted up and ranked first; the
index is built in chunks as at once, from compact codes and the cylinders' bits."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from biometrics.fingerprint import flow, match, mcc
from biometrics.fingerprint.compact import CompactTemplate
from biometrics.fingerprint.dual import DualTemplate
from biometrics.fingerprint.index1n import MinutiaIndex, descriptors
from biometrics.fingerprint.indexbench import (
    _at_false_hit_rate,
    _Decisions,
    distractor,
    dual_distractor,
)
from biometrics.fingerprint.params import IndexParams
from biometrics.fingerprint.template import MinutiaeTemplate
from tests.unit.fingerprint.synthetic import arch, flow_of, moved, random_template

SMALL = IndexParams(dims=32, neighbours=16, shortlist=5)


def _gallery(count: int = 60) -> list:
    return [mcc.encode(random_template(40, seed=s)) for s in range(count)]


@pytest.mark.parametrize("voting", ["rank", "similarity"])
def test_mate_is_found_among_distractors(voting: str) -> None:
    gallery = _gallery()
    index = MinutiaIndex(gallery, dataclasses.replace(SMALL, voting=voting))
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


def test_distractor_perturbations_are_applied() -> None:
    base = mcc.encode(random_template(40, seed=5))
    plain = distractor(base, np.random.default_rng(0))
    assert plain.count == base.count  # the default: mirrored and moved, nothing dropped or added
    noisy = distractor(base, np.random.default_rng(0), drop=0.5, spurious=0.25)
    assert noisy.count != base.count


def test_a_dual_distractor_moves_both_sets_and_the_flow_alike() -> None:
    base = mcc.encode(random_template(40, seed=5))
    ridge = flow_of(arch())
    fake = dual_distractor(DualTemplate(base, base, ridge), np.random.default_rng(3))
    # the same set twice: moved alike, the copies differ only by their 2 px jitter
    gap = np.hypot(fake.raw.x - fake.enhanced.x, fake.raw.y - fake.enhanced.y)
    assert fake.raw.count == fake.enhanced.count == base.count and float(np.max(gap)) < 15
    turn = np.random.default_rng(3).uniform(-math.pi / 6, math.pi / 6)  # the first draw
    expected = flow.moved(ridge, mirror=True, degrees=math.degrees(turn))
    assert np.array_equal(fake.flow.degrees, expected.degrees)
    # the mirrored base's own minutiae: mirrored (x -> width - x), then turned by that draw
    assert abs(float(np.mean(np.cos(fake.raw.angle - (np.pi - base.angle) - turn))) - 1) < 1e-3


def test_a_mirror_of_the_probes_own_finger_is_not_counted_as_a_stranger() -> None:
    origin = np.array(["A", "B", "C", "A", "B"])  # mates A, B, C; then mirrors of A and B
    candidates = np.array([0, 1, 3, 4])
    decisions = _Decisions(0.5, origin)
    # probes of A (mate 0), scores of the candidates 0, 1, 3, 4; accept at 0.5:
    decisions.add(np.array([0.9, 0.1, 0.6, 0.2]), candidates, 0)  # mate and mirror of A
    decisions.add(np.array([0.9, 0.1, 0.2, 0.6]), candidates, 0)  # mirror of B: a stranger
    decisions.add(np.array([0.2, 0.7, 0.1, 0.1]), candidates, 0)  # mate B: a stranger
    decisions.add(np.array([0.9, 0.1, 0.1]), np.array([0, 1, 4]), 0)  # none at accept
    found = decisions.figures()
    assert found["mate_hit_at_accept"] == 0.75
    assert found["probes_with_a_false_hit_at_accept"] == 0.5
    assert found["probes_hitting_a_mirror_of_their_own_finger"] == 0.25
    fresh = decisions.empty()  # the exhaustive search's tally: same point and gallery
    assert (fresh.accept, fresh.origin is origin, fresh.mate) == (0.5, True, [])


def test_mates_are_counted_at_the_threshold_that_keeps_false_hits_to_the_target() -> None:
    # 100 probes: the best stranger of probe k scores k / 1000, its mate 0.05 + k / 10000
    strangers = [k / 1000 for k in range(100)]
    mates = [0.05 + k / 10000 for k in range(99)] + [float("-inf")]  # one mate never found
    found = _at_false_hit_rate(mates, strangers, accept=0.03)
    # 1 probe in 100 may have a false hit: above the second-best stranger (0.098)
    assert found["0.01"]["false_hit_rate"] == 0.01
    assert found["0.01"]["threshold"] == pytest.approx(0.098)  # just above it (rounded)
    assert found["0.01"]["mate_hit"] == 0.0  # every mate scores under 0.06
    # 5 in 100: above 0.094; still no mate up there
    assert found["0.05"]["false_hit_rate"] == 0.05 and found["0.05"]["mate_hit"] == 0.0
    # never below accept: there gerbang_dual's scores may lack the flow's bonus
    loose = _at_false_hit_rate(mates, [-1.0] * 100, accept=0.03)
    assert loose["0.05"]["threshold"] == 0.03 and loose["0.05"]["false_hit_rate"] == 0.0
    assert loose["0.05"]["mate_hit"] == 0.99


def test_building_in_chunks_equals_building_at_once() -> None:
    gallery = _gallery(45)
    whole = MinutiaIndex.trained(gallery, SMALL)
    whole.add(gallery)
    chunked = MinutiaIndex.trained(gallery, SMALL)
    for start in range(0, len(gallery), 7):
        chunked.add(gallery[start : start + 7])
    assert len(chunked) == len(whole) == 45
    assert np.array_equal(chunked.owner, whole.owner)
    probe = mcc.encode(moved(gallery[30], rotation=0.3, shift=(4, -6), jitter=1.0))
    assert np.array_equal(chunked.votes(probe), whole.votes(probe))
    assert chunked.search(probe, top=5) == whole.search(probe, top=5)


def test_fingers_continue_numbering_across_chunks() -> None:
    gallery = _gallery(20)
    index = MinutiaIndex.trained(gallery, SMALL)
    index.add(gallery[:12])
    index.add(gallery[12:])
    probe = mcc.encode(moved(gallery[15], rotation=0.1, shift=(3, 3), jitter=1.0))
    assert index.search(probe, top=1)[0].finger == 15


def test_stored_descriptors_are_one_byte_a_dimension_and_templates_are_compact() -> None:
    gallery = _gallery(30)
    index = MinutiaIndex(gallery, SMALL)
    assert index.description == "PCA32,SQ8"
    assert index.index.sa_code_size() == SMALL.dims  # SQ8: one byte per PCA dimension
    for finger in index.fingers:
        assert finger.words.dtype == np.uint64 and finger.points.dtype == np.float32
    sizes = index.nbytes()
    full = sum(t.cylinders.values.nbytes for t in gallery if t.cylinders is not None)
    assert sizes["templates"] < full / 10  # a cylinder's bits: 88 bytes, its floats 1,248
    before = index.vectors
    index.add(gallery)
    grown = index.nbytes()["faiss"] - sizes["faiss"]
    assert grown <= (index.vectors - before) * SMALL.dims  # a vector costs its 32-byte code


def test_a_large_training_sample_gives_an_inverted_file() -> None:
    gallery = _gallery(60)
    params = dataclasses.replace(SMALL, lists=16, min_lists=8, probe_lists=4)
    index = MinutiaIndex(gallery, params)
    assert index.description == "PCA32,IVF16,SQ8"
    probe = mcc.encode(moved(gallery[42], rotation=0.2, shift=(6, 2), jitter=1.0))
    assert index.search(probe, top=1)[0].finger == 42


def test_training_refuses_after_adding_and_adding_needs_training() -> None:
    gallery = _gallery(5)
    empty = MinutiaIndex(params=SMALL)
    try:
        empty.add(gallery)
    except ValueError:
        pass
    else:
        raise AssertionError("add before train must fail")
    index = MinutiaIndex(gallery, SMALL)
    try:
        index.train(gallery)
    except ValueError:
        pass
    else:
        raise AssertionError("train after add must fail")


def test_a_restored_compact_template_scores_like_the_original() -> None:
    gallery = _gallery(12)
    probe = mcc.encode(moved(gallery[3], rotation=0.25, shift=(5, 5), jitter=1.0))
    original = match.compare_many(probe, match.Gallery(gallery))
    restored = match.compare_many(
        probe, match.Gallery([CompactTemplate.of(t).restore() for t in gallery])
    )
    assert np.array_equal(original, restored)  # the bits are kept whole: the same scores
    assert int(np.argmax(restored)) == 3
    again = CompactTemplate.of(gallery[3]).restore()
    assert again.cylinders is not None and gallery[3].cylinders is not None
    assert np.array_equal(again.cylinders.words, gallery[3].cylinders.words)
    assert not again.cylinders.has_cells  # no float cells: not for the index's descriptors
    with pytest.raises(ValueError, match="bits only"):
        descriptors(again)
    assert np.allclose(again.cylinders.x, gallery[3].cylinders.x, atol=1e-4)
    assert np.allclose(again.cylinders.y, gallery[3].cylinders.y, atol=1e-4)


def test_fingers_without_votes_are_never_shortlisted() -> None:
    gallery = _gallery(40)
    index = MinutiaIndex(gallery, dataclasses.replace(SMALL, neighbours=1, shortlist=40))
    probe = mcc.encode(moved(gallery[9], rotation=0.1, shift=(2, 2), jitter=1.0))
    votes = index.votes(probe)
    assert 0 < np.count_nonzero(votes) < 40  # one neighbour per probe cylinder
    shortlist = index.shortlist(votes)
    assert set(shortlist.tolist()) == set(np.flatnonzero(votes).tolist())
    assert len(index.search(probe, top=40)) == len(shortlist)


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_a_dual_distractors_flow_lies_where_its_minutiae_say(seed: int) -> None:
    # gerbang_dual aligns the flows by the minutiae: a distractor's flow must lie under
    # its minutiae as the base print's lies under the base's. Base: a 300 x 300 frame
    # whose flow is on the print only in a 3 x 3 block patch, every minutia inside it
    grid = np.full((37, 37), flow.OFF_PRINT, np.uint8)
    grid[9:12, 24:27] = 45  # blocks 24-26 across, 9-11 down: pixels 192-216, 72-96
    patch = flow.RidgeFlow(8, grid)
    rng = np.random.default_rng(seed)
    rows = [
        (float(x), float(y), float(a), 1, 0.5)
        for x, y, a in zip(
            rng.uniform(198, 210, 12), rng.uniform(78, 90, 12), rng.uniform(0, 6, 12), strict=True
        )
    ]
    base = MinutiaeTemplate.from_lists(300, 300, rows)
    fake = dual_distractor(DualTemplate(base, base, patch), np.random.default_rng(seed))
    for copy in (fake.raw, fake.enhanced):
        cols = np.floor(copy.x / 8).astype(int)
        down = np.floor(copy.y / 8).astype(int)
        inside = (cols >= 0) & (down >= 0) & (cols < fake.flow.degrees.shape[1])
        inside &= down < fake.flow.degrees.shape[0]
        assert inside.all()
        assert np.all(fake.flow.degrees[down, cols] != flow.OFF_PRINT)

"""Recall floors against exact search on seeded, clustered synthetic data (faiss contrib style).

20k vectors of 128-d, clustered like face embeddings (identities with samples
around them).  recall@10 here is the strict overlap of the returned 10 with the
exact 10.  The figures at 1M are in docs/index.md (``gerbang bench index``).
"""

from __future__ import annotations

import numpy as np
import pytest

from biometrics.index import factory
from biometrics.index.records import no_progress
from biometrics.index.snapshot import MainIndex, Snapshot
from tests.unit.index.helpers import clustered, exact_top, recall_at, spec

SIZE = 20_000


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    gallery, queries = clustered(SIZE, 200, seed=0)
    ids = np.arange(1, SIZE + 1, dtype=np.int64) * 3  # row ids are not positions
    return gallery, queries, ids, exact_top(queries, gallery, ids, 10)


@pytest.mark.parametrize(
    ("text", "floor_at_10", "floor_at_1"),
    [
        ("IDMap2,Flat", 1.0, 1.0),
        (factory.large(SIZE, 128), 0.95, 0.97),  # the large-gallery family, sized for 20k
        ("HNSW32,SQfp16", 0.98, 0.99),
        ("IVF128,SQfp16", 0.95, 0.97),
    ],
)
def test_recall_floor(
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    text: str,
    floor_at_10: float,
    floor_at_1: float,
) -> None:
    gallery, queries, ids, truth = data
    main = MainIndex.build(text, spec(), ids, gallery, no_progress)
    _, found = Snapshot(spec(), main).search(queries, 10)
    assert recall_at(found, truth) >= floor_at_10
    assert float(np.mean(found[:, 0] == truth[:, 0])) >= floor_at_1
    assert np.isin(found, ids).all()  # row ids come back, never positions


def test_exact_scores_are_euclidean_distances(
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    gallery, queries, ids, _ = data
    main = MainIndex.build("IDMap2,Flat", spec(), ids, gallery, no_progress)
    scores, found = Snapshot(spec(), main).search(queries[:5], 3)
    rows = np.searchsorted(ids, found)
    expected = np.linalg.norm(gallery[rows] - queries[:5, None, :], axis=2)
    np.testing.assert_allclose(scores, expected, rtol=1e-4, atol=1e-4)
    assert (np.diff(scores, axis=1) >= 0).all()

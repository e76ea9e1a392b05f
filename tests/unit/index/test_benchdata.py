"""Bench vectors: real embeddings of the shared faces and the clustered model fitted to them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from biometrics.index.benchdata import (
    EmbeddingModel,
    RealEmbeddings,
    clustered_gallery,
    compute_real_embeddings,
    distance_profile,
    load_or_compute_real_embeddings,
)
from biometrics.index.errors import IndexDataError


@pytest.mark.dataset
@pytest.mark.slow
def test_real_embeddings_of_a_small_set(gerbang_data: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "emb.npz"
    # The first 6 people of CASIA-FaceV5 (small images: fast), 5 photos each.
    real = load_or_compute_real_embeddings(
        cache, gerbang_data, sets=("faces/casia_facev5",), max_images=30
    )
    assert cache.is_file()
    assert real.vectors.shape[1] == 128 and real.vectors.shape[0] >= 24  # FTE here is ~11%
    assert np.unique(real.labels).size == 6
    profile = distance_profile(real.vectors, real.labels)
    # dlib crowds East Asian faces (impostors ~0.5 apart, ANCHORS.md) but keeps mates closer.
    assert profile["genuine_median"] < 0.8 * profile["impostor_median"]
    again = load_or_compute_real_embeddings(cache, gerbang_data)  # from the cache this time
    np.testing.assert_array_equal(again.vectors, real.vectors)


def test_model_fitted_to_embeddings_reproduces_their_distances() -> None:
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((200, 16)).astype(np.float32)
    labels = np.repeat(np.arange(200), 4)
    vectors = centres[labels] + 0.2 * rng.standard_normal((800, 16)).astype(np.float32)
    real = RealEmbeddings(vectors, labels.astype(np.int64))
    model = EmbeddingModel.fit(real)
    data = clustered_gallery(model, 2000, 10, seed=1, per_identity=4)
    synthetic = distance_profile(data.gallery, (np.arange(2000) % 500).astype(np.int64))
    original = distance_profile(real.vectors, real.labels)
    for key in ("genuine_median", "impostor_median"):
        assert synthetic[key] == pytest.approx(original[key], rel=0.15)
    assert data.queries.shape == (10, 16)


def test_unreadable_embeddings_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not numpy")
    with pytest.raises(IndexDataError):
        RealEmbeddings.load(bad)


def test_missing_face_set_is_reported(tmp_path: Path) -> None:
    with pytest.raises(IndexDataError, match=r"identities\.csv"):
        compute_real_embeddings(tmp_path, sets=("faces/none",))

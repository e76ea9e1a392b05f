"""Vectors for the index benchmark: real face embeddings, clustered synthetic galleries, noise.

Real embeddings come from the shared face images (``faces/lfw_gray`` and the
other labelled sets) through ``face_recognition`` (dlib ResNet, 128-d). They
are computed once and cached in a ``.npz`` file OUTSIDE the repository (the
bench's ``--vectors`` option, default in the user cache directory): the test
data may never be copied into the repository or shipped.

A 1M gallery needs far more identities than the ~700 people of the shared
sets, so :func:`clustered_gallery` fits the real embeddings' structure and
samples from it: identity centres from a Gaussian with the mean and the
between-identity covariance of the real identities, samples around each
centre from the real within-identity covariance. The vectors therefore live
in the same anisotropic subspace, at the same scale, with the same
genuine/impostor distance gap as real dlib embeddings (checked by
:func:`distance_profile`), which uniform noise does not.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from biometrics.index.errors import IndexDataError

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
Progress = Callable[[int, int], None]

# Labelled sets of ../shared/data/faces with an identities.csv (path,identity).
FACE_SETS: tuple[str, ...] = (
    "faces/lfw_gray",
    "faces/casia_facev5",
    "faces/att_orl_faces",
    "faces/yale_faces",
    "faces/deepface_pairs",
)
EMBEDDING_DIM = 128


@dataclass(frozen=True, slots=True)
class RealEmbeddings:
    """Real face embeddings with integer identity labels (one row per enrolled image)."""

    vectors: FloatArray  # (n, 128)
    labels: IntArray  # (n,)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(tmp, vectors=self.vectors, labels=self.labels)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> RealEmbeddings:
        try:
            with np.load(path, allow_pickle=False) as data:
                vectors = np.ascontiguousarray(data["vectors"], dtype=np.float32)
                labels = np.ascontiguousarray(data["labels"], dtype=np.int64)
        except (OSError, KeyError, ValueError) as exc:
            raise IndexDataError(f"cannot read embeddings file {path}: {exc}") from exc
        if vectors.ndim != 2 or labels.shape != (vectors.shape[0],):
            raise IndexDataError(f"embeddings file {path}: inconsistent shapes")
        return cls(vectors, labels)


def _import_face_recognition() -> object:
    # One guarded import (biometrics.face.baseline): it silences face_recognition_models'
    # pkg_resources warning and restores Pillow's LOAD_TRUNCATED_IMAGES, which
    # face_recognition switches on for the whole process (truncated images then
    # "decode" everywhere, and our truncated-image checks stop working).
    from biometrics.face.baseline import import_face_recognition as guarded

    return guarded()


def _labelled_images(
    data_root: Path, sets: Sequence[str], max_images: int | None
) -> list[tuple[Path, str]]:
    items: list[tuple[Path, str]] = []
    for name in sets:
        folder = data_root / name
        listing = folder / "identities.csv"
        if not listing.is_file():
            raise IndexDataError(f"{listing} not found (set GERBANG_DATA to the shared data)")
        with listing.open(newline="", encoding="utf-8") as fh:
            for n, row in enumerate(csv.DictReader(fh)):
                if max_images is not None and n >= max_images:
                    break
                items.append((folder / row["path"], f"{name}/{row['identity']}"))
    return items


def compute_real_embeddings(
    data_root: Path,
    *,
    sets: Sequence[str] = FACE_SETS,
    max_images: int | None = None,
    progress: Progress | None = None,
) -> RealEmbeddings:
    """Embed every labelled image (largest HOG face, upsample 1); images without a face are skipped."""
    from PIL import Image

    fr = _import_face_recognition()
    items = _labelled_images(data_root, sets, max_images)
    vectors: list[FloatArray] = []
    names: list[str] = []
    for done, (path, identity) in enumerate(items, start=1):
        with Image.open(path) as img:
            rgb = np.asarray(img.convert("RGB"))
        boxes = fr.face_locations(rgb, number_of_times_to_upsample=1)  # type: ignore[attr-defined]
        if boxes:
            box = max(boxes, key=lambda b: (b[2] - b[0]) * (b[1] - b[3]))
            encoding = fr.face_encodings(rgb, [box])[0]  # type: ignore[attr-defined]
            vectors.append(np.asarray(encoding, dtype=np.float32))
            names.append(identity)
        if progress is not None:
            progress(done, len(items))
    if not vectors:
        raise IndexDataError(f"no face found in {len(items)} images under {data_root}")
    _, labels = np.unique(np.asarray(names), return_inverse=True)
    log.info("real embeddings computed", extra={"count": len(vectors)})
    return RealEmbeddings(np.stack(vectors), labels.astype(np.int64))


def load_or_compute_real_embeddings(
    cache: Path,
    data_root: Path,
    *,
    sets: Sequence[str] = FACE_SETS,
    max_images: int | None = None,
    progress: Progress | None = None,
) -> RealEmbeddings:
    """The cached embeddings, computed first when the cache file is missing."""
    if cache.is_file():
        return RealEmbeddings.load(cache)
    real = compute_real_embeddings(data_root, sets=sets, max_images=max_images, progress=progress)
    real.save(cache)
    return real


@dataclass(frozen=True, slots=True)
class EmbeddingModel:
    """A Gaussian model of identities (between) and of samples around them (within)."""

    mean: FloatArray  # (d,)
    between: FloatArray  # (d, d) factor: centre = mean + z @ between
    within: FloatArray  # (d, d) factor: sample = centre + z @ within

    @classmethod
    def fit(cls, real: RealEmbeddings) -> EmbeddingModel:
        x = real.vectors.astype(np.float64)
        ids, inverse = np.unique(real.labels, return_inverse=True)
        centres = np.zeros((ids.size, x.shape[1]))
        np.add.at(centres, inverse, x)
        counts = np.bincount(inverse, minlength=ids.size)
        centres /= counts[:, None]
        residuals = x - centres[inverse]
        multi = counts[inverse] > 1
        # Unbiased within-class covariance from identities with 2+ images.
        dof = max(int(multi.sum()) - int((counts > 1).sum()), 1)
        within_cov = residuals[multi].T @ residuals[multi] / dof
        between_cov = np.cov(centres, rowvar=False)
        return cls(
            mean=centres.mean(axis=0).astype(np.float32),
            between=_factor(between_cov),
            within=_factor(within_cov),
        )

    def identities(self, n: int, rng: np.random.Generator) -> FloatArray:
        z = rng.standard_normal((n, self.mean.size), dtype=np.float32)
        out: FloatArray = self.mean + z @ self.between
        return out

    def samples(self, centres: FloatArray, rng: np.random.Generator) -> FloatArray:
        z = rng.standard_normal(centres.shape, dtype=np.float32)
        out: FloatArray = centres + z @ self.within
        return out


def _factor(cov: npt.NDArray[np.float64]) -> FloatArray:
    values, vectors = np.linalg.eigh((cov + cov.T) / 2)
    values = np.clip(values, 0.0, None)
    factor: FloatArray = (vectors * np.sqrt(values)).T.astype(np.float32)
    return factor


@dataclass(frozen=True, slots=True)
class BenchSet:
    gallery: FloatArray  # (n, d)
    queries: FloatArray  # (q, d)
    kind: str


def clustered_gallery(
    model: EmbeddingModel,
    size: int,
    n_queries: int,
    *,
    seed: int,
    per_identity: int = 2,
    chunk: int = 100_000,
) -> BenchSet:
    """``size`` templates of ``size / per_identity`` identities; half the queries mated, half not."""
    rng = np.random.default_rng(seed)
    n_ids = max(size // per_identity, 1)
    centres = model.identities(n_ids, rng)
    gallery = np.empty((size, model.mean.size), dtype=np.float32)
    owner = np.arange(size) % n_ids
    for start in range(0, size, chunk):
        stop = min(start + chunk, size)
        gallery[start:stop] = model.samples(centres[owner[start:stop]], rng)
    mated = n_queries // 2
    probe_ids = rng.integers(0, n_ids, size=mated)
    queries = np.concatenate(
        [
            model.samples(centres[probe_ids], rng),
            model.samples(model.identities(n_queries - mated, rng), rng),
        ]
    )
    return BenchSet(gallery, np.ascontiguousarray(queries, dtype=np.float32), "clustered-face")


def uniform_gallery(dim: int, size: int, n_queries: int, *, seed: int) -> BenchSet:
    rng = np.random.default_rng(seed)
    gallery = rng.random((size, dim), dtype=np.float32)
    queries = rng.random((n_queries, dim), dtype=np.float32)
    return BenchSet(gallery, queries, "uniform")


def distance_profile(
    vectors: FloatArray, labels: IntArray, *, pairs: int = 20_000
) -> dict[str, float]:
    """Median genuine and impostor Euclidean distances on random pairs (a realism check)."""
    rng = np.random.default_rng(0)
    a = rng.integers(0, labels.size, pairs)
    b = rng.integers(0, labels.size, pairs)
    keep = a != b
    a, b = a[keep], b[keep]
    dist = np.linalg.norm(vectors[a] - vectors[b], axis=1)
    same = labels[a] == labels[b]
    genuine = float(np.median(dist[same])) if same.any() else float("nan")
    return {"genuine_median": genuine, "impostor_median": float(np.median(dist[~same]))}

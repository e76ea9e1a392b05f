"""Alignment (face chips) and the 128-d ResNet embedding.

What we do differently from plain ``face_recognition`` (each choice measured,
see docs/face.md): the chip is aligned on the 68 landmarks instead of the 5,
the embedding is the mean of the chip's and its mirror image's descriptors, and
the result is L2-normalised so that comparison is a cosine similarity (and
the FAISS index can use inner product).
"""

from __future__ import annotations

from collections.abc import Sequence

import dlib
import numpy as np
import numpy.typing as npt

from biometrics.face.detect import Box, to_shape
from biometrics.face.geometry import Points
from biometrics.face.imageio import RGBImage
from biometrics.face.models import EMBEDDING_DIM, FaceModels
from biometrics.face.params import EMBEDDING, EmbeddingParams

Embedding = npt.NDArray[np.float32]  # (128,), unit length


def face_chip(
    rgb: RGBImage, points: Points, box: Box, params: EmbeddingParams = EMBEDDING
) -> RGBImage:
    """The aligned ``chip_size`` x ``chip_size`` crop the network expects (dlib's alignment)."""
    shape = to_shape(points, box)
    chip = dlib.get_face_chip(rgb, shape, size=params.chip_size, padding=params.chip_padding)
    return np.ascontiguousarray(chip, dtype=np.uint8)


def embed_chips(
    models: FaceModels, chips: Sequence[RGBImage], params: EmbeddingParams = EMBEDDING
) -> list[Embedding]:
    """One unit-length embedding per chip (flip-averaged and jittered as ``params`` say)."""
    if not chips:
        return []
    batch: list[RGBImage] = list(chips)
    if params.flip:
        batch += [np.ascontiguousarray(chip[:, ::-1]) for chip in chips]
    if params.jitters > 1:
        raw = [
            np.asarray(models.embedder.compute_face_descriptor(chip, params.jitters))
            for chip in batch
        ]
    else:
        raw = [np.asarray(d) for d in models.embedder.compute_face_descriptor(batch)]
    vectors = np.array([normalise(v) for v in raw], dtype=np.float64)
    if params.flip:
        vectors = vectors[: len(chips)] + vectors[len(chips) :]
    return [normalise(v) for v in vectors]


def normalise(vector: npt.ArrayLike) -> Embedding:
    array = np.asarray(vector, dtype=np.float64).ravel()
    if array.shape != (EMBEDDING_DIM,):
        raise ValueError(f"an embedding has {EMBEDDING_DIM} values, not {array.size}")
    norm = float(np.linalg.norm(array))
    if norm <= 1e-12:
        raise ValueError("a zero embedding cannot be normalised")
    return (array / norm).astype(np.float32)


def similarity(a: Embedding, b: Embedding) -> float:
    """Cosine similarity of two unit embeddings, in [-1, 1]; higher is more alike."""
    return float(np.clip(np.dot(a.astype(np.float64), b.astype(np.float64)), -1.0, 1.0))


def fuse(embeddings: Sequence[Embedding], weights: Sequence[float] | None = None) -> Embedding:
    """Several embeddings of one face (frames of a capture) into one template."""
    if not embeddings:
        raise ValueError("nothing to fuse")
    stacked = np.array(embeddings, dtype=np.float64)
    w = np.ones(len(embeddings)) if weights is None else np.asarray(weights, dtype=np.float64)
    return normalise((stacked * w[:, None]).sum(axis=0))

"""1:N candidate retrieval: per-minutia cylinder descriptors in FAISS, voting per finger.

Every valid minutia of an enrolled finger contributes its MCC cylinder (cell
values, L2-normalised) as one fixed-length vector, labelled with the finger.
A probe's cylinders each fetch their ``neighbours`` nearest vectors (inner
product after a PCA to ``dims`` dimensions, exact search); each finger collects,
per probe cylinder, the best similarity among its own vectors, and the sum over
the probe's cylinders is the finger's vote (so one well-matching minutia cannot
vote twice). The ``shortlist`` fingers with the most votes are re-ranked by the
full matcher (:func:`~biometrics.fingerprint.match.compare_many`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from biometrics.fingerprint import match
from biometrics.fingerprint.params import INDEX, IndexParams
from biometrics.fingerprint.template import MinutiaeTemplate
from biometrics.index._faiss import faiss


@dataclass(frozen=True, slots=True)
class Candidate:
    finger: int  # position in the enrolled sequence
    votes: float
    score: float  # the matcher's score (0 for fingers outside the shortlist)


def descriptors(template: MinutiaeTemplate) -> npt.NDArray[np.float32]:
    """The template's cylinders as L2-normalised rows."""
    cylinders = template.cylinders
    if cylinders is None:
        raise ValueError("template has no cylinders: pass it through mcc.encode first")
    values = cylinders.values.astype(np.float32)
    norms = np.linalg.norm(values, axis=1, keepdims=True)
    result: npt.NDArray[np.float32] = np.ascontiguousarray(values / np.maximum(norms, 1e-6))
    return result


class MinutiaIndex:
    """Enrolled fingers, searchable by a probe template; built once, searched many times."""

    def __init__(self, templates: Sequence[MinutiaeTemplate], params: IndexParams = INDEX) -> None:
        self.params = params
        self.templates = list(templates)
        rows = [descriptors(t) for t in self.templates]
        self.owner = np.repeat(np.arange(len(rows)), [r.shape[0] for r in rows]).astype(np.int64)
        vectors = np.concatenate(rows) if rows else np.zeros((0, 1), np.float32)
        dim = vectors.shape[1]
        self.index = faiss.index_factory(dim, f"PCA{params.dims},Flat", faiss.METRIC_INNER_PRODUCT)
        sample = vectors[:: max(1, vectors.shape[0] // 50_000)]
        self.index.train(sample)
        self.index.add(vectors)

    def __len__(self) -> int:
        return len(self.templates)

    def votes(self, probe: MinutiaeTemplate) -> npt.NDArray[np.float64]:
        """Per enrolled finger, the summed best similarity of the probe's cylinders."""
        queries = descriptors(probe)
        totals = np.zeros(len(self.templates))
        if queries.shape[0] == 0:
            return totals
        similarity, ids = self.index.search(queries, self.params.neighbours)
        for row in range(queries.shape[0]):
            found = ids[row] >= 0
            fingers = self.owner[ids[row][found]]
            best: dict[int, float] = {}
            for finger, value in zip(
                fingers.tolist(), similarity[row][found].tolist(), strict=True
            ):
                if value > best.get(finger, -np.inf):
                    best[finger] = value
            for finger, value in best.items():
                totals[finger] += value
        return totals

    def search(self, probe: MinutiaeTemplate, top: int = 10) -> list[Candidate]:
        """The ``top`` fingers by matcher score among the vote shortlist, best first."""
        votes = self.votes(probe)
        shortlist = np.argsort(-votes, kind="stable")[: self.params.shortlist]
        subset = match.Gallery([self.templates[k] for k in shortlist])
        scores = match.compare_many(probe, subset)
        order = np.argsort(-scores, kind="stable")[:top]
        return [
            Candidate(int(shortlist[k]), float(votes[shortlist[k]]), float(scores[k]))
            for k in order
        ]

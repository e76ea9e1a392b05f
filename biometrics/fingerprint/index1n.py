"""1:N candidate retrieval: per-minutia cylinder descriptors in FAISS, voting per finger.

Every valid minutia of an enrolled finger contributes its MCC cylinder (cell
values, L2-normalised) as one fixed-length vector, labelled with the finger.
FAISS stores it after a PCA to ``dims`` dimensions as a compact code
(``codes``, one byte a dimension by default), in an inverted file of ``lists``
cells when the training sample is large enough (``probe_lists`` cells are
visited per query), else in one exhaustively searched list. A probe's cylinders
each fetch their ``neighbours`` nearest vectors (inner product); each finger
collects, per probe cylinder, the best vote among its own vectors, and the sum
over the probe's cylinders is the finger's vote (so one well-matching minutia
cannot vote twice). A neighbour's vote is ``1 / rank`` of its place in the
query's list (``voting="rank"``, the default) or its similarity
(``voting="similarity"``, the first version): rank votes put the mate higher
(docs/fingerprint.md, measured on probes not reported). The ``shortlist`` fingers with the most votes are
re-ranked by the full matcher (:func:`~biometrics.fingerprint.match.compare_many`)
on their :class:`~biometrics.fingerprint.compact.CompactTemplate` (the
cylinders' bits, ~5 KB a finger), the only per-finger data kept besides the codes.

:class:`DualIndex` does the same for fingers held as ``gerbang_dual`` templates
(both minutiae sets and the ridge flow): one :class:`MinutiaIndex` per set, a
finger's votes the sum of its votes in both, the shortlist re-ranked by
``gerbang_dual`` (:func:`~biometrics.fingerprint.dual.compare_many`). The
enhanced set finds the mates whose raw minutiae are poor (measured on
FVC2002 DB3_B and DB4_B, docs/fingerprint.md "1:N").

Building is chunked: :meth:`MinutiaIndex.train` fits the PCA and the IVF cells
on a sample, then :meth:`MinutiaIndex.add` takes the fingers a chunk at a time
(the full float cylinders of one chunk only are ever in memory). Adding the same
fingers in one chunk or in many gives the same index (a unit test).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from biometrics.fingerprint import dual, match
from biometrics.fingerprint.compact import CompactTemplate
from biometrics.fingerprint.dual import DualTemplate
from biometrics.fingerprint.flow import RidgeFlow
from biometrics.fingerprint.params import INDEX, IndexParams
from biometrics.fingerprint.template import MinutiaeTemplate
from biometrics.index._faiss import faiss

TRAINING_POINTS_PER_LIST = 39  # FAISS's own minimum for k-means


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
    if cylinders.count and not cylinders.has_cells:
        raise ValueError("template holds its cylinders' bits only (restored compact form)")
    values = cylinders.values.astype(np.float32)
    norms = np.linalg.norm(values, axis=1, keepdims=True)
    result: npt.NDArray[np.float32] = np.ascontiguousarray(values / np.maximum(norms, 1e-6))
    return result


def _stack(templates: Iterable[MinutiaeTemplate]) -> tuple[npt.NDArray[np.float32], list[int]]:
    rows = [descriptors(t) for t in templates]
    counts = [r.shape[0] for r in rows]
    if not rows or not sum(counts):
        return np.zeros((0, 0), np.float32), counts
    return np.ascontiguousarray(np.concatenate(rows)), counts


ADD_CHUNK = 5000  # fingers whose descriptors are stacked at once when adding


class MinutiaIndex:
    """Enrolled fingers, searchable by a probe template.

    ``MinutiaIndex(templates)`` trains on (a sample of) the templates and adds
    them; for large galleries use :meth:`trained` and :meth:`add` in chunks.
    """

    def __init__(
        self, templates: Sequence[MinutiaeTemplate] = (), params: IndexParams = INDEX
    ) -> None:
        self.params = params
        self.fingers: list[CompactTemplate] = []
        self._owner: list[npt.NDArray[np.int32]] = []
        self._owner_flat: npt.NDArray[np.int32] | None = None
        self.index: Any = None  # the FAISS index, once trained
        self.description = ""
        if templates:
            step = max(1, len(templates) // params.train_fingers)
            self.train(templates[::step])
            for first in range(0, len(templates), ADD_CHUNK):  # bounded descriptor stacks
                self.add(templates[first : first + ADD_CHUNK])

    @classmethod
    def trained(
        cls, sample: Sequence[MinutiaeTemplate], params: IndexParams = INDEX
    ) -> MinutiaIndex:
        """An empty index whose PCA and IVF cells are fitted on ``sample``."""
        index = cls(params=params)
        index.train(sample)
        return index

    def train(self, sample: Sequence[MinutiaeTemplate]) -> None:
        if self.fingers:
            raise ValueError("train before adding fingers")
        vectors, _ = _stack(sample)
        if vectors.shape[0] == 0:
            raise ValueError("no cylinders to train the index on")
        dims = min(self.params.dims, vectors.shape[1])
        lists = min(self.params.lists, vectors.shape[0] // TRAINING_POINTS_PER_LIST)
        layout = f"IVF{lists}," if lists >= self.params.min_lists else ""
        self.description = f"PCA{dims},{layout}{self.params.codes}"
        index = faiss.index_factory(vectors.shape[1], self.description, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
        if layout:
            faiss.extract_index_ivf(index).nprobe = self.params.probe_lists
        self.index = index

    def add(self, templates: Iterable[MinutiaeTemplate]) -> None:
        """Append fingers (positions continue from the last one added)."""
        if self.index is None:
            raise ValueError("train the index first")
        chunk = list(templates)
        vectors, counts = _stack(chunk)
        first = len(self.fingers)
        self.fingers.extend(CompactTemplate.of(t) for t in chunk)
        owner = np.repeat(np.arange(first, first + len(chunk), dtype=np.int32), counts)
        self._owner.append(owner)
        self._owner_flat = None
        if vectors.shape[0]:
            self._faiss.add(vectors)

    @property
    def _faiss(self) -> Any:
        if self.index is None:
            raise ValueError("train the index first")
        return self.index

    @property
    def owner(self) -> npt.NDArray[np.int32]:
        """The finger of every stored vector, in FAISS id order."""
        if self._owner_flat is None:
            parts = self._owner or [np.zeros(0, np.int32)]
            self._owner_flat = np.concatenate(parts)
            self._owner = [self._owner_flat]
        return self._owner_flat

    def __len__(self) -> int:
        return len(self.fingers)

    @property
    def vectors(self) -> int:
        return int(self.owner.size)

    def nbytes(self) -> dict[str, int]:
        """Bytes held: FAISS (codes, ids, PCA, cells), the compact templates, the owners."""
        stored = int(faiss.serialize_index(self.index).size) if self.index is not None else 0
        return {
            "faiss": stored,
            "templates": sum(f.nbytes for f in self.fingers),
            "owners": int(self.owner.nbytes),
        }

    def votes(self, probe: MinutiaeTemplate) -> npt.NDArray[np.float64]:
        """Per enrolled finger, the summed best similarity of the probe's cylinders."""
        queries = descriptors(probe)
        totals = np.zeros(len(self.fingers))
        if queries.shape[0] == 0 or self.vectors == 0:
            return totals
        similarity, ids = self._faiss.search(queries, self.params.neighbours)
        found = ids >= 0
        rows, columns = np.nonzero(found)
        fingers = self.owner[ids[found]].astype(np.int64)
        if self.params.voting == "rank":  # the neighbour's place in the query's list: 1, 1/2, ...
            values = 1.0 / (1.0 + columns.astype(np.float64))
        else:  # "similarity": the inner product itself
            values = similarity[found].astype(np.float64)
        # best value per (probe cylinder, finger): sort by the pair, then by value descending
        key = rows.astype(np.int64) * len(self.fingers) + fingers
        order = np.lexsort((-values, key))
        key, values, fingers = key[order], values[order], fingers[order]
        first = np.ones(key.size, bool)
        first[1:] = key[1:] != key[:-1]
        np.add.at(totals, fingers[first], values[first])
        return totals

    def shortlist(self, votes: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
        """The ``shortlist`` fingers with the most votes, most first; never a finger
        without votes (no evidence: ties at zero would go to the lowest positions)."""
        order = np.argsort(-votes, kind="stable")[: self.params.shortlist]
        result: npt.NDArray[np.intp] = order[votes[order] > 0]
        return result

    def rerank(
        self, probe: MinutiaeTemplate, shortlist: npt.NDArray[np.intp]
    ) -> npt.NDArray[np.float64]:
        """The matcher's scores of ``probe`` against the given fingers."""
        subset = match.Gallery([self.fingers[k].restore() for k in shortlist])
        return match.compare_many(probe, subset)

    def search(self, probe: MinutiaeTemplate, top: int = 10) -> list[Candidate]:
        """The ``top`` fingers by matcher score among the vote shortlist, best first."""
        votes = self.votes(probe)
        shortlist = self.shortlist(votes)
        scores = self.rerank(probe, shortlist)
        order = np.argsort(-scores, kind="stable")[:top]
        return [
            Candidate(int(shortlist[k]), float(votes[shortlist[k]]), float(scores[k]))
            for k in order
        ]


class DualIndex:
    """Fingers held with both minutiae sets and their ridge flow (``gerbang_dual``).

    One :class:`MinutiaIndex` per set, trained on that set of the sample; the
    flows are kept as they are (one byte a block, ~2 KB a finger).
    """

    def __init__(self, fingers: Sequence[DualTemplate] = (), params: IndexParams = INDEX) -> None:
        self.params = params
        self.raw = MinutiaIndex(params=params)
        self.enhanced = MinutiaIndex(params=params)
        self.flows: list[RidgeFlow] = []
        if fingers:
            step = max(1, len(fingers) // params.train_fingers)
            self.train(fingers[::step])
            for first in range(0, len(fingers), ADD_CHUNK):
                self.add(fingers[first : first + ADD_CHUNK])

    @classmethod
    def trained(cls, sample: Sequence[DualTemplate], params: IndexParams = INDEX) -> DualIndex:
        index = cls(params=params)
        index.train(sample)
        return index

    def train(self, sample: Sequence[DualTemplate]) -> None:
        self.raw.train([f.raw for f in sample])
        self.enhanced.train([f.enhanced for f in sample])

    def add(self, fingers: Iterable[DualTemplate]) -> None:
        chunk = list(fingers)
        self.raw.add(f.raw for f in chunk)
        self.enhanced.add(f.enhanced for f in chunk)
        self.flows.extend(f.flow for f in chunk)

    def __len__(self) -> int:
        return len(self.flows)

    @property
    def vectors(self) -> int:
        return self.raw.vectors + self.enhanced.vectors

    @property
    def description(self) -> str:
        return self.raw.description

    def nbytes(self) -> dict[str, int]:
        raw, enhanced = self.raw.nbytes(), self.enhanced.nbytes()
        return {key: raw[key] + enhanced[key] for key in raw} | {
            "flows": sum(f.degrees.nbytes for f in self.flows)
        }

    def votes(self, probe: DualTemplate) -> npt.NDArray[np.float64]:
        """Per enrolled finger, its votes from the probe's raw set plus those from its
        enhanced set (each as :meth:`MinutiaIndex.votes`)."""
        result: npt.NDArray[np.float64] = self.raw.votes(probe.raw) + self.enhanced.votes(
            probe.enhanced
        )
        return result

    def shortlist(self, votes: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
        return self.raw.shortlist(votes)

    def rerank(
        self,
        probe: DualTemplate,
        shortlist: npt.NDArray[np.intp],
        *,
        decide_at: float | None = None,
    ) -> npt.NDArray[np.float64]:
        """``gerbang_dual``'s scores of ``probe`` against the given fingers (with
        ``decide_at``: exact at or above it, see :func:`dual.compare_many`)."""
        fingers = [
            DualTemplate(
                self.raw.fingers[k].restore(),
                self.enhanced.fingers[k].restore(),
                self.flows[k],
            )
            for k in shortlist.tolist()
        ]
        return dual.compare_many(probe, fingers, decide_at=decide_at)

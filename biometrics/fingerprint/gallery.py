"""A 1:N fingerprint gallery: exhaustive while small, the candidate index when large.

:class:`FingerGallery` holds the references' minutiae (:class:`~biometrics.fingerprint.dual.FingerSets`)
and answers ``search(probe)`` with matcher scores, best first. Below
``IndexParams.exhaustive_below`` references (``dual_exhaustive_below`` for a dual
gallery: its exhaustive search costs ~4x) every reference is scored (exact:
the same scores as comparing one by one). From that size on the references go
into the candidate index of :mod:`~biometrics.fingerprint.index1n` and only its
vote shortlist is scored; a mate outside the shortlist is then missed
(measured: ``gerbang bench fingerprint-index``, docs/fingerprint.md).

One matcher per search, as in 1:1 (``dual.score_pairs``): when every reference
holds both minutiae sets and the ridge flow (:attr:`FingerSets.dual`) the
gallery is *dual*, and a probe that holds them too is scored by ``gerbang_dual``
(votes from both sets in the index, :class:`~biometrics.fingerprint.index1n.DualIndex`);
any other search scores the raw sets (``gerbang``). :meth:`FingerGallery.uses_dual`
tells which, so that the caller decides at that matcher's threshold; given that
threshold (``decide_at``), the flow is compared only where it can matter
(:func:`~biometrics.fingerprint.dual.compare_many`).
Build it once per change of the references (it is immutable), off the UI thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from biometrics.fingerprint import dual, match
from biometrics.fingerprint.dual import DualTemplate, FingerSets
from biometrics.fingerprint.index1n import DualIndex, MinutiaIndex
from biometrics.fingerprint.params import INDEX, IndexParams
from biometrics.fingerprint.template import MinutiaeTemplate


@dataclass(frozen=True, slots=True)
class Hit:
    reference: int  # position in the gallery's references
    score: float  # the matcher's score, 0..1


def _sets(finger: FingerSets | MinutiaeTemplate) -> FingerSets:
    return finger if isinstance(finger, FingerSets) else FingerSets(finger)


class FingerGallery:
    def __init__(
        self, references: Sequence[FingerSets | MinutiaeTemplate], params: IndexParams = INDEX
    ) -> None:
        fingers = [_sets(r) for r in references]
        duals = [f.dual for f in fingers]
        both = [d for d in duals if d is not None]
        self.size = len(fingers)
        self.params = params
        self.dual = bool(fingers) and len(both) == len(fingers)
        self._engine: MinutiaIndex | match.Gallery | DualIndex | dual.Gallery
        # a raw search stays exhaustive below exhaustive_below, also in a dual gallery
        # that searches its index (dual_exhaustive_below is lower): the raw sets stacked
        self._raw_exhaustive: match.Gallery | None = None
        raw = [f.raw for f in fingers]
        if self.dual:
            indexed = self.size >= params.dual_exhaustive_below
            self._engine = DualIndex(both, params) if indexed else dual.Gallery(both)
            if indexed and self.size < params.exhaustive_below:
                self._raw_exhaustive = match.Gallery(raw)
        else:
            indexed = self.size >= params.exhaustive_below
            self._engine = MinutiaIndex(raw, params) if indexed else match.Gallery(raw)

    @property
    def method(self) -> str:
        """How a ``gerbang_dual`` search (a dual gallery) or a raw one (any other) runs;
        a raw search of a dual gallery is exhaustive below ``exhaustive_below``."""
        return "index" if isinstance(self._engine, MinutiaIndex | DualIndex) else "exhaustive"

    def __len__(self) -> int:
        return self.size

    def uses_dual(self, probe: FingerSets | MinutiaeTemplate) -> bool:
        """Whether :meth:`search` scores this probe with ``gerbang_dual`` (else the raw sets)."""
        return self.dual and _sets(probe).dual is not None

    def search(
        self,
        probe: FingerSets | MinutiaeTemplate,
        top: int | None = None,
        *,
        dual_allowed: bool = True,
        decide_at: float | None = None,
    ) -> list[Hit]:
        """Scored references, best first: all of them (exhaustive) or the index's
        shortlist; at most ``top`` when given. ``gerbang_dual`` when :meth:`uses_dual`
        and ``dual_allowed``, then ``decide_at`` is its threshold (see the module
        docstring); the raw sets otherwise."""
        sets = _sets(probe)
        both = sets.dual if dual_allowed and self.dual else None
        scores, candidates = (
            self._dual(both, decide_at) if both is not None else self._raw(sets.raw)
        )
        order = np.argsort(-scores, kind="stable")[:top]
        return [Hit(int(candidates[k]), float(scores[k])) for k in order]

    def _raw(self, probe: MinutiaeTemplate) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.intp]]:
        engine = self._engine
        if self._raw_exhaustive is not None:  # a dual gallery searched with the raw sets
            return match.compare_many(probe, self._raw_exhaustive), np.arange(self.size)
        if isinstance(engine, DualIndex):  # ... large enough for the raw sets' index too
            engine = engine.raw
        elif isinstance(engine, dual.Gallery):
            return match.compare_many(probe, engine.raw), np.arange(self.size)
        if isinstance(engine, MinutiaIndex):
            candidates = engine.shortlist(engine.votes(probe))
            return engine.rerank(probe, candidates), candidates
        return match.compare_many(probe, engine), np.arange(self.size)

    def _dual(
        self, probe: DualTemplate, decide_at: float | None
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.intp]]:
        engine = self._engine
        if isinstance(engine, DualIndex):
            candidates = engine.shortlist(engine.votes(probe))
            return engine.rerank(probe, candidates, decide_at=decide_at), candidates
        if isinstance(engine, dual.Gallery):
            return dual.compare_many(probe, engine, decide_at=decide_at), np.arange(self.size)
        raise AssertionError("a dual search needs a dual gallery")  # search checks self.dual

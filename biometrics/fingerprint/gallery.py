"""A 1:N fingerprint gallery: exhaustive while small, the candidate index when large.

:class:`FingerGallery` holds encoded references and answers ``search(probe)``
with the references' matcher scores, best first. Below
``IndexParams.exhaustive_below`` references every reference is scored
(:func:`~biometrics.fingerprint.match.compare_many`, exact: the same scores as
:func:`~biometrics.fingerprint.match.compare` one by one). From that size on the
references go into a :class:`~biometrics.fingerprint.index1n.MinutiaIndex` and
only its vote shortlist is scored; a mate outside the shortlist is then missed
(measured: ``gerbang bench fingerprint-index``, docs/fingerprint.md).
Build it once per change of the references (it is immutable), off the UI thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from biometrics.fingerprint import match
from biometrics.fingerprint.index1n import MinutiaIndex
from biometrics.fingerprint.params import INDEX, IndexParams
from biometrics.fingerprint.template import MinutiaeTemplate


@dataclass(frozen=True, slots=True)
class Hit:
    reference: int  # position in the gallery's references
    score: float  # the matcher's score, 0..1


class FingerGallery:
    def __init__(self, references: Sequence[MinutiaeTemplate], params: IndexParams = INDEX) -> None:
        self.size = len(references)
        self.params = params
        self._engine: MinutiaIndex | match.Gallery = (
            MinutiaIndex(references, params)
            if self.size >= params.exhaustive_below
            else match.Gallery(references)
        )

    @property
    def method(self) -> str:
        return "index" if isinstance(self._engine, MinutiaIndex) else "exhaustive"

    def __len__(self) -> int:
        return self.size

    def search(self, probe: MinutiaeTemplate, top: int | None = None) -> list[Hit]:
        """Scored references, best first: all of them (exhaustive) or the index's
        shortlist; at most ``top`` when given."""
        if isinstance(self._engine, MinutiaIndex):
            votes = self._engine.votes(probe)
            candidates = self._engine.shortlist(votes)
            scores = self._engine.rerank(probe, candidates)
        else:
            scores = match.compare_many(probe, self._engine)
            candidates = np.arange(self.size)
        order = np.argsort(-scores, kind="stable")[:top]
        return [Hit(int(candidates[k]), float(scores[k])) for k in order]

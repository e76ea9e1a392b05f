"""Compact encoded templates for large galleries: what re-ranking needs, ~5 KB a finger.

An encoded :class:`~biometrics.fingerprint.template.MinutiaeTemplate` holds its
cylinders' float cells (for the 1:N index's descriptors) besides their bits (tens
of KB a finger, several GB for 100,000 fingers). A :class:`CompactTemplate` keeps,
per kept cylinder, only what the matcher compares: the packed bits
(:func:`~biometrics.fingerprint.template.pack_bits`, 88 bytes with the default
cylinder) and the position and direction of its minutia.
:meth:`CompactTemplate.restore` rebuilds the
:class:`~biometrics.fingerprint.template.Cylinders` from them, so the matcher scores a
restored template exactly as the original (a unit test).

The restored template holds only the minutiae that have a cylinder (kind and
reliability are not kept) and no float cells: it is for the matcher, not for export
nor for the index's descriptors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from biometrics.fingerprint.template import Cylinders, MinutiaeTemplate


@dataclass(frozen=True, slots=True)
class CompactTemplate:
    width: int
    height: int
    points: npt.NDArray[np.float32]  # 3 x n: x, y, angle of the minutiae with a cylinder
    words: npt.NDArray[np.uint64]  # n x (2 W + S): the cylinders' bits (template.pack_bits)
    spatial: int  # spatial cells per cylinder

    @classmethod
    def of(cls, template: MinutiaeTemplate) -> CompactTemplate:
        cylinders = template.cylinders
        if cylinders is None:
            raise ValueError("template has no cylinders: pass it through mcc.encode first")
        index = cylinders.index
        points = np.stack([template.x[index], template.y[index], template.angle[index]])
        return cls(
            template.width,
            template.height,
            np.ascontiguousarray(points, np.float32),
            np.ascontiguousarray(cylinders.words),
            cylinders.spatial,
        )

    @property
    def count(self) -> int:
        return int(self.words.shape[0])

    @property
    def nbytes(self) -> int:
        return int(self.points.nbytes + self.words.nbytes)

    def restore(self) -> MinutiaeTemplate:
        """A template with cylinders the matcher can score (see the module docstring)."""
        n = self.count
        cylinders = Cylinders.of_words(
            self.words,
            self.spatial,
            index=np.arange(n, dtype=np.intp),
            angle=self.points[2],
            x=self.points[0],
            y=self.points[1],
        )
        return MinutiaeTemplate(
            width=self.width,
            height=self.height,
            x=self.points[0].copy(),
            y=self.points[1].copy(),
            angle=self.points[2].copy(),
            kind=np.ones(n, np.uint8),
            reliability=np.zeros(n, np.float32),
            cylinders=cylinders,
        )

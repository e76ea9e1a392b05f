"""Compact encoded templates for large galleries: what re-ranking needs, ~13 KB a finger.

An encoded :class:`~biometrics.fingerprint.template.MinutiaeTemplate` holds its
cylinders' cells and validity as float32 (tens of KB a finger, several GB for
100,000 fingers). A :class:`CompactTemplate`
keeps, per kept cylinder, the cell values quantised to uint8 (they are sigmoid
outputs in 0..1; step 1/255), the spatial validity packed into bits, and the
position and direction of its minutia; :meth:`CompactTemplate.restore` rebuilds
the :class:`~biometrics.fingerprint.template.Cylinders` (with the minutiae's
positions and directions, from which the matcher computes the geometry of the
pairs it relaxes), so the matcher scores a restored template as it scores the original up to the
quantisation (within 0.01 on FVC2002, a unit test).

The restored template holds only the minutiae that have a cylinder (kind and
reliability are not kept): it is for the matcher, not for export.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from biometrics.fingerprint.template import Cylinders, MinutiaeTemplate

LEVELS = 255


@dataclass(frozen=True, slots=True)
class CompactTemplate:
    width: int
    height: int
    points: npt.NDArray[np.float32]  # 3 x n: x, y, angle of the minutiae with a cylinder
    values: npt.NDArray[np.uint8]  # n x (cells * nd), round(value * 255)
    valid: npt.NDArray[np.uint8]  # n x ceil(cells / 8), packed spatial validity
    cells: int

    @classmethod
    def of(cls, template: MinutiaeTemplate) -> CompactTemplate:
        cylinders = template.cylinders
        if cylinders is None:
            raise ValueError("template has no cylinders: pass it through mcc.encode first")
        index = cylinders.index
        points = np.stack([template.x[index], template.y[index], template.angle[index]])
        quantised = np.rint(np.clip(cylinders.values, 0.0, 1.0) * LEVELS).astype(np.uint8)
        valid = np.packbits(cylinders.valid > 0.5, axis=1)
        return cls(
            template.width,
            template.height,
            np.ascontiguousarray(points, np.float32),
            quantised,
            valid,
            int(cylinders.valid.shape[1]),
        )

    @property
    def count(self) -> int:
        return int(self.values.shape[0])

    @property
    def nbytes(self) -> int:
        return int(self.points.nbytes + self.values.nbytes + self.valid.nbytes)

    def restore(self) -> MinutiaeTemplate:
        """A template with cylinders the matcher can score (see the module docstring)."""
        n = self.count
        valid = np.unpackbits(self.valid, axis=1, count=self.cells).astype(np.float32)
        values = self.values.astype(np.float32) * np.float32(1.0 / LEVELS)
        directions = values.shape[1] // max(self.cells, 1) if n else 0
        squared = (values.reshape(n, self.cells, directions) ** 2).sum(axis=2, dtype=np.float32)
        cylinders = Cylinders.of(
            values=values,
            valid=valid,
            squared=squared,
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

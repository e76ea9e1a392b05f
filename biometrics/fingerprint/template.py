"""The minutiae template: mindtct's minutiae as arrays, plus the MCC cylinders.

Coordinates are pixels of the 500 ppi image (origin top-left, y down); angles
are radians in the ISO/IEC 19794-2 convention (counter-clockwise from the x
axis as seen on screen, so the direction vector is ``(cos a, -sin a)`` in image
coordinates). ``cylinders`` is filled by :func:`biometrics.fingerprint.mcc.encode`
once per template, so that a comparison is matrix products only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Cylinders:
    """MCC cylinders of the valid minutiae (rows), in-circle cells only.

    ``values`` (cells x direction bins, cell-major) are zero where a cell is
    invalid; ``valid`` is 1/0 per spatial cell; ``squared`` is the sum of the
    squared values of each spatial cell over its direction bins (validity is
    spatial, so the masked norms of the similarity need only these);
    ``index`` maps rows to minutiae of the template; ``x``, ``y`` and
    ``angle`` are those minutiae's position and direction (LSS-R's relaxation
    computes the pairwise geometry of the pairs it relaxes from them).

    Stored as two row-major blocks, ``cells`` (values | valid | squared per row)
    and ``points`` (angle, x, y, cos, sin per row), so that a gallery stacks a
    template with two copies instead of six (the all-pairs evaluation builds a
    gallery per probe); the named arrays are views of them. Build with :meth:`of`.
    """

    cells: F32
    points: F32
    index: npt.NDArray[np.intp]
    spatial: int  # spatial cells per cylinder

    @classmethod
    def of(
        cls,
        values: npt.ArrayLike,
        valid: npt.ArrayLike,
        squared: npt.ArrayLike,
        index: npt.ArrayLike,
        angle: npt.ArrayLike,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
    ) -> Cylinders:
        valid_ = np.asarray(valid, np.float32)
        spatial = valid_.shape[1]
        cells = np.concatenate(
            [np.asarray(values, np.float32), valid_, np.asarray(squared, np.float32)], axis=1
        )
        angle_ = np.asarray(angle, np.float32)
        points = np.stack([angle_, x, y, np.cos(angle_), np.sin(angle_)], axis=1)
        return cls(
            np.ascontiguousarray(cells, np.float32),
            np.ascontiguousarray(points, np.float32),
            np.asarray(index, np.intp),
            int(spatial),
        )

    @property
    def count(self) -> int:
        return int(self.index.size)

    @property
    def values(self) -> F32:
        return self.cells[:, : self.cells.shape[1] - 2 * self.spatial]

    @property
    def valid(self) -> F32:
        end = self.cells.shape[1] - self.spatial
        return self.cells[:, end - self.spatial : end]

    @property
    def squared(self) -> F32:
        return self.cells[:, self.cells.shape[1] - self.spatial :]

    @property
    def angle(self) -> F32:
        return self.points[:, 0]

    @property
    def x(self) -> F32:
        return self.points[:, 1]

    @property
    def y(self) -> F32:
        return self.points[:, 2]

    @property
    def direction(self) -> F32:
        """(cos, sin) of each row's angle, rows x 2."""
        return self.points[:, 3:5]


@dataclass(frozen=True, slots=True)
class MinutiaeTemplate:
    """Minutiae of one print at 500 ppi. Arrays are aligned; ``kind`` 1 ending, 2 bifurcation."""

    width: int
    height: int
    x: F32
    y: F32
    angle: F32
    kind: npt.NDArray[np.uint8]
    reliability: F32
    quality: int | None = None  # 0-100 (NFIQ 2 or the fallback, see quality_method)
    quality_method: str | None = None
    cylinders: Cylinders | None = field(default=None, compare=False)

    @property
    def count(self) -> int:
        return int(self.x.size)

    @classmethod
    def from_lists(
        cls,
        width: int,
        height: int,
        rows: Sequence[tuple[float, float, float, int, float]],
        *,
        quality: int | None = None,
        quality_method: str | None = None,
    ) -> MinutiaeTemplate:
        """From (x, y, angle radians, kind, reliability) rows."""
        array = np.asarray(rows, dtype=np.float64).reshape(-1, 5)
        return cls(
            width=width,
            height=height,
            x=array[:, 0].astype(np.float32),
            y=array[:, 1].astype(np.float32),
            angle=np.mod(array[:, 2], 2 * np.pi).astype(np.float32),
            kind=array[:, 3].astype(np.uint8),
            reliability=array[:, 4].astype(np.float32),
            quality=quality,
            quality_method=quality_method,
        )

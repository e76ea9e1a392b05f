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
    """

    values: F32
    valid: F32
    squared: F32
    index: npt.NDArray[np.intp]
    angle: F32
    x: F32
    y: F32

    @property
    def count(self) -> int:
        return int(self.index.size)


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

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


# A cell's bit is set where its value (the sigmoid Psi of MCC) is at least this: where the
# contributions' sum reaches mu_psi, the step function of the bit-based MCC (Cappelli et
# al. 2010, section 4.3).
BIT_LEVEL = 0.5
WORD = 64  # bits a word


def words_per_row(spatial: int, directional: int) -> tuple[int, int]:
    """(value words, spatial words) of a cylinder's packed row: ``spatial * directional``
    value bits and ``spatial`` validity bits, 64 to a word."""
    return -(-spatial * directional // WORD), -(-spatial // WORD)


def pack_bits(values: npt.ArrayLike, valid: npt.ArrayLike) -> npt.NDArray[np.uint64]:
    """The cylinders' bit rows: W value words (cell value >= ``BIT_LEVEL`` on a valid cell),
    W words of the validity repeated over the direction bins (the same layout), S words of
    the spatial validity; bit k of a field is bit k % 64 of its word k // 64."""
    valid_ = np.asarray(valid) > 0.5
    values_ = np.asarray(values, np.float32)
    n, spatial = valid_.shape
    directional = values_.shape[1] // spatial if spatial else 0
    value_words, spatial_words = words_per_row(spatial, directional)
    repeated = np.repeat(valid_, directional, axis=1)
    fields = (
        (values_ >= BIT_LEVEL) & repeated,
        repeated,
        valid_,
    )
    sizes = (value_words, value_words, spatial_words)
    packed = []
    for bits, words in zip(fields, sizes, strict=True):
        padded = np.zeros((n, words * WORD), bool)
        padded[:, : bits.shape[1]] = bits
        packed.append(np.packbits(padded, axis=1, bitorder="little").view("<u8").astype(np.uint64))
    return np.ascontiguousarray(
        np.concatenate(packed, axis=1).reshape(n, 2 * value_words + spatial_words)
    )


@dataclass(frozen=True, slots=True)
class Cylinders:
    """MCC cylinders of the valid minutiae (rows), in-circle cells only.

    The matcher compares their bits (``words``, :func:`pack_bits`: a cell is set where its
    value reaches ``BIT_LEVEL``; bit-based MCC, popcounts instead of float products).
    ``cells`` keeps the float values for the 1:N index's descriptors
    (:mod:`index1n`): ``values`` (cells x direction bins, cell-major) are zero where a
    cell is invalid; ``valid`` is 1/0 per spatial cell. A template restored from its
    compact form (:mod:`compact`) has the words only (``cells`` 0 wide).
    ``index`` maps rows to minutiae of the template; ``x``, ``y`` and ``angle`` are
    those minutiae's position and direction (LSS-R's relaxation computes the pairwise
    geometry of the pairs it relaxes from them).

    Stored as row-major blocks, ``cells`` (values | valid per row), ``words``
    and ``points`` (angle, x, y, cos, sin per row); the named arrays are views of them.
    Build with :meth:`of` (or :meth:`of_words`).
    """

    cells: F32
    points: F32
    index: npt.NDArray[np.intp]
    spatial: int  # spatial cells per cylinder
    words: npt.NDArray[np.uint64]  # rows x (2 W + S), see pack_bits

    @classmethod
    def of(
        cls,
        values: npt.ArrayLike,
        valid: npt.ArrayLike,
        index: npt.ArrayLike,
        angle: npt.ArrayLike,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
    ) -> Cylinders:
        valid_ = np.asarray(valid, np.float32)
        spatial = valid_.shape[1]
        values_ = np.asarray(values, np.float32)
        cells = np.concatenate([values_, valid_], axis=1)
        return cls(
            np.ascontiguousarray(cells, np.float32),
            _points(angle, x, y),
            np.asarray(index, np.intp),
            int(spatial),
            pack_bits(values_, valid_),
        )

    @classmethod
    def of_words(
        cls,
        words: npt.ArrayLike,
        spatial: int,
        index: npt.ArrayLike,
        angle: npt.ArrayLike,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
    ) -> Cylinders:
        """Cylinders that hold their bits only (what the matcher compares)."""
        packed = np.ascontiguousarray(np.asarray(words, np.uint64))
        return cls(
            np.zeros((packed.shape[0], 0), np.float32),
            _points(angle, x, y),
            np.asarray(index, np.intp),
            int(spatial),
            packed,
        )

    @property
    def count(self) -> int:
        return int(self.index.size)

    @property
    def layout(self) -> tuple[int, int]:
        """(value words, spatial words) of a row of ``words`` (:func:`pack_bits`)."""
        spatial_words = -(-self.spatial // WORD)
        return (self.words.shape[1] - spatial_words) // 2, spatial_words

    @property
    def has_cells(self) -> bool:
        """Whether the float cell values are held (not for a restored compact template)."""
        return bool(self.cells.shape[1] > 0)

    @property
    def values(self) -> F32:
        return self.cells[:, : max(self.cells.shape[1] - self.spatial, 0)]

    @property
    def valid(self) -> F32:
        return self.cells[:, max(self.cells.shape[1] - self.spatial, 0) :]

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


def _points(angle: npt.ArrayLike, x: npt.ArrayLike, y: npt.ArrayLike) -> F32:
    angle_ = np.asarray(angle, np.float32)
    points = np.stack([angle_, x, y, np.cos(angle_), np.sin(angle_)], axis=1)
    return np.ascontiguousarray(points, np.float32)


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

"""Ridge flow: a print's orientation field on a block grid, and how well two agree.

Minutiae say little when two impressions share only a small area (one shows
the finger above its core, the other below): few minutiae lie in the
overlap and their local descriptors reach past it. The ridge flow there
still agrees. This is the orientation-field comparison of the literature on
hybrid matchers, kept small:

- **Field.** From the enhancement's structure tensor (:func:`enhance.enhance`:
  ridge-normal direction, coherence, print area), averaged per block of
  ``FlowParams.block`` pixels as doubled-angle vectors (so 0 and 180 degrees
  agree). A block counts when at least ``min_area`` of it is print. Stored as
  one byte a block: the direction in whole degrees (0..179), 255 off the print.
- **Comparison, aligned by the minutiae** (since 2026-11-26, second change). The
  matcher's best minutia pairs say where the reference lies in the probe: each of
  the ``FlowParams.hypotheses`` pairs of highest local similarity of each minutiae
  set is one alignment (:func:`alignments`: the two minutiae made to meet). At each,
  every probe block on the print is compared with the reference block under its
  centre, and the best mean agreement over an overlap of at least ``min_overlap``
  blocks is the result (-1..1; 0 when no alignment overlaps that much). The
  agreement of two blocks is a narrow kernel of their angle difference d, sum of
  w_n cos(2nd) over ``FlowParams.harmonics`` harmonics (Fejer weights, 1 at d = 0).
  It replaced a search over every translation (FFT) and 21 rotations, which cost
  ~100 times the two MCC comparisons and let a stranger's smooth flow find some
  alignment where it agrees: aligned, impostor agreement is lower (median
  0.45-0.60 against 0.72-0.77 on the FVC2002 B sets) and genuine agreement the same.

On its own the flow separates poorly (most loops look alike from afar);
``gerbang_dual`` uses it only as a tie-breaker (:func:`dual.combine`). Measured
figures in docs/fingerprint.md ("Ridge flow").
"""

from __future__ import annotations

import functools
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import cv2
import numpy as np
import numpy.typing as npt

from biometrics.fingerprint import match
from biometrics.fingerprint.errors import TemplateError
from biometrics.fingerprint.params import FLOW, IMAGE, FlowParams

OFF_PRINT = 255  # byte of a block outside the print
HEADER = struct.Struct(">BHH")  # block size (px), rows, columns
# the largest grid stored or read: a print of ImageParams.max_side (2,000 px) at 8 px
# blocks. Nothing larger comes from a real print; a stored flow of one row and thousands
# of columns (which would fit in an extended data block) is refused as a TemplateError
# rather than compared (the searched comparison this replaced spent seconds and
# gigabytes on one; an aligned one scans the probe's blocks once per alignment).
MAX_BLOCKS_PER_SIDE = IMAGE.max_side // 8
F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class RidgeFlow:
    """Ridge-normal direction per block (whole degrees 0..179; ``OFF_PRINT`` outside)."""

    block: int  # pixels at 500 ppi
    degrees: npt.NDArray[np.uint8]  # rows x columns

    @property
    def valid_blocks(self) -> int:
        return int(np.count_nonzero(self.degrees != OFF_PRINT))


def from_field(
    orientation: npt.NDArray[np.float32],
    coherence: npt.NDArray[np.float32],
    area: npt.NDArray[np.bool_],
    params: FlowParams = FLOW,
) -> RidgeFlow:
    """The block field of a per-pixel ridge-normal direction (radians, [0, pi)),
    its coherence (0..1) and the print area, all of one shape (``enhance.Enhanced``)."""
    if not orientation.shape == coherence.shape == area.shape or orientation.ndim != 2:
        raise ValueError("orientation, coherence and area must be 2-D arrays of one shape")
    b = params.block
    rows, cols = orientation.shape[0] // b, orientation.shape[1] // b
    if rows < 1 or cols < 1:
        raise ValueError(f"an image smaller than one {b} px block has no ridge flow")

    def blocks(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        cells = values[: rows * b, : cols * b].reshape(rows, b, cols, b)
        return np.asarray(cells.mean(axis=(1, 3)), dtype=np.float64)

    finite = np.isfinite(orientation) & np.isfinite(coherence)
    inside = (area & finite).astype(np.float64)  # a pixel that is not a number is not print
    weight = np.clip(np.where(finite, coherence, 0.0), 0.0, 1.0) * inside
    doubled = 2.0 * np.where(finite, orientation, 0.0).astype(np.float64)
    c, s = blocks(weight * np.cos(doubled)), blocks(weight * np.sin(doubled))
    share = blocks(inside)
    on = (share >= params.min_area) & (np.hypot(c, s) > 1e-6)
    degrees = np.round(np.rad2deg(np.arctan2(s, c) / 2.0)).astype(np.int64) % 180
    return RidgeFlow(b, np.where(on, degrees, OFF_PRINT).astype(np.uint8))


def _turning(rows: int, cols: int, degrees: float) -> tuple[npt.NDArray[np.float64], int]:
    """The affine matrix turning a rows x cols grid by ``degrees`` about its centre
    (counter-clockwise as shown, ``cv2.getRotationMatrix2D``) onto a square canvas of
    the returned side, large enough for any turn, centred on it."""
    side = math.ceil(math.hypot(rows, cols))
    matrix = np.asarray(cv2.getRotationMatrix2D((cols / 2.0, rows / 2.0), degrees, 1.0), np.float64)
    matrix[:, 2] += ((side - cols) // 2, (side - rows) // 2)
    return matrix, side


def moved(flow: RidgeFlow, *, mirror: bool = False, degrees: float = 0.0) -> RidgeFlow:
    """The field of the print mirrored left to right (when ``mirror``), then turned by
    ``degrees`` (counter-clockwise as shown, as ``cv2.getRotationMatrix2D``), on a grid
    large enough to hold it. For 1:N distractors made from real prints
    (``indexbench``); a mirrored print is another finger's."""
    degrees_of = flow.degrees.astype(np.float64)
    on = flow.degrees != OFF_PRINT
    if mirror:
        # x -> width - x: the direction (cos a, sin a) becomes (-cos a, sin a), 180 - a
        degrees_of, on = (180.0 - degrees_of[:, ::-1]) % 180.0, on[:, ::-1]
    rows, cols = on.shape
    matrix, side = _turning(rows, cols, degrees)
    if side > MAX_BLOCKS_PER_SIDE:
        raise TemplateError(f"a turned {rows}x{cols} ridge flow exceeds the stored grid")
    # turning the picture by +t (counter-clockwise as shown, y down) turns each direction
    # by -t: the doubled angle by -2t; it is averaged between blocks as a vector
    doubled = np.deg2rad(2.0 * degrees_of) - 2.0 * math.radians(degrees)
    mask = on.astype(np.float32)
    c = cv2.warpAffine(np.where(on, np.cos(doubled), 0).astype(np.float32), matrix, (side, side))
    s = cv2.warpAffine(np.where(on, np.sin(doubled), 0).astype(np.float32), matrix, (side, side))
    kept = cv2.warpAffine(mask, matrix, (side, side), flags=cv2.INTER_NEAREST) > 0.5
    kept &= np.hypot(c, s) > 1e-3
    turned = np.round(np.rad2deg(np.arctan2(s, c) / 2.0)).astype(np.int64) % 180
    return RidgeFlow(flow.block, np.where(kept, turned, OFF_PRINT).astype(np.uint8))


def _check_size(block: int, rows: int, cols: int) -> None:
    side = range(1, MAX_BLOCKS_PER_SIDE + 1)
    if not 4 <= block <= 32 or rows not in side or cols not in side:
        raise TemplateError(
            f"ridge flow of block {block} px, {rows}x{cols} blocks is outside what is read "
            f"(blocks of 4-32 px, 1-{MAX_BLOCKS_PER_SIDE} blocks a side)"
        )


def to_bytes(flow: RidgeFlow) -> bytes:
    """The stored form: ``HEADER`` then one byte a block, row by row."""
    rows, cols = flow.degrees.shape
    _check_size(flow.block, rows, cols)
    return HEADER.pack(flow.block, rows, cols) + flow.degrees.tobytes()


def from_bytes(data: bytes) -> RidgeFlow:
    """Inverse of :func:`to_bytes`; :class:`TemplateError` for anything else."""
    if len(data) < HEADER.size:
        raise TemplateError(f"ridge flow of {len(data)} bytes is shorter than its header")
    block, rows, cols = HEADER.unpack_from(data)
    _check_size(block, rows, cols)
    if len(data) != HEADER.size + rows * cols:
        raise TemplateError(
            f"ridge flow of {rows}x{cols} blocks needs {HEADER.size + rows * cols} bytes, "
            f"has {len(data)}"
        )
    degrees = np.frombuffer(data, dtype=np.uint8, offset=HEADER.size).reshape(rows, cols)
    if np.any((degrees >= 180) & (degrees != OFF_PRINT)):
        raise TemplateError("ridge flow holds a direction outside 0..179 degrees")
    return RidgeFlow(block, degrees.copy())


@functools.cache
def kernel_weights(params: FlowParams = FLOW) -> npt.NDArray[np.float64]:
    """Weights of cos(2n * angle difference), n = 1..harmonics: Fejer's, summing to 1, so
    that full agreement is 1 and the kernel narrows as harmonics are added. Computed once
    per parameters (every flow comparison needs them) and read-only."""
    n = np.arange(1, params.harmonics + 1, dtype=np.float64)
    weights = 1.0 - n / (params.harmonics + 1)
    result = np.asarray(weights / weights.sum(), dtype=np.float64)
    result.setflags(write=False)
    return result


def alignments(pairs: npt.ArrayLike) -> F64:
    """(psi, tx, ty) per minutia pair: where a pair of corresponding minutiae puts the
    reference in the probe.

    ``pairs`` rows are (xa, ya, ta, xb, yb, tb): a probe minutia and a reference minutia
    (pixels, image coordinates; directions in radians counter-clockwise as shown, as
    templates hold them). The reference turns by the difference of their directions and
    moves so that the two minutiae meet: a point p of the reference lies at R(psi) p + t
    in the probe, with R(psi) = [[cos, -sin], [sin, cos]] in image coordinates (y down,
    so psi = -(ta - tb)).
    """
    rows = np.asarray(pairs, np.float64).reshape(-1, 6)
    xa, ya, ta, xb, yb, tb = rows.T
    psi = (tb - ta + np.pi) % (2.0 * np.pi) - np.pi
    c, s = np.cos(psi), np.sin(psi)
    return np.stack([psi, xa - (c * xb - s * yb), ya - (s * xb + c * yb)], axis=1)


def agreement(
    probe: RidgeFlow,
    reference: RidgeFlow,
    aligned: npt.ArrayLike,
    params: FlowParams = FLOW,
    *,
    at_least: float | None = None,
) -> float:
    """The best mean agreement (-1..1) of the two fields over the given alignments
    (:func:`alignments`); 0 when none makes them cover ``min_overlap`` blocks together.

    At one alignment, each probe block on the print is compared with the reference
    block under its centre (nearest block, no interpolation); the reference's direction
    turns with the alignment. In C when the extension is built (equal within ~1e-12).

    ``at_least`` (0 < at_least <= 1): only an agreement that reaches it is needed (as
    ``gerbang_dual``'s floor): the result is exact when it is at least ``at_least`` and
    some value below it otherwise. The C loop then leaves an alignment as soon as its
    blocks show it cannot reach that (or the best so far): most alignments of strangers'
    prints are left after a fraction of their blocks. Without it the result is exact.
    """
    turns = np.asarray(aligned, np.float64).reshape(-1, 3)
    found = agreement_many(
        probe, [reference], turns, [0, turns.shape[0]], params, at_least=at_least
    )
    return float(found[0])


def agreement_many(
    probe: RidgeFlow,
    references: Sequence[RidgeFlow],
    aligned: npt.ArrayLike,
    bounds: Sequence[int],
    params: FlowParams = FLOW,
    *,
    at_least: float | None = None,
) -> F64:
    """:func:`agreement` of the probe with each reference, reference ``k`` over the
    alignments ``aligned[bounds[k]:bounds[k + 1]]`` (what the probe's side costs is paid
    once: ``gerbang_dual`` compares one probe with many references)."""
    if any(r.block != probe.block for r in references):
        raise ValueError("ridge flows of different block sizes cannot be compared")
    if at_least is not None and not 0.0 < at_least <= 1.0:
        raise ValueError("at_least must be in (0, 1]")
    turns = np.ascontiguousarray(np.asarray(aligned, np.float64).reshape(-1, 3))
    edges = [int(b) for b in bounds]
    if len(edges) != len(references) + 1:
        raise ValueError("bounds must hold one more entry than references")
    if edges[0] < 0 or edges[-1] > turns.shape[0] or any(b < a for a, b in pairwise(edges)):
        raise ValueError("bounds must rise within the alignments")
    weights = kernel_weights(params)
    found = np.zeros(len(references))
    kernel = match.kernel()
    a = np.ascontiguousarray(probe.degrees)
    rows_a, cols_a = a.shape
    level = -2.0 if at_least is None else at_least
    for k, reference in enumerate(references):
        start, end = edges[k], edges[k + 1]
        if end <= start:
            continue  # no alignment: 0
        if kernel is not None:
            b = np.ascontiguousarray(reference.degrees)
            found[k] = kernel.agreement(
                a, rows_a, cols_a, b, b.shape[0], b.shape[1], probe.block,
                turns[start:end], end - start, weights.size, weights, params.min_overlap, level,
            )  # fmt: skip
        else:  # NumPy: always the exact agreement (which the contract above allows)
            found[k] = _agreement_numpy(
                probe, reference, turns[start:end], weights, params.min_overlap
            )
    return found


def _agreement_numpy(
    probe: RidgeFlow, reference: RidgeFlow, turns: F64, weights: F64, min_overlap: int
) -> float:
    """:func:`agreement` without the C extension (and the reference the tests compare)."""
    rows, cols = np.nonzero(probe.degrees < 180)  # as the C loop: anything else is off
    block = probe.block
    px, py = (cols + 0.5) * block, (rows + 0.5) * block
    height, width = reference.degrees.shape
    found: list[float] = []
    for psi, tx, ty in turns.tolist():
        c, s = math.cos(psi), math.sin(psi)
        qx = np.floor((c * (px - tx) + s * (py - ty)) / block)
        qy = np.floor((c * (py - ty) - s * (px - tx)) / block)
        inside = (qx >= 0) & (qy >= 0) & (qx < width) & (qy < height)
        db = reference.degrees[qy[inside].astype(np.intp), qx[inside].astype(np.intp)]
        on = db < 180
        if not on.any() or np.count_nonzero(on) < min_overlap:
            continue
        da = probe.degrees[rows[inside][on], cols[inside][on]].astype(np.float64)
        d = np.deg2rad(da - db[on].astype(np.float64)) - psi
        value = sum(w * np.cos(2.0 * n * d) for n, w in enumerate(weights.tolist(), start=1))
        found.append(float(np.mean(value)))
    return min(max(max(found), -1.0), 1.0) if found else 0.0

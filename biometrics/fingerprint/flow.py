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
- **Comparison.** One field is rotated (``FlowParams.rotations``); at each
  rotation the agreement and the overlap are correlated with the other field
  over every translation at once (FFT), and the best mean agreement over an
  overlap of at least ``min_overlap`` blocks is the result (-1..1; 0 when the
  prints never overlap that much). The agreement of two blocks is a narrow
  kernel of their angle difference d, sum of w_n cos(2nd) over
  ``FlowParams.harmonics`` harmonics (Fejer weights, 1 at d = 0): with one
  harmonic, cos 2d, smooth fields of different fingers agree too easily; each
  harmonic is one more correlation, summed before the inverse FFT.

On its own the flow separates poorly (most loops look alike from afar: EER
6.9-14.6% on the FVC2002 B sets); ``gerbang_dual`` uses it only as a tie-breaker
(:func:`dual.combine`). Measured figures in docs/fingerprint.md ("Ridge flow").
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt
import scipy.fft

from biometrics.fingerprint.errors import TemplateError
from biometrics.fingerprint.params import FLOW, IMAGE, FlowParams

OFF_PRINT = 255  # byte of a block outside the print
HEADER = struct.Struct(">BHH")  # block size (px), rows, columns
# the largest grid stored or read: a print of ImageParams.max_side (2,000 px) at 8 px
# blocks. The comparison's work grows with rows + cols, so a stored flow of one row and
# thousands of columns (which would fit in an extended data block) would cost seconds
# and gigabytes at the kiosk: refused as a TemplateError instead.
MAX_BLOCKS_PER_SIDE = IMAGE.max_side // 8
F32 = npt.NDArray[np.float32]
C64 = npt.NDArray[np.complex64]


@dataclass(frozen=True, slots=True)
class RidgeFlow:
    """Ridge-normal direction per block (whole degrees 0..179; ``OFF_PRINT`` outside)."""

    block: int  # pixels at 500 ppi
    degrees: npt.NDArray[np.uint8]  # rows x columns

    @property
    def valid_blocks(self) -> int:
        return int(np.count_nonzero(self.degrees != OFF_PRINT))

    def harmonics(self, count: int) -> tuple[list[tuple[F32, F32]], F32]:
        """([(cos 2na, sin 2na) for n = 1..count], on print) per block, zero off the
        print, float32."""
        on = self.degrees != OFF_PRINT
        angle = np.deg2rad(self.degrees.astype(np.float32))
        parts = [
            (
                np.where(on, np.cos(2.0 * n * angle), 0.0).astype(np.float32),
                np.where(on, np.sin(2.0 * n * angle), 0.0).astype(np.float32),
            )
            for n in range(1, count + 1)
        ]
        return parts, on.astype(np.float32)


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
    # the doubled angle is turned by -2t (see Probe) and averaged between blocks as a vector
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


def kernel_weights(params: FlowParams = FLOW) -> npt.NDArray[np.float64]:
    """Weights of cos(2n * angle difference), n = 1..harmonics: Fejer's, summing to 1, so
    that full agreement is 1 and the kernel narrows as harmonics are added."""
    n = np.arange(1, params.harmonics + 1, dtype=np.float64)
    weights = 1.0 - n / (params.harmonics + 1)
    return np.asarray(weights / weights.sum(), dtype=np.float64)


@dataclass(slots=True)
class Probe:
    """One flow turned through every rotation once, for comparing against many."""

    flow: RidgeFlow
    params: FlowParams = FLOW
    # the turned field as planes stacked rotations x side x side: cos and sin of each
    # harmonic in turn, the mask last
    planes: list[F32] = field(default_factory=list)
    # per canvas shape: the planes' conjugated FFTs
    spectra: dict[tuple[int, int], list[C64]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        parts, on = self.flow.harmonics(self.params.harmonics)
        rows, cols = on.shape
        side = _turning(rows, cols, 0.0)[1]
        count = len(self.params.rotations)
        self.planes = [np.zeros((count, side, side), np.float32) for _ in range(2 * len(parts) + 1)]
        for k, degrees in enumerate(self.params.rotations):
            matrix, _ = _turning(rows, cols, degrees)
            mask = cv2.warpAffine(on, matrix, (side, side), flags=cv2.INTER_NEAREST)
            self.planes[-1][k] = mask
            for n, (cos, sin) in enumerate(parts, start=1):
                c = cv2.warpAffine(cos, matrix, (side, side), flags=cv2.INTER_LINEAR)
                s = cv2.warpAffine(sin, matrix, (side, side), flags=cv2.INTER_LINEAR)
                # turning the picture by +t (counter-clockwise as shown, y down) turns
                # each direction by -t: harmonic n of the doubled angle by -2nt
                turn = -2.0 * n * math.radians(degrees)
                ct, st = math.cos(turn), math.sin(turn)
                self.planes[2 * n - 2][k] = (c * ct - s * st) * mask
                self.planes[2 * n - 1][k] = (c * st + s * ct) * mask

    @property
    def side(self) -> int:
        """The square canvas the turned field lies on."""
        return int(self.planes[-1].shape[-1])

    @property
    def masks(self) -> F32:
        """The turned print area, rotations x side x side."""
        return self.planes[-1]

    def spectra_for(self, shape: tuple[int, int]) -> list[C64]:
        """The planes' conjugated FFTs on a canvas of ``shape`` (cached per shape)."""
        if shape not in self.spectra:
            self.spectra[shape] = [np.conj(_spectrum(plane, shape)) for plane in self.planes]
        return self.spectra[shape]


def compare(a: RidgeFlow, b: RidgeFlow, params: FlowParams = FLOW) -> float:
    """Best mean agreement of the two fields (-1..1), 0 when they never overlap enough."""
    return float(compare_many(Probe(a, params), [b])[0])


def compare_many(probe: Probe, references: Sequence[RidgeFlow]) -> npt.NDArray[np.float64]:
    """:func:`compare` of the probe against each reference."""
    out = np.zeros(len(references))
    if probe.flow.valid_blocks < probe.params.min_overlap:
        return out
    for k, reference in enumerate(references):
        if reference.block != probe.flow.block:
            raise ValueError("ridge flows of different block sizes cannot be compared")
        if reference.valid_blocks < probe.params.min_overlap:
            continue
        out[k] = _best(probe, reference)
    return out


def _best(probe: Probe, reference: RidgeFlow) -> float:
    parts, on = reference.harmonics(probe.params.harmonics)
    rows, cols = on.shape
    shape = (
        scipy.fft.next_fast_len(rows + probe.side - 1, real=True),
        scipy.fft.next_fast_len(cols + probe.side - 1, real=True),
    )
    turned = probe.spectra_for(shape)  # all rotations at once
    overlap = scipy.fft.irfft2(_spectrum(on, shape) * turned[-1], s=shape, workers=1)
    enough = overlap >= probe.params.min_overlap - 0.5  # the FFT's counts carry rounding noise
    if not enough.any():
        return 0.0
    # sum over harmonics of w_n * (cos . cos + sin . sin) = w_n * cos(2n * difference)
    total = np.zeros_like(turned[-1])
    for n, ((cos, sin), weight) in enumerate(zip(parts, kernel_weights(probe.params), strict=True)):
        term = _spectrum(cos, shape) * turned[2 * n] + _spectrum(sin, shape) * turned[2 * n + 1]
        total += np.complex64(weight) * term
    agreement = scipy.fft.irfft2(total, s=shape, workers=1)
    best = float(np.max(agreement[enough] / overlap[enough]))
    return min(max(best, -1.0), 1.0)


def _spectrum(values: F32, shape: tuple[int, int]) -> C64:
    """2-D real FFT over the last two axes, zero-padded to ``shape``."""
    return np.asarray(scipy.fft.rfft2(values, s=shape, workers=1), dtype=np.complex64)

"""Our matcher: MCC local similarities, then LSS-R (Cappelli et al. 2010, section 5).

1. Local similarity of every cylinder pair (normalised Euclidean similarity on
   the cells valid in both), from four matrix products of precomputed arrays;
   pairs with too few common cells or directions more than ``delta_theta``
   apart score 0.
2. The ``min(nA, nB)`` best pairs are taken (local similarity sort) and their
   similarities relaxed: each pair is supported by the pairs whose distances,
   direction differences and radial angles agree with it.
3. The ``nP`` pairs whose similarity gained most from relaxation (efficiency)
   are averaged into the global score, 0..1.

:func:`compare_many` scores one probe against many references (a
:class:`Gallery`, stacked once): the local similarities of all of them from the
same products, then LSS-R on chunks of references of similar size. The
relaxation's pairwise geometry is computed from the relaxed pairs' minutiae
(positions, directions) rather than gathered from precomputed n x n tables:
measured, a random gather of k x k x 3 values costs about as much as the ~45
element-wise passes that recompute them, and templates no longer carry the
tables. :func:`compare` is ``compare_many`` with a one-reference gallery, so
both give the same scores.

Two inner loops run in C when the extension ``_simkernel`` was built (the
local similarity's element-wise work, LSS-R's compatibility and relaxation);
the NumPy code here is the fallback and the reference the tests compare it
with (scores within float32 rounding, docs/fingerprint.md).
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, cast

import numpy as np
import numpy.typing as npt
from scipy.special import expit

from biometrics.fingerprint.params import CYLINDER, MATCH, CylinderParams, MatchParams
from biometrics.fingerprint.template import Cylinders, MinutiaeTemplate

F32 = npt.NDArray[np.float32]


F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


class _Kernel(Protocol):
    """The C module's functions (``_simkernel.c``), so that their calls are type-checked."""

    def similarity(
        self,
        difference: F32,
        both: F32,
        b2: F32,
        b_direction: F32,
        a_direction: F32,
        rows: int,
        n: int,
        min_common: float,
        min_cos: float,
        /,
    ) -> None: ...

    def relax(
        self,
        xa: F32,
        ya: F32,
        ta: F32,
        xb: F32,
        yb: F32,
        tb: F32,
        lam0: F32,
        m: I64,
        n_p: I64,
        weight: F32,
        out: F64,
        batch: int,
        k: int,
        rounds: int,
        keep: float,
        mu1: float,
        tau1: float,
        mu2: float,
        tau2: float,
        mu3: float,
        tau3: float,
        cap: float,
        /,
    ) -> None: ...

    def agreement(
        self,
        a: npt.NDArray[np.uint8],
        rows_a: int,
        cols_a: int,
        b: npt.NDArray[np.uint8],
        rows_b: int,
        cols_b: int,
        block: int,
        alignments: F64,
        count: int,
        harmonics: int,
        weights: F64,
        min_overlap: int,
        at_least: float,
        /,
    ) -> float: ...


# _simkernel.c's KERNEL_ABI: the argument lists this module calls (2: agreement's at_least)
KERNEL_ABI = 2


def _load_kernel() -> _Kernel | None:
    """The C versions of three inner loops (``_simkernel.c``, built by setup.py): the local
    similarity's element-wise work, LSS-R's compatibility and relaxation, and the ridge
    flow's agreement. None when it was not compiled, or is an older build without one of
    them: then the NumPy code, same scores within float32 rounding."""
    try:
        module = importlib.import_module("biometrics.fingerprint._simkernel")
    except ModuleNotFoundError:  # not built (no C compiler at install)
        return None
    except ImportError as exc:  # built but cannot load (e.g. a missing libmvec symbol)
        warnings.warn(f"fingerprint matcher: C kernel not loaded, NumPy used ({exc})", stacklevel=2)
        return None
    missing = [f for f in ("similarity", "relax", "agreement") if not hasattr(module, f)]
    if missing:  # built from an older _simkernel.c (pip install -e . rebuilds it)
        warnings.warn(
            f"fingerprint matcher: C kernel lacks {', '.join(missing)} (an older build), "
            "NumPy used",
            stacklevel=2,
        )
        return None
    if getattr(module, "ABI", 1) != KERNEL_ABI:  # same names, other arguments
        warnings.warn(
            f"fingerprint matcher: C kernel of ABI {getattr(module, 'ABI', 1)}, this code "
            f"needs {KERNEL_ABI} (an older build), NumPy used",
            stacklevel=2,
        )
        return None
    return cast("_Kernel", module)  # its functions as _simkernel.c defines them


_KERNEL = _load_kernel()


def native() -> bool:
    """Whether the C kernel is in use (scores within float32 rounding either way)."""
    return _KERNEL is not None


def kernel() -> _Kernel | None:
    """The C kernel, or None when it was not built (then NumPy): also the ridge flow's
    agreement loop (:func:`flow.agreement`)."""
    return _KERNEL


def _sigmoid(v: npt.ArrayLike, mu: float, tau: float) -> npt.NDArray[np.floating]:
    """1 / (1 + exp(-tau (v - mu))), in the input's float precision."""
    array = np.asarray(v)
    if array.dtype != np.float32:
        array = array.astype(np.float64)
    result: npt.NDArray[np.floating] = expit((array - array.dtype.type(mu)) * array.dtype.type(tau))
    return result


def local_similarity(
    a: Cylinders,
    b_values: F32,
    b_valid: F32,
    b_squared: F32,
    b_angle: F32,
    params: CylinderParams = CYLINDER,
) -> F32:
    """nA x nB similarities of a's cylinders against the (stacked) cylinders of b."""
    direction = np.stack([np.cos(b_angle), np.sin(b_angle)], axis=1, dtype=np.float32)
    b_values, b_valid, b_squared = (
        np.asarray(v, np.float32) for v in (b_values, b_valid, b_squared)
    )
    transposed = _similarity_t(a, b_values, b_valid, b_squared, direction, params)
    return np.ascontiguousarray(transposed.T)


def _similarity_t(
    a: Cylinders,
    b_values: F32,
    b_valid: F32,
    b_squared: F32,
    b_direction: F32,
    params: CylinderParams,
) -> F32:
    """nB x nA: :func:`local_similarity` transposed, b's direction (cos, sin) rows given.

    The stacked side comes first in the products (faster BLAS shapes for a
    small nA) and the arithmetic is in place.
    """
    n_a = a.count
    # |a - b|² = a2 + b2 - 2 ab on the cells valid in both: -2 ab from the first product
    difference = b_values @ (np.float32(-2.0) * a.values).T
    both = b_valid @ np.concatenate([a.squared, a.valid]).T  # a2 and common in one product
    b2 = b_squared @ a.valid.T
    cells = a.valid.shape[1]
    min_common = np.float32(params.min_matchable_cells * cells)
    min_cos = np.float32(np.cos(params.delta_theta) - 1e-6)
    if _KERNEL is not None:
        rows = difference.shape[0]
        a_direction = np.ascontiguousarray(a.direction.T)
        b_dir = np.ascontiguousarray(b_direction, np.float32)  # the gallery's already is
        # the float32 thresholds as Python floats: exact, and read back as float32 in C
        _KERNEL.similarity(
            difference, both, b2, b_dir, a_direction, rows, n_a, float(min_common), float(min_cos)
        )
        return difference
    a2, common = both[:, :n_a], both[:, n_a:]
    difference += a2
    difference += b2
    # floored at 1e-36 (not 0), and 1e-18 added to the denominator: where both norms
    # are 0 the ratio is 1 (similarity 0, no 0/0); anywhere else neither changes the
    # float32 result
    np.maximum(difference, np.float32(1e-36), out=difference)
    np.sqrt(difference, out=difference)
    np.sqrt(a2, out=a2)
    np.sqrt(b2, out=b2)
    denominator = np.add(a2, b2, out=a2)
    denominator += np.float32(1e-18)
    np.divide(difference, denominator, out=difference)
    np.subtract(np.float32(1.0), difference, out=difference)
    # no negative values (rounding): LSS-R ranks the float bits as integers
    np.maximum(difference, np.float32(0.0), out=difference)
    # |angle difference| <= delta_theta, as cos(difference) >= cos(delta_theta): one product
    cosine = b_direction @ a.direction.T
    allowed = common >= min_common
    allowed &= cosine >= min_cos
    # (>= +0.0) x (0 or 1): never -0.0
    result: F32 = np.multiply(difference, allowed, out=difference)
    return result


def compare(
    probe: MinutiaeTemplate,
    reference: MinutiaeTemplate,
    cylinder: CylinderParams = CYLINDER,
    params: MatchParams = MATCH,
) -> float:
    """Similarity 0..1 of two encoded templates (0 when either has too few cylinders)."""
    return float(compare_many(probe, Gallery([reference]), cylinder, params)[0])


class Gallery:
    """References stacked once, in chunks of ``chunk`` references of similar size.

    References are sorted by cylinder count; each chunk of ``chunk`` of them is
    padded to its largest (zero rows: no valid cell, so no local similarity)
    and laid out reference-major, so that the local similarities of a chunk
    are one contiguous ``(references, side * nA)`` block for LSS-R, with no
    copy. Per row: the cylinders for the products and the minutia's position
    and direction for the relaxation.
    """

    def __init__(self, references: Sequence[MinutiaeTemplate], chunk: int = 16) -> None:
        if chunk < 1:
            raise ValueError("chunk must be at least 1")
        self.cylinders = [_cylinders(t) for t in references]
        counts = np.array([c.count for c in self.cylinders], np.intp)
        self.counts = counts
        by_size = np.argsort(counts, kind="stable")
        self.chunks: list[tuple[npt.NDArray[np.intp], int, int]] = []  # members, side, first row
        rows = 0
        for start in range(0, len(by_size), chunk):
            members = by_size[start : start + chunk]
            side = int(counts[members].max())
            if side:
                self.chunks.append((members, side, rows))
                rows += members.size * side
        layout: list[tuple[Cylinders | None, int]] = []  # in row order: cylinders or padding
        for members, side, _ in self.chunks:
            for member in members.tolist():
                c = self.cylinders[member]
                layout.append((c, c.count))
                if side > c.count:
                    layout.append((None, side - c.count))
        pad = max((n for c, n in layout if c is None), default=0)
        first = next((c for c in self.cylinders if c.count), None)
        if first is None:  # no cylinders anywhere: compare_many returns zeros
            cells, points = np.zeros((0, 0), np.float32), np.zeros((0, 5), np.float32)
        else:
            zero_cells = np.zeros((pad, first.cells.shape[1]), np.float32)
            zero_points = np.zeros((pad, 5), np.float32)
            cells = np.concatenate(
                [c.cells if c is not None else zero_cells[:n] for c, n in layout]
            )
            points = np.concatenate(
                [c.points if c is not None else zero_points[:n] for c, n in layout]
            )
        # the stack in the templates' own layout, one row per cylinder or padding
        row_index = np.arange(cells.shape[0])
        stacked = Cylinders(cells, points, row_index, first.spatial if first is not None else 0)
        self.values, self.valid, self.squared = stacked.values, stacked.valid, stacked.squared
        self.angle, self.x, self.y = stacked.angle, stacked.x, stacked.y
        self.direction = np.ascontiguousarray(stacked.direction)  # contiguous for the kernel

    def __len__(self) -> int:
        return len(self.cylinders)


def compare_many(
    probe: MinutiaeTemplate,
    gallery: Gallery,
    cylinder: CylinderParams = CYLINDER,
    params: MatchParams = MATCH,
) -> npt.NDArray[np.float64]:
    """Scores of ``probe`` against every reference of ``gallery`` (0..1 each).

    Local similarities come from three products against the whole (padded)
    gallery; LSS-R then runs on one chunk of references at a time.
    """
    return compare_many_paired(probe, gallery, 0, cylinder, params)[0]


@dataclass(frozen=True, slots=True)
class TopPairs:
    """Per reference, the head of LSS-R's sorted list: the probe/reference minutia pairs
    of highest local similarity, as rows (xa, ya, ta, xb, yb, tb) (template positions
    and directions), best first; ``count`` of each reference's rows are pairs, the rest 0.
    They say where the reference lies in the probe (:func:`flow.alignments`)."""

    pairs: F32  # references x top x 6
    count: npt.NDArray[np.intp]  # references

    def of(self, reference: int) -> F32:
        """The pairs of one reference, ``count[reference]`` x 6."""
        return self.pairs[reference, : int(self.count[reference])]


def compare_many_paired(
    probe: MinutiaeTemplate,
    gallery: Gallery,
    top: int,
    cylinder: CylinderParams = CYLINDER,
    params: MatchParams = MATCH,
) -> tuple[npt.NDArray[np.float64], TopPairs]:
    """:func:`compare_many`, and each reference's ``top`` pairs of highest local
    similarity (:class:`TopPairs`; none where the score is 0 for want of cylinders)."""
    a = _cylinders(probe)
    scores = np.zeros(len(gallery))
    found = TopPairs(np.zeros((len(gallery), top, 6), np.float32), np.zeros(len(gallery), np.intp))
    if a.count < 2 or not gallery.chunks:
        return scores, found
    gamma = _similarity_t(
        a, gallery.values, gallery.valid, gallery.squared, gallery.direction, cylinder
    )
    for members, side, first in gallery.chunks:
        block = gamma[first : first + members.size * side].reshape(members.size, side * a.count)
        scores[members] = _lss_r_batch(block, side, first, a, gallery, members, params, found)
    return scores, found


def _lss_r_batch(
    gamma: F32,
    side: int,
    first: int,
    a: Cylinders,
    gallery: Gallery,
    members: npt.NDArray[np.intp],
    params: MatchParams,
    found: TopPairs,
) -> npt.NDArray[np.float64]:
    """LSS-R of one probe against a chunk of references; the head of each sorted list
    into ``found`` (as many pairs as it holds room for).

    ``gamma`` is (references, side * nA): reference slot-major local
    similarities, reference ``b``'s cylinder ``s`` against the probe's ``p`` at
    ``s * nA + p``; padding slots are 0.
    """
    batch = members.size
    n_a = a.count
    counts = gallery.counts[members]
    n_r = np.minimum(n_a, counts)
    k_max = int(min(n_a, side))
    if k_max < 2:
        return np.zeros(batch)
    # the min(nA, nB) best pairs: similarities are >= +0.0, so their float bits order
    # as int32 (a faster partition than float; negated: numpy's introselect is ~2x
    # faster towards the low end with this many zeros)
    top = np.argpartition(-gamma.view(np.int32), k_max - 1, axis=1)[:, :k_max]
    values = np.take_along_axis(gamma, top, axis=1)
    order = np.argsort(-values, axis=1, kind="stable")
    top = np.take_along_axis(top, order, axis=1)
    lam0 = np.take_along_axis(values, order, axis=1)
    active = (np.arange(k_max)[None, :] < n_r[:, None]) & (lam0 > 0)
    lam0 *= active
    slot, r = np.divmod(top, n_a)
    row = slot + (first + side * np.arange(batch))[:, None]  # padding slots are never active
    xa, ya, ta = a.x[r], a.y[r], a.angle[r]
    xb, yb, tb = gallery.x[row], gallery.y[row], gallery.angle[row]
    m = active.sum(1)  # active pairs per reference
    n_p = np.minimum(_n_p(n_r, params), m)
    head = min(found.pairs.shape[1], k_max)
    if head:
        kept = np.arange(head)[None, :] < m[:, None]  # active pairs only
        found.pairs[members, :head] = np.stack(
            [v[:, :head] * kept for v in (xa, ya, ta, xb, yb, tb)], axis=2, dtype=np.float32
        )
        found.count[members] = np.minimum(m, head)
    if _KERNEL is not None:
        # lam0 > 0 is a prefix of the sorted pairs, as is position < nR: the active pairs
        # are each row's first ``m``
        out = np.zeros(batch)
        _KERNEL.relax(
            xa, ya, ta, xb, yb, tb, lam0,
            m.astype(np.int64),
            np.where(n_r >= 2, n_p, 0).astype(np.int64),
            ((1.0 - params.relaxation_weight) / np.maximum(n_r - 1, 1)).astype(np.float32),
            out, batch, k_max, params.relaxation_rounds, params.relaxation_weight,
            params.mu_1, params.tau_1, params.mu_2, params.tau_2, params.mu_3, params.tau_3,
            _EXP_CAP,
        )  # fmt: skip
        return out
    rho = _compatibility(xa, ya, ta, xb, yb, tb, params)
    weight = np.where(active, np.float32(1.0 - params.relaxation_weight), np.float32(0.0))
    weight /= np.maximum(n_r - 1, 1).astype(np.float32)[:, None]
    rho *= weight[:, :, None]
    rho *= active[:, None, :]
    rho[:, np.arange(k_max), np.arange(k_max)] = 0.0
    keep = np.float32(params.relaxation_weight)
    lam = lam0
    for _ in range(params.relaxation_rounds):
        support = np.matmul(rho, lam[:, :, None])[:, :, 0]
        lam = keep * lam + support
    with np.errstate(invalid="ignore", divide="ignore"):
        efficiency = np.where(active, lam / np.where(active, lam0, 1.0), -np.inf)
    chosen = np.argsort(-efficiency, axis=1, kind="stable")
    ranked = np.take_along_axis(lam, chosen, axis=1).astype(np.float64)
    totals = np.cumsum(ranked, axis=1)
    usable = (n_r >= 2) & (n_p > 0)
    picked = totals[np.arange(batch), np.maximum(n_p - 1, 0)]
    result: npt.NDArray[np.float64] = np.where(usable, picked / np.maximum(n_p, 1), 0.0)
    return result


def _n_p(n_r: npt.NDArray[np.intp] | int, params: MatchParams) -> npt.NDArray[np.intp]:
    share = _sigmoid(np.asarray(n_r, np.float64), params.mu_p, params.tau_p)
    return np.asarray(params.min_np + np.rint(share * (params.max_np - params.min_np)), np.intp)


_EXP_CAP = 23.0


def _compatibility(
    xa: F32, ya: F32, ta: F32, xb: F32, yb: F32, tb: F32, params: MatchParams
) -> F32:
    """rho (batch, k, k): how well pair i agrees with pair j, for k pairs (a's, b's minutia).

    The paper's three terms from the minutiae's positions and directions: the
    difference of the distances i-j in a and in b; of the direction differences
    (theta_i - theta_j in a against in b, which is delta_i - delta_j with
    delta = theta_a - theta_b of a pair); of the radial angles (theta_i against
    the heading of i -> j, y up), which is delta_i minus the angle between the
    segments i -> j of a and of b. Each goes through the paper's sigmoid; the
    product is 1 / ((1 + e1)(1 + e2)(1 + e3)), one exponential per term, in
    float32. Each e is capped at exp(23) ~ 1e10 (a term below 1e-10 is 0 for the
    relaxation): rho stays above 1e-30, so that neither it nor the relaxation's
    products fall into float32's subnormals (1e-38 and below), which the CPU
    handles ~100x slower.
    """
    dxa = xa[:, None, :] - xa[:, :, None]  # [pair i, pair j] = x_j - x_i
    dya = ya[:, None, :] - ya[:, :, None]
    dxb = xb[:, None, :] - xb[:, :, None]
    dyb = yb[:, None, :] - yb[:, :, None]
    delta = ta - tb
    delta = (delta + np.float32(np.pi)) % np.float32(2 * np.pi) - np.float32(np.pi)
    # angle from b's segment to a's, y up: atan2(cross, dot) of (dx, -dy) vectors
    turn = np.arctan2(dxa * dyb - dxb * dya, dxa * dxb + dya * dyb)
    np.subtract(delta[:, :, None], turn, out=turn)  # radial difference
    direction = delta[:, :, None] - delta[:, None, :]
    dxa *= dxa
    dya *= dya
    dxa += dya
    distance = np.sqrt(dxa, out=dxa)
    dxb *= dxb
    dyb *= dyb
    dxb += dyb
    distance -= np.sqrt(dxb, out=dxb)
    terms = []
    for d, mu, tau, angular in (
        (distance, params.mu_1, params.tau_1, False),
        (direction, params.mu_2, params.tau_2, True),
        (turn, params.mu_3, params.tau_3, True),
    ):
        np.abs(d, out=d)
        if angular:
            np.minimum(d, np.float32(2 * np.pi) - d, out=d)
        d -= np.float32(mu)
        d *= np.float32(-tau)
        np.minimum(d, np.float32(_EXP_CAP), out=d)
        np.exp(d, out=d)
        d += np.float32(1.0)
        terms.append(d)
    product = terms[0]
    product *= terms[1]
    product *= terms[2]
    result: F32 = np.reciprocal(product, out=product)
    return result


def _cylinders(template: MinutiaeTemplate) -> Cylinders:
    if template.cylinders is None:
        raise ValueError("template has no cylinders: pass it through mcc.encode first")
    return template.cylinders

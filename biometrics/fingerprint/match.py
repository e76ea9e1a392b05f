"""Our matcher: bit-based MCC local similarities, then LSS-R (Cappelli et al. 2010).

1. Local similarity of every cylinder pair, on the cylinders' bits (a cell is set
   where its value reaches ``template.BIT_LEVEL``; the paper's bit-based MCC,
   section 4.3): one minus the distance of the two bit vectors on the cells valid
   in both, over the sum of their norms there, by popcount. Pairs with too few
   common cells or directions more than ``delta_theta`` apart score 0.
2. The ``min(nA, nB)`` best pairs are taken (local similarity sort) and their
   similarities relaxed: each pair is supported by the pairs whose distances,
   direction differences and radial angles agree with it.
3. The ``nP`` pairs whose similarity gained most from relaxation (efficiency)
   are averaged into the global score, 0..1.

:func:`compare_many` scores one probe against many references (a
:class:`Gallery`, stacked once): the local similarities of all of them in one
pass, then LSS-R on chunks of references of similar size. The relaxation's
pairwise geometry is computed from the relaxed pairs' minutiae (positions,
directions) rather than gathered from precomputed n x n tables. :func:`compare`
is ``compare_many`` with a one-reference gallery, so both give the same scores.

Bits, not the float values (until 2026-11-26): the same EER goal is met
(docs/fingerprint.md, "Bit cylinders"), the local similarities cost about a fifth of
the float products on a CPU with AVX-512 VPOPCNTDQ, and a gallery row is 88 bytes
instead of 1,664.

Three inner loops run in C when the extension ``_simkernel`` was built (the
local similarity, LSS-R's compatibility and relaxation, the ridge flow's
agreement); the NumPy code here is the fallback and the reference the tests
compare it with (equal local similarities; scores within float32 rounding,
docs/fingerprint.md).
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
U64 = npt.NDArray[np.uint64]


class _Kernel(Protocol):
    """The C module's functions (``_simkernel.c``), so that their calls are type-checked."""

    def similarity_bits(
        self,
        a: U64,
        a_direction: F32,
        n: int,
        g: U64,
        g_direction: F32,
        rows: int,
        value_words: int,
        spatial_words: int,
        min_common: float,
        min_cos: float,
        out: F32,
        /,
    ) -> None: ...

    def best(self, gamma: F32, batch: int, length: int, k: int, out: I64, /) -> None: ...

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


# _simkernel.c's KERNEL_ABI: the argument lists this module calls (2: agreement's at_least;
# 3: similarity_bits)
KERNEL_ABI = 3


def _load_kernel() -> _Kernel | None:
    """The C versions of three inner loops (``_simkernel.c``, built by setup.py): the local
    similarity of bit cylinders, LSS-R's compatibility and relaxation, and the ridge
    flow's agreement. None when it was not compiled, or is an older build: then the
    NumPy code, same scores within float32 rounding."""
    try:
        module = importlib.import_module("biometrics.fingerprint._simkernel")
    except ModuleNotFoundError:  # not built (no C compiler at install)
        return None
    except ImportError as exc:  # built but cannot load (e.g. a missing libmvec symbol)
        warnings.warn(f"fingerprint matcher: C kernel not loaded, NumPy used ({exc})", stacklevel=2)
        return None
    names = ("similarity_bits", "best", "relax", "agreement")
    missing = [f for f in names if not hasattr(module, f)]
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


def local_similarity(a: Cylinders, b: Cylinders, params: CylinderParams = CYLINDER) -> F32:
    """nA x nB similarities of a's cylinders against b's."""
    words = np.ascontiguousarray(b.words.T)
    direction = np.ascontiguousarray(b.direction.T)
    return np.ascontiguousarray(_similarity_t(a, words, direction, params).T)


def _similarity_t(a: Cylinders, g_words: U64, g_direction: F32, params: CylinderParams) -> F32:
    """rows x nA: the local similarities of a gallery's rows (``g_words``: one word of
    every row after another, ``g_direction``: cos of every row, then sin) against a's
    cylinders; rows without a valid cell (padding) score 0."""
    n_a, rows = a.count, g_words.shape[1] if g_words.ndim == 2 else 0
    if not rows or not n_a:
        return np.zeros((rows, n_a), np.float32)
    value_words, spatial_words = a.layout
    if g_words.shape[0] != a.words.shape[1]:
        raise ValueError("probe and gallery cylinders of different layouts")
    min_common = np.float32(params.min_matchable_cells * a.spatial)
    min_cos = np.float32(np.cos(params.delta_theta) - 1e-6)
    a_direction = np.ascontiguousarray(a.direction, np.float32)
    if _KERNEL is not None:
        out = np.empty((rows, n_a), np.float32)
        # the float32 thresholds as Python floats: exact, and read back as float32 in C
        _KERNEL.similarity_bits(
            np.ascontiguousarray(a.words), a_direction, n_a, g_words, g_direction, rows,
            value_words, spatial_words, float(min_common), float(min_cos), out,
        )  # fmt: skip
        return out
    return _similarity_bits_numpy(
        a.words, a_direction, g_words, g_direction, value_words, min_common, min_cos
    )


_NUMPY_ROWS = 2048  # gallery rows at a time in the NumPy path (rows x nA x words bytes)


def _similarity_bits_numpy(
    a_words: U64,
    a_direction: F32,
    g_words: U64,
    g_direction: F32,
    value_words: int,
    min_common: np.float32,
    min_cos: np.float32,
) -> F32:
    """:func:`_similarity_t` without the C extension: the same counts and float32 steps."""
    rows, w = g_words.shape[1], value_words
    out = np.empty((rows, a_words.shape[0]), np.float32)
    a_values, a_valid, a_spatial = a_words[:, :w], a_words[:, w : 2 * w], a_words[:, 2 * w :]
    for start in range(0, rows, _NUMPY_ROWS):
        g = g_words[:, start : start + _NUMPY_ROWS].T[:, None, :]  # rows x 1 x words
        values, valid, spatial = g[:, :, :w], g[:, :, w : 2 * w], g[:, :, 2 * w :]

        def count(x: U64) -> npt.NDArray[np.int64]:
            counted: npt.NDArray[np.int64] = np.bitwise_count(x).sum(axis=2, dtype=np.int64)
            return counted

        both = count(values & a_values)
        xa = count(valid & a_values)  # a's bits on b's valid cells
        xb = count(values & a_valid)
        common = count(spatial & a_spatial).astype(np.float32)
        diff = (xa + xb - 2 * both).astype(np.float32)
        den = np.sqrt(xa.astype(np.float32)) + np.sqrt(xb.astype(np.float32))
        with np.errstate(divide="ignore", invalid="ignore"):
            similarity = np.where(
                den > 0, np.float32(1.0) - np.sqrt(diff) / den, np.float32(0.0)
            ).astype(np.float32)
        part = g_direction[:, start : start + _NUMPY_ROWS]
        cosine = part[0][:, None] * a_direction[:, 0] + part[1][:, None] * a_direction[:, 1]
        keep = (common >= min_common) & (cosine >= min_cos) & (similarity > 0)
        out[start : start + _NUMPY_ROWS] = np.where(keep, similarity, np.float32(0.0))
    return out


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
            words, points = np.zeros((0, 0), np.uint64), np.zeros((0, 5), np.float32)
        else:
            zero_words = np.zeros((pad, first.words.shape[1]), np.uint64)
            zero_points = np.zeros((pad, 5), np.float32)
            words = np.concatenate(
                [c.words if c is not None else zero_words[:n] for c, n in layout]
            )
            points = np.concatenate(
                [c.points if c is not None else zero_points[:n] for c, n in layout]
            )
        # one word of every row after another (the kernel's layout), and the rows' cos, sin
        self.words: U64 = np.ascontiguousarray(words.T)
        self.direction: F32 = np.ascontiguousarray(points[:, 3:5].T)
        self.angle, self.x, self.y = points[:, 0], points[:, 1], points[:, 2]

    def __len__(self) -> int:
        return len(self.cylinders)


def compare_many(
    probe: MinutiaeTemplate,
    gallery: Gallery,
    cylinder: CylinderParams = CYLINDER,
    params: MatchParams = MATCH,
) -> npt.NDArray[np.float64]:
    """Scores of ``probe`` against every reference of ``gallery`` (0..1 each).

    Local similarities come from one pass over the whole (padded) gallery's
    bits; LSS-R then runs on one chunk of references at a time.
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
    gamma = _similarity_t(a, gallery.words, gallery.direction, cylinder)
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
    # the min(nA, nB) best pairs, best first, ties to the lower position in the row: bit
    # similarities tie often, and this way the pairs never depend on the padding or on
    # the reference's neighbours in the gallery (a 1:1 score is its 1:N score)
    top = _best(gamma, k_max)
    lam0 = np.take_along_axis(gamma, top, axis=1)
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


def _best(gamma: F32, k: int) -> I64:
    """Per row, the positions of the ``k`` highest values, best first, ties to the lower
    position (a stable descending sort's first ``k``)."""
    if _KERNEL is not None:
        out = np.empty((gamma.shape[0], k), np.int64)
        _KERNEL.best(gamma, gamma.shape[0], gamma.shape[1], k, out)
        return out
    # similarities are >= +0.0: their float bits order as int32, negated for descending
    order: I64 = np.argsort(-gamma.view(np.int32), axis=1, kind="stable")[:, :k]
    return order.astype(np.int64, copy=False)


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

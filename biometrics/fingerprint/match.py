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

:func:`compare_many` scores one probe against many references with the
local similarities of all of them from the same four (larger) products.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy.special import expit

from biometrics.fingerprint.params import CYLINDER, MATCH, CylinderParams, MatchParams
from biometrics.fingerprint.template import Cylinders, MinutiaeTemplate

F32 = npt.NDArray[np.float32]


def _sigmoid(v: npt.ArrayLike, mu: float, tau: float) -> npt.NDArray[np.floating]:
    """1 / (1 + exp(-tau (v - mu))), in the input's float precision."""
    array = np.asarray(v)
    if array.dtype != np.float32:
        array = array.astype(np.float64)
    result: npt.NDArray[np.floating] = expit((array - array.dtype.type(mu)) * array.dtype.type(tau))
    return result


def _wrap(d: npt.NDArray[np.floating]) -> npt.NDArray[np.floating]:
    """|d| wrapped to [0, pi], for d a difference of two angles within one 2 pi range."""
    magnitude = np.abs(d)
    result: npt.NDArray[np.floating] = np.minimum(magnitude, 2 * np.pi - magnitude)
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
    transposed = _similarity_t(
        a, b_values, b_valid, b_squared, np.cos(b_angle), np.sin(b_angle), params
    )
    return np.ascontiguousarray(transposed.T)


def _similarity_t(
    a: Cylinders,
    b_values: F32,
    b_valid: F32,
    b_squared: F32,
    b_cos: F32,
    b_sin: F32,
    params: CylinderParams,
) -> F32:
    """nB x nA: :func:`local_similarity` transposed, b's direction cosines and sines given.

    The stacked side comes first in the products (faster BLAS shapes for a
    small nA) and the arithmetic is in place.
    """
    n_a = a.count
    ab = b_values @ a.values.T
    both = b_valid @ np.concatenate([a.squared, a.valid]).T  # a2 and common in one product
    a2, common = both[:, :n_a], both[:, n_a:]
    b2 = b_squared @ a.valid.T
    # |a - b|² = a2 + b2 - 2 ab, on the cells valid in both
    difference = np.add(a2, b2)
    ab *= -2.0
    difference += ab
    np.maximum(difference, 0.0, out=difference)
    np.sqrt(difference, out=difference)
    np.sqrt(a2, out=a2)
    np.sqrt(b2, out=b2)
    denominator = np.add(a2, b2, out=a2)
    cells = a.valid.shape[1]
    # |angle difference| <= delta_theta, as cos(difference) >= cos(delta_theta): one product
    cosine = np.stack([b_cos, b_sin], axis=1) @ np.stack([np.cos(a.angle), np.sin(a.angle)])
    allowed = common >= np.float32(params.min_matchable_cells * cells)
    allowed &= cosine >= np.float32(np.cos(params.delta_theta) - 1e-6)
    allowed &= denominator > 0
    # a zero denominator means a zero difference (and a disallowed pair): no 0/0
    np.maximum(denominator, np.float32(1e-30), out=denominator)
    np.divide(difference, denominator, out=difference)
    np.subtract(np.float32(1.0), difference, out=difference)
    result: F32 = np.multiply(difference, allowed, out=difference)
    # no negative values and no -0.0 (rounding can give either; neither is a usable
    # pair): LSS-R then ranks the float bits as integers
    np.maximum(result, np.float32(0.0), out=result)
    result += np.float32(0.0)
    return result


def lss_r(similarity: F32, a: Cylinders, b: Cylinders, params: MatchParams = MATCH) -> float:
    """Global score (0..1) from the local similarity matrix of two cylinder sets."""
    return lss_r_pairs(similarity, a, b, params)[0]


def _n_p(n_r: npt.NDArray[np.intp] | int, params: MatchParams) -> npt.NDArray[np.intp]:
    share = _sigmoid(np.asarray(n_r, np.float64), params.mu_p, params.tau_p)
    return np.asarray(params.min_np + np.rint(share * (params.max_np - params.min_np)), np.intp)


def lss_r_pairs(
    similarity: F32, a: Cylinders, b: Cylinders, params: MatchParams = MATCH
) -> tuple[float, npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """LSS-R's score and the (rows of a, rows of b) of the pairs it averaged.

    The ``min(nA, nB)`` best pairs are taken among those with a positive local
    similarity (a 0 means "not comparable": too few common cells or directions
    too far apart), so that ties at 0 never pick pairs arbitrarily.
    """
    n_a, n_b = similarity.shape
    n_r = min(n_a, n_b)
    none = np.zeros(0, np.intp)
    if n_r < 2:
        return 0.0, none, none
    flat = similarity.ravel()
    positive = np.flatnonzero(flat > 0)
    if positive.size == 0:
        return 0.0, none, none
    k = min(n_r, positive.size)
    top = positive[np.argsort(-flat[positive], kind="stable")[:k]]
    lam0 = flat[top].astype(np.float64)
    r, c = np.divmod(top, n_b)
    rho = _compatibility(
        a.distance[np.ix_(r, r)] - b.distance[np.ix_(c, c)],
        a.direction[np.ix_(r, r)] - b.direction[np.ix_(c, c)],
        a.radial[np.ix_(r, r)] - b.radial[np.ix_(c, c)],
        params,
    )
    np.fill_diagonal(rho, 0.0)
    rho *= (1.0 - params.relaxation_weight) / (n_r - 1)
    lam = lam0
    for _ in range(params.relaxation_rounds):
        lam = params.relaxation_weight * lam + rho @ lam
    efficiency = lam / lam0
    n_p = min(int(_n_p(n_r, params)), k)
    chosen = np.argsort(-efficiency, kind="stable")[:n_p]
    return float(lam[chosen].mean()), r[chosen], c[chosen]


def _compatibility(
    d_distance: npt.NDArray[np.floating],
    d_direction: npt.NDArray[np.floating],
    d_radial: npt.NDArray[np.floating],
    params: MatchParams,
) -> npt.NDArray[np.floating]:
    """rho: how well two pairs agree (distances, direction differences, radial angles)."""
    rho: npt.NDArray[np.floating] = (
        _sigmoid(np.abs(d_distance), params.mu_1, params.tau_1)
        * _sigmoid(_wrap(d_direction), params.mu_2, params.tau_2)
        * _sigmoid(_wrap(d_radial), params.mu_3, params.tau_3)
    )
    return rho


def _compatibility_stacked(difference: F32, params: MatchParams) -> F32:
    """rho of :func:`_compatibility` from the stacked (distance, direction, radial) differences.

    Same sigmoids, as 1 / ((1 + e1)(1 + e2)(1 + e3)) with one exponential per term
    (float32; an overflow to inf gives rho 0, as the sigmoid's limit).
    """
    magnitude = np.abs(difference, out=difference)
    angles = magnitude[1:]
    np.minimum(angles, np.float32(2 * np.pi) - angles, out=angles)
    mu = np.array([params.mu_1, params.mu_2, params.mu_3], np.float32)
    tau = np.array([params.tau_1, params.tau_2, params.tau_3], np.float32)
    shape = (3,) + (1,) * (magnitude.ndim - 1)
    magnitude -= mu.reshape(shape)
    magnitude *= -tau.reshape(shape)
    # capped at exp(29) ~ 3.9e12: a rho below 3e-13 is 0 for the relaxation, and the
    # product of the three stays finite in float32
    np.minimum(magnitude, np.float32(29.0), out=magnitude)
    np.exp(magnitude, out=magnitude)
    magnitude += np.float32(1.0)
    product = magnitude[0] * magnitude[1]
    product *= magnitude[2]
    result: F32 = np.reciprocal(product, out=product)
    return result


def compare(
    probe: MinutiaeTemplate,
    reference: MinutiaeTemplate,
    cylinder: CylinderParams = CYLINDER,
    params: MatchParams = MATCH,
) -> float:
    """Similarity 0..1 of two encoded templates (0 when either has too few cylinders)."""
    a, b = _cylinders(probe), _cylinders(reference)
    if a.count < 2 or b.count < 2:
        return 0.0
    gamma = local_similarity(a, b.values, b.valid, b.squared, b.angle, cylinder)
    return lss_r(gamma, a, b, params)


class Gallery:
    """References stacked once: cylinders for the products, flat geometry for LSS-R.

    ``geometry`` holds every reference's pairwise distance, direction
    difference and radial angle (3 x sum of n²), reference ``k`` starting at
    ``offset[k]`` row-major, so that LSS-R gathers them without padding.
    """

    def __init__(self, references: Sequence[MinutiaeTemplate]) -> None:
        self.cylinders = [_cylinders(t) for t in references]
        counts = np.array([c.count for c in self.cylinders], np.intp)
        self.counts = counts
        kept = [c for c in self.cylinders if c.count]

        def stack(name: str) -> F32:
            if not kept:
                return np.zeros((0, 0), np.float32)
            return np.ascontiguousarray(np.concatenate([getattr(c, name) for c in kept]))

        self.values, self.valid, self.squared = stack("values"), stack("valid"), stack("squared")
        self.angle = np.concatenate([c.angle for c in kept]) if kept else np.zeros(0, np.float32)
        self.cos, self.sin = np.cos(self.angle), np.sin(self.angle)
        self.starts = np.cumsum(counts) - counts  # first row of each reference's cylinders
        squares = counts * counts
        self.offset = np.cumsum(squares) - squares
        self.geometry = np.zeros((3, int(squares.sum())), np.float32)
        for row, name in enumerate(_GEOMETRY):
            if kept:
                np.concatenate([getattr(c, name).ravel() for c in kept], out=self.geometry[row])

    def __len__(self) -> int:
        return len(self.cylinders)


_GEOMETRY = ("distance", "direction", "radial")


def compare_many(
    probe: MinutiaeTemplate,
    gallery: Gallery,
    cylinder: CylinderParams = CYLINDER,
    params: MatchParams = MATCH,
    chunk: int = 32,
) -> npt.NDArray[np.float64]:
    """Scores of ``probe`` against every reference (as :func:`compare`, batched over references).

    Local similarities come from three products against the whole gallery; LSS-R
    runs on ``chunk`` references of similar size at once, padded to the longest
    of them.
    """
    a = _cylinders(probe)
    scores = np.zeros(len(gallery))
    if a.count < 2 or gallery.values.shape[0] == 0:
        return scores
    gamma = _similarity_t(
        a, gallery.values, gallery.valid, gallery.squared, gallery.cos, gallery.sin, cylinder
    )
    probe_geometry = np.stack([getattr(a, name) for name in _GEOMETRY])
    # references in order of size: each chunk is padded to its own longest one only
    by_size = np.argsort(gallery.counts, kind="stable")
    for start in range(0, len(gallery), chunk):
        rows = by_size[start : start + chunk]
        counts = gallery.counts[rows]
        side = int(counts.max())
        if side == 0:
            continue
        owner = np.repeat(np.arange(rows.size), counts)
        slot = np.arange(owner.size) - np.repeat(np.cumsum(counts) - counts, counts)
        padded = np.zeros((rows.size, a.count, side), np.float32)
        padded[owner, :, slot] = gamma[np.repeat(gallery.starts[rows], counts) + slot]
        scores[rows] = _lss_r_batch(padded, probe_geometry, gallery, rows, params)
    return scores


def _lss_r_batch(
    gamma: F32,
    probe_geometry: F32,
    gallery: Gallery,
    rows: npt.NDArray[np.intp],
    params: MatchParams,
) -> npt.NDArray[np.float64]:
    """LSS-R of one probe against a batch of references; gamma is (batch, nA, side)."""
    batch, n_a, side = gamma.shape
    counts = gallery.counts[rows]
    n_r = np.minimum(n_a, counts)
    flat = gamma.reshape(batch, n_a * side)
    k_max = int(min(n_a, side))
    if k_max < 2:
        return np.zeros(batch)
    # similarities are >= +0.0, so their bits order as int32 (a faster partition than float)
    top = np.argpartition(-flat.view(np.int32), k_max - 1, axis=1)[:, :k_max]
    values = np.take_along_axis(flat, top, axis=1)
    order = np.argsort(-values, axis=1, kind="stable")
    top = np.take_along_axis(top, order, axis=1)
    lam0 = np.take_along_axis(values, order, axis=1).astype(np.float64)
    active = (np.arange(k_max)[None, :] < n_r[:, None]) & (lam0 > 0)
    lam0 = np.where(active, lam0, 0.0)
    r, c = np.divmod(top, side)
    # padding columns (c >= count) are never active: clamp them to stay inside the reference
    c = np.minimum(c, np.maximum(counts - 1, 0)[:, None])
    at = (gallery.offset[rows, None, None] + c[:, :, None] * counts[:, None, None]) + c[:, None, :]
    mine = (r * n_a)[:, :, None] + r[:, None, :]
    difference = np.take(probe_geometry.reshape(3, -1), mine, axis=1)
    # a reference without cylinders has no geometry (its offset may be the end): clip, it is inactive
    difference -= np.take(gallery.geometry, at, axis=1, mode="clip")
    rho = _compatibility_stacked(difference, params)
    weight = np.where(active, 1.0 - params.relaxation_weight, 0.0) / np.maximum(n_r - 1, 1)[:, None]
    rho *= active[:, None, :]
    rho[:, np.arange(k_max), np.arange(k_max)] = 0.0
    rho = rho * weight[:, :, None]  # float64 from here, as the relaxation
    lam = lam0
    for _ in range(params.relaxation_rounds):
        lam = params.relaxation_weight * lam + np.einsum("pij,pj->pi", rho, lam)
    with np.errstate(invalid="ignore", divide="ignore"):
        efficiency = np.where(active, lam / np.where(active, lam0, 1.0), -np.inf)
    chosen = np.argsort(-efficiency, axis=1, kind="stable")
    ranked = np.take_along_axis(lam, chosen, axis=1)
    n_p = np.minimum(_n_p(n_r, params), active.sum(1))
    totals = np.cumsum(ranked, axis=1)
    usable = (n_r >= 2) & (n_p > 0)
    picked = totals[np.arange(batch), np.maximum(n_p - 1, 0)]
    return np.where(usable, picked / np.maximum(n_p, 1), 0.0)


def _cylinders(template: MinutiaeTemplate) -> Cylinders:
    if template.cylinders is None:
        raise ValueError("template has no cylinders: pass it through mcc.encode first")
    return template.cylinders

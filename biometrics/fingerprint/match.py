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
    ab = a.values @ b_values.T
    a2 = a.squared @ b_valid.T
    b2 = a.valid @ b_squared.T
    common = a.valid @ b_valid.T
    norm_a, norm_b = np.sqrt(a2), np.sqrt(b2)
    denominator = norm_a + norm_b
    difference = np.sqrt(np.maximum(a2 + b2 - 2.0 * ab, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        similarity = 1.0 - difference / denominator
    cells = a.valid.shape[1]
    # |angle difference| <= delta_theta, as cos(difference) >= cos(delta_theta): one outer product
    cos_a, sin_a = np.cos(a.angle), np.sin(a.angle)
    cosine = np.outer(cos_a, np.cos(b_angle)) + np.outer(sin_a, np.sin(b_angle))
    allowed = (common >= params.min_matchable_cells * cells) & (
        cosine >= np.float32(np.cos(params.delta_theta) - 1e-6)
    )
    allowed &= denominator > 0
    result: F32 = np.where(allowed, similarity, np.float32(0.0))
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
    """References stacked once: cylinders for the products, padded geometry for LSS-R."""

    def __init__(self, references: Sequence[MinutiaeTemplate]) -> None:
        self.cylinders = [_cylinders(t) for t in references]
        counts = np.array([c.count for c in self.cylinders], np.intp)
        self.counts = counts

        def stack(name: str) -> F32:
            parts = [getattr(c, name) for c in self.cylinders if c.count]
            if not parts:
                return np.zeros((0, 0), np.float32)
            return np.ascontiguousarray(np.concatenate(parts))

        self.values, self.valid, self.squared = stack("values"), stack("valid"), stack("squared")
        angles = [c.angle for c in self.cylinders if c.count]
        self.angle = np.concatenate(angles) if angles else np.zeros(0, np.float32)
        self.owner = np.repeat(np.arange(counts.size), counts)
        self.slot = np.concatenate([np.arange(n) for n in counts]) if counts.size else counts
        side = int(counts.max()) if counts.size else 0
        self.side = side
        shape = (counts.size, side, side)
        self.distance = np.zeros(shape, np.float32)
        self.direction = np.zeros(shape, np.float32)
        self.radial = np.zeros(shape, np.float32)
        for k, c in enumerate(self.cylinders):
            n = c.count
            self.distance[k, :n, :n] = c.distance
            self.direction[k, :n, :n] = c.direction
            self.radial[k, :n, :n] = c.radial

    def __len__(self) -> int:
        return len(self.cylinders)


def compare_many(
    probe: MinutiaeTemplate,
    gallery: Gallery,
    cylinder: CylinderParams = CYLINDER,
    params: MatchParams = MATCH,
    chunk: int = 256,
) -> npt.NDArray[np.float64]:
    """Scores of ``probe`` against every reference (as :func:`compare`, batched over references).

    Local similarities come from four products against the whole gallery; LSS-R
    runs on all references of a chunk at once, padded to the longest template.
    """
    a = _cylinders(probe)
    scores = np.zeros(len(gallery))
    if a.count < 2 or gallery.values.shape[0] == 0:
        return scores
    gamma = local_similarity(
        a, gallery.values, gallery.valid, gallery.squared, gallery.angle, cylinder
    )
    padded = np.zeros((len(gallery), a.count, gallery.side), np.float32)
    padded[gallery.owner, :, gallery.slot] = gamma.T
    for start in range(0, len(gallery), chunk):
        rows = np.arange(start, min(start + chunk, len(gallery)))
        scores[rows] = _lss_r_batch(padded[rows], a, gallery, rows, params)
    return scores


def _lss_r_batch(
    gamma: F32,
    a: Cylinders,
    gallery: Gallery,
    rows: npt.NDArray[np.intp],
    params: MatchParams,
) -> npt.NDArray[np.float64]:
    """LSS-R of one probe against a batch of references; gamma is (batch, nA, side)."""
    batch, n_a, side = gamma.shape
    n_r = np.minimum(n_a, gallery.counts[rows])
    flat = gamma.reshape(batch, n_a * side)
    k_max = int(min(n_a, side))
    if k_max < 2:
        return np.zeros(batch)
    top = np.argpartition(-flat, k_max - 1, axis=1)[:, :k_max]
    values = np.take_along_axis(flat, top, axis=1)
    order = np.argsort(-values, axis=1, kind="stable")
    top = np.take_along_axis(top, order, axis=1)
    lam0 = np.take_along_axis(values, order, axis=1).astype(np.float64)
    active = (np.arange(k_max)[None, :] < n_r[:, None]) & (lam0 > 0)
    lam0 = np.where(active, lam0, 0.0)
    r, c = np.divmod(top, side)
    ref = rows[:, None, None]
    ri, rj = r[:, :, None], r[:, None, :]
    ci, cj = c[:, :, None], c[:, None, :]
    rho = _compatibility(
        a.distance[ri, rj] - gallery.distance[ref, ci, cj],
        a.direction[ri, rj] - gallery.direction[ref, ci, cj],
        a.radial[ri, rj] - gallery.radial[ref, ci, cj],
        params,
    )
    pair_mask = active[:, :, None] & active[:, None, :]
    pair_mask &= ~np.eye(k_max, dtype=bool)[None]
    scale = (1.0 - params.relaxation_weight) / np.maximum(n_r - 1, 1)
    rho = np.where(pair_mask, rho, 0.0) * scale[:, None, None]
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

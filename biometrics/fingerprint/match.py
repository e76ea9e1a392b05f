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


def _sigmoid(v: npt.NDArray[np.floating] | float, mu: float, tau: float) -> npt.NDArray[np.float64]:
    return np.asarray(expit(tau * (np.asarray(v, np.float64) - mu)))


def _wrap(d: F32) -> F32:
    result: F32 = np.abs((d + np.float32(np.pi)) % np.float32(2 * np.pi) - np.float32(np.pi))
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
        similarity = np.where(denominator > 0, 1.0 - difference / denominator, 0.0)
    cells = a.values.shape[1]
    allowed = (common >= params.min_matchable_cells * cells) & (
        _wrap(a.angle[:, None] - b_angle[None, :]) <= params.delta_theta
    )
    result: F32 = np.where(allowed, similarity, 0.0).astype(np.float32)
    return result


def lss_r(similarity: F32, a: Cylinders, b: Cylinders, params: MatchParams = MATCH) -> float:
    """Global score (0..1) from the local similarity matrix of two cylinder sets."""
    return lss_r_pairs(similarity, a, b, params)[0]


def lss_r_pairs(
    similarity: F32, a: Cylinders, b: Cylinders, params: MatchParams = MATCH
) -> tuple[float, npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """LSS-R's score and the (rows of a, rows of b) of the pairs it averaged."""
    n_a, n_b = similarity.shape
    n_r = min(n_a, n_b)
    none = np.zeros(0, np.intp)
    if n_r < 2:
        return 0.0, none, none
    flat = similarity.ravel()
    top = np.argpartition(-flat, n_r - 1)[:n_r]
    lam0 = flat[top].astype(np.float64)
    if not np.any(lam0 > 0):
        return 0.0, none, none
    r, c = np.divmod(top, n_b)
    d1 = np.abs(a.distance[np.ix_(r, r)] - b.distance[np.ix_(c, c)])
    d2 = _wrap(a.direction[np.ix_(r, r)] - b.direction[np.ix_(c, c)])
    d3 = _wrap(a.radial[np.ix_(r, r)] - b.radial[np.ix_(c, c)])
    rho = (
        _sigmoid(d1, params.mu_1, params.tau_1)
        * _sigmoid(d2, params.mu_2, params.tau_2)
        * _sigmoid(d3, params.mu_3, params.tau_3)
    )
    np.fill_diagonal(rho, 0.0)
    rho *= (1.0 - params.relaxation_weight) / (n_r - 1)
    lam = lam0
    for _ in range(params.relaxation_rounds):
        lam = params.relaxation_weight * lam + rho @ lam
    efficiency = np.where(lam0 > 0, lam / np.where(lam0 > 0, lam0, 1.0), 0.0)
    n_p = params.min_np + round(
        float(_sigmoid(float(n_r), params.mu_p, params.tau_p)) * (params.max_np - params.min_np)
    )
    n_p = min(n_p, n_r)
    chosen = np.argpartition(-efficiency, n_p - 1)[:n_p]
    order = chosen[np.argsort(-lam[chosen])]
    return float(lam[chosen].mean()), r[order], c[order]


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
    """References stacked once, so that a probe meets all of them in four products."""

    def __init__(self, references: Sequence[MinutiaeTemplate]) -> None:
        self.cylinders = [_cylinders(t) for t in references]
        counts = np.array([c.count for c in self.cylinders], np.intp)
        self.bounds = np.concatenate([[0], np.cumsum(counts)])
        width = next((c.values.shape[1] for c in self.cylinders if c.count), 0)

        def stack(name: str) -> F32:
            parts = [getattr(c, name) for c in self.cylinders if c.count]
            if not parts:
                return np.zeros((0, width), np.float32)
            return np.ascontiguousarray(np.concatenate(parts))

        self.values, self.valid, self.squared = stack("values"), stack("valid"), stack("squared")
        angles = [c.angle for c in self.cylinders if c.count]
        self.angle = np.concatenate(angles) if angles else np.zeros(0, np.float32)

    def __len__(self) -> int:
        return len(self.cylinders)


def compare_many(
    probe: MinutiaeTemplate,
    gallery: Gallery,
    cylinder: CylinderParams = CYLINDER,
    params: MatchParams = MATCH,
) -> npt.NDArray[np.float64]:
    """Scores of ``probe`` against every reference of ``gallery`` (same as :func:`compare`)."""
    a = _cylinders(probe)
    scores = np.zeros(len(gallery))
    if a.count < 2 or gallery.values.shape[0] == 0:
        return scores
    gamma = local_similarity(
        a, gallery.values, gallery.valid, gallery.squared, gallery.angle, cylinder
    )
    for k, b in enumerate(gallery.cylinders):
        if b.count >= 2:
            lo, hi = gallery.bounds[k], gallery.bounds[k + 1]
            scores[k] = lss_r(gamma[:, lo:hi], a, b, params)
    return scores


def _cylinders(template: MinutiaeTemplate) -> Cylinders:
    if template.cylinders is None:
        raise ValueError("template has no cylinders: pass it through mcc.encode first")
    return template.cylinders

"""Minutia Cylinder-Code: one local descriptor per minutia (Cappelli et al. 2010).

A cylinder is a grid of ``ns x ns`` spatial cells (radius ``R`` around the
minutia, rotated to its direction) times ``nd`` direction bins. Each cell sums
the neighbours' contributions: a Gaussian of the distance to the cell centre
times the share of a Gaussian of their direction difference falling into the
bin, squashed by a sigmoid. A cell is valid inside the circle and inside the
convex hull of all minutiae dilated by ``omega``; a cylinder is kept when it has
enough valid cells and neighbours. Everything here is vectorised over
minutiae x cells x neighbours and runs once per template.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import numpy.typing as npt
from scipy.spatial import ConvexHull, QhullError
from scipy.special import erf

from biometrics.fingerprint.params import CYLINDER, CylinderParams
from biometrics.fingerprint.template import Cylinders, MinutiaeTemplate

F64 = npt.NDArray[np.float64]


def angle_difference(a: npt.ArrayLike, b: npt.ArrayLike) -> F64:
    """a - b wrapped to [-pi, pi)."""
    d = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    result: F64 = (d + np.pi) % (2 * np.pi) - np.pi
    return result


def cell_offsets(params: CylinderParams) -> F64:
    """Centres (dx, dy) of the in-circle spatial cells, relative to an unrotated minutia."""
    step = 2.0 * params.radius / params.ns
    centres = (np.arange(params.ns) - (params.ns - 1) / 2.0) * step
    gx, gy = np.meshgrid(centres, centres, indexing="xy")
    offsets = np.stack([gx.ravel(), gy.ravel()], axis=1)
    inside = np.hypot(offsets[:, 0], offsets[:, 1]) <= params.radius
    result: F64 = offsets[inside]
    return result


def _hull_inside(points: F64, minutiae: F64, omega: float) -> npt.NDArray[np.bool_]:
    """Which points lie within ``omega`` of the minutiae's convex hull (half-plane test)."""
    if minutiae.shape[0] < 3:
        return np.ones(points.shape[:-1], bool)
    try:
        hull = ConvexHull(minutiae)
    except QhullError:  # collinear minutiae: no area, accept everything near them
        return np.ones(points.shape[:-1], bool)
    normals, offsets = hull.equations[:, :2], hull.equations[:, 2]
    signed = points @ normals.T + offsets  # <= 0 inside each half-plane
    result: npt.NDArray[np.bool_] = np.all(signed <= omega, axis=-1)
    return result


def encode(template: MinutiaeTemplate, params: CylinderParams = CYLINDER) -> MinutiaeTemplate:
    """The template with its cylinders (and the kept minutiae's positions) computed."""
    x = template.x.astype(np.float64)
    y = template.y.astype(np.float64)
    theta = template.angle.astype(np.float64)
    n = x.size
    offsets = cell_offsets(params)
    cells = offsets.shape[0]
    # direction (cos t, -sin t) in image coordinates; the cell grid turns with it.
    cos_t, sin_t = np.cos(theta), -np.sin(theta)
    # rotate (dx, dy) by the minutia direction: x' = dx cos - dy sin, y' = dx sin + dy cos
    px = x[:, None] + offsets[None, :, 0] * cos_t[:, None] - offsets[None, :, 1] * sin_t[:, None]
    py = y[:, None] + offsets[None, :, 0] * sin_t[:, None] + offsets[None, :, 1] * cos_t[:, None]
    points = np.stack([px, py], axis=-1)  # n x cells x 2
    valid_space = _hull_inside(points, np.stack([x, y], axis=1), params.omega)
    # neighbour contributions: n (centre) x cells x n (neighbour)
    dx = px[:, :, None] - x[None, None, :]
    dy = py[:, :, None] - y[None, None, :]
    dist2 = dx * dx + dy * dy
    reach = (3.0 * params.sigma_s) ** 2
    not_self = ~np.eye(n, dtype=bool)[:, None, :]
    near = (dist2 <= reach) & not_self
    spatial = np.where(
        near,
        np.exp(-dist2 / (2 * params.sigma_s**2)) / (params.sigma_s * math.sqrt(2 * math.pi)),
        0.0,
    )
    step_d = 2 * math.pi / params.nd
    bins = -math.pi + (np.arange(params.nd) + 0.5) * step_d
    relative = angle_difference(theta[:, None], theta[None, :])  # centre - neighbour, n x n
    alpha = angle_difference(bins[None, None, :], relative[:, :, None])  # n x n x nd
    scale = math.sqrt(2) * params.sigma_d
    directional = 0.5 * (erf((alpha + step_d / 2) / scale) - erf((alpha - step_d / 2) / scale))
    summed = np.einsum("icn,ink->ick", spatial, directional)  # n x cells x nd
    values = 1.0 / (1.0 + np.exp(-params.tau_psi * (summed - params.mu_psi)))
    distance = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    neighbours = ((distance <= params.radius + 3 * params.sigma_s) & ~np.eye(n, dtype=bool)).sum(1)
    keep = (valid_space.sum(1) >= params.min_valid_cells * cells) & (
        neighbours >= params.min_neighbours
    )
    index = np.flatnonzero(keep)
    valid = valid_space[index].astype(np.float32)  # per spatial cell
    flat = (values[index] * valid[:, :, None]).astype(np.float32)  # zero where invalid
    flat = flat.reshape(index.size, cells * params.nd)
    cylinders = Cylinders.of(
        values=flat,
        valid=valid,
        index=index,
        angle=theta[index].astype(np.float32),
        x=x[index],
        y=y[index],
    )
    return dataclasses.replace(template, cylinders=cylinders)

"""Contextual ridge enhancement before mindtct (Hong, Wan, Jain, IEEE TPAMI 20(8), 1998).

The print is normalised locally (zero mean, unit variance in a Gaussian
window: dry and low-contrast capacitive prints get the same ridge contrast as
good ones), its ridge orientation is estimated from the smoothed gradient
structure tensor, its ridge period from the image's own spectrum (one period
per image, bounded to the physical range at 500 ppi), and every pixel is
replaced by the response of the even Gabor filter tuned to its orientation and
its local period. The filter bank is applied to the whole image once per
orientation bin and period step (separable 1-D passes, equal to ``filter2D``
with the 2-D kernels); each pixel takes the response of its two nearest
orientation bins, interpolated, at the period step whose response energy is
highest there (Hong et al. estimate the local frequency per block; this picks
it among three). The print area is refined at pixel level from the filter
response energy (within a block of the block segmentation, holes filled);
outside it the result is flat white, so mindtct finds no minutiae in the
background (but ridge "endings" along its border: ``extract`` drops those).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
from scipy import ndimage

from biometrics.fingerprint.image import GrayImage
from biometrics.fingerprint.params import ENHANCEMENT, EnhancementParams

FloatImage = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Enhanced:
    pixels: GrayImage  # uint8, dark ridges on white, background white
    orientation: FloatImage  # ridge normal direction per pixel, radians in [0, pi)
    coherence: FloatImage  # 0..1 per pixel
    period: float  # ridge period used, pixels
    area: npt.NDArray[np.bool_]  # the print area kept (white outside)


def normalise(pixels: GrayImage, sigma: float) -> FloatImage:
    """Local zero-mean, unit-variance image (Gaussian window of ``sigma`` pixels)."""
    x = pixels.astype(np.float32)
    mean = cv2.GaussianBlur(x, (0, 0), sigma)
    centred = x - mean
    var = cv2.GaussianBlur(centred * centred, (0, 0), sigma)
    out: FloatImage = centred / np.sqrt(var + 1.0)
    return out


def orientation_field(
    image: FloatImage, gradient_sigma: float, smooth_sigma: float
) -> tuple[FloatImage, FloatImage]:
    """Ridge-normal direction (radians, [0, pi)) and coherence (0..1) per pixel."""
    smoothed = cv2.GaussianBlur(image, (0, 0), gradient_sigma)
    gx = cv2.Sobel(smoothed, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(smoothed, cv2.CV_32F, 0, 1, ksize=3)
    gxx = cv2.GaussianBlur(gx * gx, (0, 0), smooth_sigma)
    gyy = cv2.GaussianBlur(gy * gy, (0, 0), smooth_sigma)
    gxy = cv2.GaussianBlur(gx * gy, (0, 0), smooth_sigma)
    c, s = gxx - gyy, 2.0 * gxy
    theta = (0.5 * np.arctan2(s, c)) % np.pi
    coherence = np.sqrt(c * c + s * s) / (gxx + gyy + 1e-6)
    return theta.astype(np.float32), coherence.astype(np.float32)


def ridge_period(
    image: FloatImage, mask: npt.NDArray[np.bool_], params: EnhancementParams
) -> float:
    """The dominant ridge period (pixels) of the print: peak of the radial power spectrum."""
    ys, xs = np.nonzero(mask)
    if ys.size < 64 * 64:
        return params.default_period
    crop = (
        image[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        * mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    )
    h, w = crop.shape
    window = np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)
    power = np.abs(np.fft.fft2(crop * window)) ** 2
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.fftfreq(w)[None, :]
    radius = np.sqrt(fx * fx + fy * fy)
    lo, hi = 1.0 / params.max_period, 1.0 / params.min_period
    bins = np.linspace(lo, hi, 41)
    which = np.digitize(radius, bins) - 1
    ok = (which >= 0) & (which < bins.size - 1)
    energy = np.bincount(which[ok], weights=power[ok], minlength=bins.size - 1)
    best = int(np.argmax(energy))
    return float(1.0 / (0.5 * (bins[best] + bins[best + 1])))


def gabor_bank(period: float, params: EnhancementParams) -> list[FloatImage]:
    """The 2-D kernels (zero mean, unit energy) that :func:`gabor_responses` applies."""
    sigma = params.sigma_ratio * period
    size = 2 * int(np.ceil(3 * sigma)) + 1
    kernels = []
    for k in range(params.orientations):
        theta = np.pi * k / params.orientations
        raw = cv2.getGaborKernel((size, size), sigma, theta, period, 1.0, 0.0, cv2.CV_32F)
        kernel = raw.astype(np.float64) - float(raw.mean())  # zero DC: flat regions give 0
        kernel = kernel / float(np.sqrt((kernel * kernel).sum()))  # unit energy
        kernels.append(kernel.astype(np.float32))
    return kernels


def gabor_responses(image: FloatImage, period: float, params: EnhancementParams) -> FloatImage:
    """``filter2D`` of the image with every :func:`gabor_bank` kernel, (orientations, H, W).

    Computed separably: with a round envelope, exp(-(x²+y²)/2σ²)·cos(ax + by)
    = gx·cos(ax)·gy·cos(by) - gx·sin(ax)·gy·sin(by), two 1-D passes each; the
    kernel's mean is removed with one box filter (sum over the window).
    """
    sigma = params.sigma_ratio * period
    half = int(np.ceil(3 * sigma))
    size = 2 * half + 1
    u = np.arange(size, dtype=np.float64) - half
    envelope = np.exp(-(u * u) / (2 * sigma * sigma))
    box = cv2.boxFilter(
        image, cv2.CV_32F, (size, size), normalize=False, borderType=cv2.BORDER_REFLECT
    )
    out = np.empty((params.orientations, *image.shape), np.float32)
    for k in range(params.orientations):
        theta = np.pi * k / params.orientations
        a, b = 2 * np.pi * np.cos(theta) / period, 2 * np.pi * np.sin(theta) / period
        cx, sx = envelope * np.cos(a * u), envelope * np.sin(a * u)
        cy, sy = envelope * np.cos(b * u), envelope * np.sin(b * u)
        kernel = np.outer(cy, cx) - np.outer(sy, sx)
        mean = kernel.mean()
        norm = np.sqrt(((kernel - mean) ** 2).sum())
        border = cv2.BORDER_REFLECT
        even = cv2.sepFilter2D(
            image, cv2.CV_32F, cx.astype(np.float32), cy.astype(np.float32), borderType=border
        )
        odd = cv2.sepFilter2D(
            image, cv2.CV_32F, sx.astype(np.float32), sy.astype(np.float32), borderType=border
        )
        out[k] = (even - odd - np.float32(mean) * box) / np.float32(norm)
    return out


def enhance(
    pixels: GrayImage, mask: npt.NDArray[np.bool_], params: EnhancementParams = ENHANCEMENT
) -> Enhanced:
    """The Gabor-enhanced print (uint8, dark ridges) of a 500 ppi image and its segmentation."""
    image = normalise(pixels, params.normalise_sigma)
    theta, coherence = orientation_field(image, params.gradient_sigma, params.orientation_sigma)
    period = ridge_period(image, mask, params)
    n = params.orientations
    position = theta * (n / np.pi)
    lower = (np.floor(position).astype(np.intp) % n)[None]
    upper = (lower + 1) % n
    frac = (position - np.floor(position)).astype(np.float32)
    out = np.zeros_like(image)
    best = np.full_like(image, -1.0)
    for step in params.period_steps:
        responses = gabor_responses(image, period * step, params)
        candidate = (1.0 - frac) * np.take_along_axis(responses, lower, 0)[0]
        candidate += frac * np.take_along_axis(responses, upper, 0)[0]
        if len(params.period_steps) == 1:
            out = candidate
            break
        # per pixel, the period whose filter answers most strongly (local ridge frequency)
        energy = cv2.GaussianBlur(candidate * candidate, (0, 0), period)
        take = energy > best
        out = np.where(take, candidate, out)
        best = np.where(take, energy, best)
    scale = float(np.percentile(np.abs(out[mask]), 95)) if mask.any() else 1.0
    area = mask
    if params.energy_fraction > 0 and mask.any():
        # pixel-level print area: Gabor response energy, within a block of the block mask
        energy = cv2.GaussianBlur(out * out, (0, 0), period)
        strong = float(np.percentile(energy[mask], 90))
        grown = cv2.dilate(mask.astype(np.uint8), np.ones((33, 33), np.uint8)).astype(bool)
        area = ndimage.binary_fill_holes(grown & (energy >= params.energy_fraction * strong))
    grey = 255.0 * (0.5 + 0.5 * out / max(scale, 1e-6))
    grey[~area] = 255.0
    result: GrayImage = np.clip(grey, 0, 255).astype(np.uint8)
    return Enhanced(result, theta, coherence, period, area)

"""Passive cue against screens and prints: isolated peaks in the face's spectrum.

A face re-captured from a screen carries the display's pixel grid, and one
from a print the halftone screen; both alias with the camera's sensor into
moiré, which shows in the 2D spectrum as sharp peaks far above the smooth
fall-off of a real face's spectrum. The measure is the strongest peak in a
high-frequency band, in log-magnitude units above the radial mean at its
radius. The axes (edges of the crop) and the 8-pixel block frequencies of
JPEG/MJPEG compression are left out, so camera compression is not mistaken
for a screen.

Weak points, honestly: a high-resolution print or screen held far enough
away, or a camera that low-pass filters strongly, leaves no peaks; noise and
lighting change the level. It is one cue among several (docs/face.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from biometrics.face.detect import Box
from biometrics.face.params import LIVENESS, LivenessParams

GrayImage = npt.NDArray[np.uint8]
_MIN_SIDE = 64


@dataclass(frozen=True, slots=True)
class SpectrumResult:
    peak: float | None  # log-magnitude above the radial mean; None: face too small
    suspicious: bool | None


def spectral_peak(
    gray: GrayImage, box: Box, *, band: tuple[float, float] = (0.25, 0.95)
) -> float | None:
    """The strongest isolated high-frequency peak of the face region (see module doc)."""
    height, width = gray.shape
    x0, y0 = max(int(box.left), 0), max(int(box.top), 0)
    x1, y1 = min(int(box.right), width), min(int(box.bottom), height)
    side = min(x1 - x0, y1 - y0)
    if side < _MIN_SIDE:
        return None
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    half = side // 2
    crop = gray[cy - half : cy + half, cx - half : cx + half].astype(np.float64)
    n = crop.shape[0]
    window = np.outer(np.hanning(n), np.hanning(n))
    spectrum = np.fft.fftshift(np.fft.fft2((crop - crop.mean()) * window))
    log_mag = np.log1p(np.abs(spectrum))
    freq = np.fft.fftshift(np.fft.fftfreq(n))  # cycles per pixel, -0.5 .. 0.5
    fy, fx = np.meshgrid(freq, freq, indexing="ij")
    radius = np.hypot(fx, fy) / 0.5  # fraction of Nyquist
    bins = np.minimum((radius * n / 2).astype(int), n)
    sums = np.bincount(bins.ravel(), weights=log_mag.ravel(), minlength=n + 1)
    counts = np.bincount(bins.ravel(), minlength=n + 1)
    radial_mean = sums / np.maximum(counts, 1)
    residual = log_mag - radial_mean[bins]
    axis_gap = 2.0 / n
    block = 1.0 / 8.0
    near_block = (np.abs(fx / block - np.round(fx / block)) * block < axis_gap) & (
        np.abs(fy / block - np.round(fy / block)) * block < axis_gap
    )
    usable = (
        (radius >= band[0])
        & (radius <= band[1])
        & (np.abs(fx) > axis_gap)
        & (np.abs(fy) > axis_gap)
        & ~near_block
    )
    if not usable.any():
        return None
    return float(residual[usable].max())


def spectrum_cue(gray: GrayImage, box: Box, params: LivenessParams = LIVENESS) -> SpectrumResult:
    peak = spectral_peak(gray, box, band=params.spectrum_band)
    if peak is None:
        return SpectrumResult(None, None)
    return SpectrumResult(peak, peak > params.spectrum_max_peak)

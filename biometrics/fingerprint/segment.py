"""Segmentation of the print area: which pixels hold ridges, which are background.

Block-wise grey standard deviation (ridges alternate dark and light, the
background is flat), thresholded relative to the image's own strong blocks,
then cleaned with a morphological closing and opening, holes filled, and the
largest connected region kept. Works on the 500 ppi image.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
from scipy import ndimage

from biometrics.fingerprint.image import GrayImage
from biometrics.fingerprint.params import SEGMENTATION, SegmentationParams


@dataclass(frozen=True, slots=True)
class Segmentation:
    mask: npt.NDArray[np.bool_]  # per pixel, True on the print
    block_std: npt.NDArray[np.float64]  # per block, grey-level standard deviation
    block: int

    @property
    def area_fraction(self) -> float:
        return float(self.mask.mean())

    def bounding_box(self) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) of the print (the whole frame when nothing was found)."""
        ys, xs = np.nonzero(self.mask)
        if ys.size == 0:
            return 0, 0, int(self.mask.shape[1]), int(self.mask.shape[0])
        return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def block_std(pixels: GrayImage, block: int) -> npt.NDArray[np.float64]:
    height, width = pixels.shape
    rows, cols = -(-height // block), -(-width // block)
    padded = np.pad(
        pixels.astype(np.float64),
        ((0, rows * block - height), (0, cols * block - width)),
        mode="edge",
    )
    tiles = padded.reshape(rows, block, cols, block)
    result: npt.NDArray[np.float64] = tiles.std(axis=(1, 3))
    return result


def segment(pixels: GrayImage, params: SegmentationParams = SEGMENTATION) -> Segmentation:
    stds = block_std(pixels, params.block)
    strong = float(np.percentile(stds, 90))
    threshold = max(params.min_std, params.std_fraction * strong)
    blocks = stds >= threshold
    if params.close_blocks:
        structure = np.ones((2 * params.close_blocks + 1,) * 2, bool)
        blocks = ndimage.binary_closing(blocks, structure, border_value=0)
        blocks = ndimage.binary_opening(blocks, np.ones((3, 3), bool))
    blocks = ndimage.binary_fill_holes(blocks)
    labels, count = ndimage.label(blocks)
    if count > 1:
        sizes = ndimage.sum_labels(blocks, labels, index=np.arange(1, count + 1))
        blocks = labels == (1 + int(np.argmax(sizes)))
    height, width = pixels.shape
    full = cv2.resize(
        blocks.astype(np.uint8),
        (blocks.shape[1] * params.block, blocks.shape[0] * params.block),
        interpolation=cv2.INTER_NEAREST,
    )[:height, :width]
    return Segmentation(mask=full.astype(bool), block_std=stds, block=params.block)

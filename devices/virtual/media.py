"""Synthetic test media for the virtual devices: no real person's data.

* fingerprints: ridge patterns grown from noise by oriented Gabor filtering
  around a core and a delta (the way SFinGe-style generators work), so that
  minutiae detectors (libfprint's NBIS) find real ridge endings and bifurcations;
* camera frames: a test card with moving shapes and a frame counter;
* document pages: a data-page-like layout with a two-line TD3 MRZ of a made-up
  specimen.

``python -m devices.virtual.media DIR`` writes the set shipped in
``config/virtual-media`` (deterministic for a given seed).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from devices.base import Image

RIDGE_PERIOD_PX = 9.0  # about 500 ppi
ORIENTATIONS = 16

# A made-up specimen (ICAO 9303 Part 4 style, check digits valid). Not a person.
SPECIMEN_MRZ = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)


def fingerprint(seed: int, height: int = 300, width: int = 250, iterations: int = 12) -> Image:
    """A grey fingerprint-like image: dark ridges on white, elliptical contact area."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    core_y = height * 0.42 + rng.uniform(-15, 15)
    core_x = width * 0.5 + rng.uniform(-15, 15)
    delta_y, delta_x = height * 0.8, width * 0.2 + rng.uniform(-10, 10)
    theta = (
        0.5 * (np.arctan2(yy - core_y, xx - core_x) - np.arctan2(yy - delta_y, xx - delta_x))
        + np.pi / 2
    )
    bins = np.round((theta % np.pi) / np.pi * ORIENTATIONS).astype(int) % ORIENTATIONS
    kernels = [
        cv2.getGaborKernel(
            (17, 17), 4.0, k * np.pi / ORIENTATIONS, RIDGE_PERIOD_PX, 1.0, 0, ktype=cv2.CV_64F
        )
        for k in range(ORIENTATIONS)
    ]
    field = rng.standard_normal((height, width))
    for _ in range(iterations):
        out = np.zeros_like(field)
        for k, kernel in enumerate(kernels):
            response = cv2.filter2D(field, -1, kernel)
            out[bins == k] = response[bins == k]
        field = np.tanh(out / (out.std() + 1e-9) * 2)
    image = 127 - 110 * field
    inside = ((yy - height / 2) / (height * 0.46)) ** 2 + ((xx - width / 2) / (width * 0.44)) ** 2
    image = np.where(inside <= 1, image, 255)
    result: Image = image.clip(0, 255).astype(np.uint8)
    return result


def card_frame(index: int, height: int = 240, width: int = 320) -> Image:
    """A BGR camera frame: colour bars, a moving disc and the frame number."""
    frame = np.zeros((height, width, 3), np.uint8)
    bars = [(192, 192, 192), (0, 192, 192), (192, 192, 0), (0, 192, 0), (192, 0, 192)]
    bar_w = width // len(bars)
    for i, colour in enumerate(bars):
        frame[: height // 2, i * bar_w : (i + 1) * bar_w] = colour
    frame[height // 2 :] = (64, 64, 64)
    cx = int((index * 7) % (width - 40)) + 20
    cv2.circle(frame, (cx, height * 3 // 4), 18, (255, 255, 255), -1)
    for x in range(0, width, 16):  # fine detail so sharpness has something to measure
        cv2.line(frame, (x, height // 2), (x + 8, height // 2 + 12), (0, 0, 0), 1)
    cv2.putText(
        frame, f"{index:04d}", (8, height - 10), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1
    )
    return frame


def document_page(
    height: int = 620, width: int = 880, *, mrz: Sequence[str] = SPECIMEN_MRZ
) -> Image:
    """A passport-data-page-like BGR image with an MRZ (the specimen's by default) at the bottom."""
    page = np.full((height, width, 3), (225, 235, 240), np.uint8)
    cv2.rectangle(page, (40, 90), (260, 390), (180, 180, 180), -1)  # photo area, empty
    labels = ("Type/Jenis P", "Surname/Nama UTOPIA SPECIMEN", "Nationality UTO", "Date 12 AUG 74")
    for i, text in enumerate(labels):
        cv2.putText(page, text, (300, 130 + 50 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (40, 40, 40), 2)
    for i, line in enumerate(mrz):
        cv2.putText(
            page,
            line,
            (30, height - 90 + 45 * i),
            cv2.FONT_HERSHEY_PLAIN,
            1.55,
            (10, 10, 10),
            2,
        )
    return page


def write_set(directory: Path, *, fingerprints: int = 3, frames: int = 30, seed: int = 7) -> None:
    """Write the shipped virtual media set into ``directory``."""
    (directory / "fingerprints").mkdir(parents=True, exist_ok=True)
    (directory / "frames").mkdir(parents=True, exist_ok=True)
    (directory / "documents").mkdir(parents=True, exist_ok=True)
    for i in range(fingerprints):
        cv2.imwrite(
            str(directory / "fingerprints" / f"synthetic-{i:02d}.png"), fingerprint(seed + i)
        )
    for i in range(0, frames, 10):
        cv2.imwrite(str(directory / "frames" / f"card-{i:04d}.png"), card_frame(i))
    cv2.imwrite(str(directory / "documents" / "specimen-page.png"), document_page())
    write_video(directory / "test-card.avi", frames)


def write_video(path: Path, frames: int, fps: float = 10.0) -> None:
    """An MJPG AVI of test-card frames (OpenCV's built-in writer, no codec download)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (320, 240))
    if not writer.isOpened():
        raise OSError(f"cannot write {path}")
    try:
        for i in range(frames):
            writer.write(card_frame(i))
    finally:
        writer.release()


def main(argv: list[str]) -> int:  # pragma: no cover - a maintainer's tool
    if len(argv) != 1:
        print("usage: python -m devices.virtual.media DIR", file=sys.stderr)
        return 2
    write_set(Path(argv[0]))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))

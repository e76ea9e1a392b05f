"""``gerbang bench fingerprint-extract``: what extracting a finger costs at the kiosk.

The work timed is the finger step's and the counter's (``record.extract_pixels`` on a
scanner's grey image, NFIQ 2 included): the raw set alone, and with the enhanced set
that ``gerbang_dual`` compares (``enhanced=True``). Both run on the same images in each
round, alternating which goes first, so that both see the same machine load; medians
and 95th percentiles per set of the per-image wall-clock times (the caller pins the
process to one CPU).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from biometrics.fingerprint import record

Gray = npt.NDArray[np.uint8]
Progress = Callable[[str, int, int], None]


def bench_images(
    images: Sequence[Gray],
    *,
    ppi: float = record.DEFAULT_PPI,
    rounds: int = 3,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Per-image milliseconds of the raw set and of both sets over ``rounds`` rounds."""
    if not images:
        raise ValueError("no images to time")
    if rounds < 1:
        raise ValueError("rounds must be at least 1")
    record.extract_pixels(images[0], ppi=ppi, enhanced=True)  # load NBIS once, untimed
    raw: list[float] = []
    both: list[float] = []
    enhanced_missing = 0
    for r in range(rounds):
        order = (False, True) if r % 2 == 0 else (True, False)
        for k, gray in enumerate(images):
            for enhanced in order:
                started = time.perf_counter()
                extraction = record.extract_pixels(gray, ppi=ppi, enhanced=enhanced)
                elapsed = 1000.0 * (time.perf_counter() - started)
                (both if enhanced else raw).append(elapsed)
                if enhanced and extraction.enhanced is None and r == 0:
                    enhanced_missing += 1
            if progress:
                progress(f"round {r + 1}", k + 1, len(images))
    a, b = np.array(raw), np.array(both)
    return {
        "images": len(images),
        "rounds": rounds,
        "raw_set_ms_median": round(float(np.median(a)), 1),
        "both_sets_ms_median": round(float(np.median(b)), 1),
        "enhanced_extra_ms_median": round(float(np.median(b) - np.median(a)), 1),
        "raw_set_ms_p95": round(float(np.percentile(a, 95)), 1),
        "both_sets_ms_p95": round(float(np.percentile(b, 95)), 1),
        "without_enhanced_set": enhanced_missing,  # the raw set stands alone for these
    }

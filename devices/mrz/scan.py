"""The scan loop of the data page: scan until the MRZ parses, or time runs out (Qt-free).

Shared by the kiosk's document step, ``gerbang doc read --scan`` and the
officer's counter enrollment.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

import numpy as np
import numpy.typing as npt

from devices.base import DocumentImage, DocumentScanner, Retry
from devices.mrz.parser import MrzReading
from devices.mrz.reader import ReadStatus, read_mrz_image


def page_grey(page: DocumentImage) -> npt.NDArray[np.uint8]:
    """The data page as 8-bit grey (scanners give BGR or grey)."""
    image = page.image
    if image.ndim == 3:
        import cv2

        return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    return image


def scan_mrz(
    scanner: DocumentScanner,
    *,
    cancelled: Callable[[], bool],
    deadline: float,
    poll_s: float,
    reference_date: date,
) -> MrzReading | None:
    """Scan the data page until its MRZ parses (valid or not), or ``deadline`` passes
    (``time.monotonic``) or ``cancelled()`` is true; ``None`` then."""
    while not cancelled() and time.monotonic() < deadline:
        page = scanner.scan(poll_s)
        if isinstance(page, Retry):
            continue
        reading = read_mrz_image(page_grey(page), reference_date=reference_date)
        if reading.reading is not None and reading.status in (
            ReadStatus.VALID,
            ReadStatus.CHECK_FAILED,
        ):
            return reading.reading
    return None

"""The counter's finger engine on a print it cannot use (real prints: tests/integration/fingerprint)."""

from __future__ import annotations

import numpy as np

from enrollment.fingers import FingerprintPipeline
from models.biometric import FingerPosition
from tests import factories


def test_a_blank_print_is_a_capture_without_template() -> None:
    capture = FingerprintPipeline().capture(
        FingerPosition.LEFT_INDEX, factories.image(), np.full((300, 300), 255, np.uint8)
    )
    assert capture.template is None and capture.quality == 0.0
    assert capture.quality_method.startswith("unusable:")

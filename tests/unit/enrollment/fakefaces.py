"""A scripted FaceEngine: the workflows are tested without the dlib models."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from enrollment.faces import FaceAnalysis, IcaoRule


def unit_vector(seed: int) -> npt.NDArray[np.float32]:
    vector = np.random.default_rng(seed).standard_normal(128)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


class FakeFaces:
    """Each call takes the next scripted analysis; by default a compliant face of seed 1."""

    def __init__(self, script: Iterable[FaceAnalysis] = ()) -> None:
        self.script = list(script)
        self.calls = 0

    def analyse(self, rgb: npt.NDArray[np.uint8]) -> FaceAnalysis:
        self.calls += 1
        if self.script:
            return self.script.pop(0)
        return found(1)


def found(seed: int, *, failed: tuple[str, ...] = (), quality: float = 80.0) -> FaceAnalysis:
    report = (
        IcaoRule("single_face", True, 1.0, "exactly 1", False),
        *(IcaoRule(rule, False, 0.0, "fake limit", False) for rule in failed),
    )
    return FaceAnalysis(unit_vector(seed), quality, failed, not failed, 1, report)


def no_face() -> FaceAnalysis:
    return FaceAnalysis(None, 0.0, ("single_face",), False, 0)

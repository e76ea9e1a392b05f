"""Extraction: NFIQ 2 failure falls back to our quality, and the minutiae survive."""

from __future__ import annotations

import numpy as np

from biometrics.fingerprint.errors import ExtractionError
from biometrics.fingerprint.extract import extract
from biometrics.fingerprint.image import from_array
from biometrics.fingerprint.nbisx import MindtctOutput, Nbis, RawMinutia
from biometrics.fingerprint.quality import FALLBACK, NFIQ2
from tests.unit.fingerprint.synthetic import ridges


class FakeNbis(Nbis):
    """mindtct answers with fixed minutiae; NFIQ 2 'fails' unless a score is given."""

    def __init__(self, minutiae: int, nfiq2: int | None) -> None:
        super().__init__()
        rng = np.random.default_rng(0)
        self.raw = tuple(
            RawMinutia(int(x), int(y), float(a), bool(e), 0.5)
            for x, y, a, e in zip(
                rng.integers(80, 220, minutiae),
                rng.integers(80, 220, minutiae),
                rng.uniform(0, 6.28, minutiae),
                rng.integers(0, 2, minutiae),
                strict=True,
            )
        )
        self.score = nfiq2
        self.calls: list[bool] = []

    def mindtct(self, png: bytes, *, nfiq2: bool) -> MindtctOutput:
        self.calls.append(nfiq2)
        if self.score is None or not nfiq2:
            error = "NbisError.Nfiq2ComputeFailed(2)" if nfiq2 else None
            return MindtctOutput(self.raw, None, error, None)
        return MindtctOutput(self.raw, self.score, None, None)


def test_nfiq2_failure_gives_labelled_fallback_and_keeps_minutiae() -> None:
    image = from_array(ridges(), ppi=500)
    result = extract(image, FakeNbis(30, None))
    assert result.quality.method == FALLBACK and result.quality.is_fallback
    assert result.quality.nfiq2_error == "NbisError.Nfiq2ComputeFailed(2)"
    assert 0 <= result.quality.score <= 100
    assert result.template.count == 30
    assert result.template.quality_method == FALLBACK
    assert not result.too_few_minutiae


def test_nfiq2_score_is_used_when_it_runs() -> None:
    result = extract(from_array(ridges(), ppi=500), FakeNbis(30, 71))
    assert (result.quality.score, result.quality.method) == (71, NFIQ2)


def test_fallback_scores_clear_ridges_above_noise() -> None:
    clear = extract(from_array(ridges(), ppi=500), FakeNbis(20, None)).quality
    noise = np.random.default_rng(1).integers(0, 255, (300, 300), dtype=np.uint8)
    noisy = extract(from_array(noise, ppi=500), FakeNbis(20, None)).quality
    assert clear.score > noisy.score + 20


def test_few_minutiae_is_a_flag_not_an_error() -> None:
    result = extract(from_array(ridges(), ppi=500), FakeNbis(3, 50))
    assert result.too_few_minutiae
    assert result.template.count == 3


def test_the_enhanced_set_is_extracted_only_when_asked_and_usable() -> None:
    image = from_array(ridges(), ppi=500)
    nbis = FakeNbis(30, 50)
    assert extract(image, nbis).enhanced is None and len(nbis.calls) == 1
    both = extract(image, nbis, enhanced=True)
    assert nbis.calls == [True, True, False]  # a second mindtct run, on the enhanced image
    # the fake's minutiae lie inside the synthetic print: the enhanced set keeps enough
    assert both.enhanced is not None and both.enhanced.cylinders is not None
    assert both.template.count == 30 and not both.too_few_minutiae
    few = extract(image, FakeNbis(3, 50), enhanced=True)
    assert few.too_few_minutiae and few.enhanced is None  # not even tried


class EnhancedFails(FakeNbis):
    """mindtct finds the fixed minutiae on the raw print; on the enhanced one, ``second``."""

    def __init__(self, second: int | None) -> None:
        super().__init__(30, 50)
        self.second = second

    def mindtct(self, png: bytes, *, nfiq2: bool) -> MindtctOutput:
        if self.calls:  # the second run: the enhanced image
            self.calls.append(nfiq2)
            if self.second is None:
                raise ExtractionError("mindtct failed on the enhanced image")
            return MindtctOutput(self.raw[: self.second], None, None, None)
        return super().mindtct(png, nfiq2=nfiq2)


def test_a_failed_or_poor_enhanced_set_leaves_the_raw_set_alone() -> None:
    image = from_array(ridges(), ppi=500)
    failed = extract(image, EnhancedFails(None), enhanced=True)
    assert failed.enhanced is None and failed.template.count == 30 and not failed.too_few_minutiae
    poor = extract(image, EnhancedFails(4), enhanced=True)  # 4 < min_minutiae
    assert poor.enhanced is None and poor.template.count == 30
    fine = extract(image, EnhancedFails(12), enhanced=True)
    assert fine.enhanced is not None and fine.enhanced.count <= 12

"""The boundary to NIST NBIS through nbis-py: mindtct minutiae, NFIQ 2, bozorth3.

nbis-py reads encoded image bytes (we hand it a lossless PNG of the 500 ppi
image). NFIQ 2 runs inside the same extraction call; when it fails
(``Nfiq2ComputeFailed`` on small or ridge-less images) the extraction is run
again without it, so the minutiae are never lost because quality failed.
Every nbis exception is translated to :mod:`biometrics.fingerprint.errors`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import nbis

from biometrics.fingerprint.errors import ExtractionError, TemplateError


@dataclass(frozen=True, slots=True)
class RawMinutia:
    x: int
    y: int
    angle: float  # radians, ISO 19794-2 convention (counter-clockwise, image y axis down)
    ending: bool  # ridge ending (True) or bifurcation
    reliability: float  # mindtct's 0..1


@dataclass(frozen=True, slots=True)
class MindtctOutput:
    minutiae: tuple[RawMinutia, ...]
    nfiq2: int | None  # 0-100, None when it did not run or failed
    nfiq2_error: str | None
    handle: Any  # nbis.Minutiae, for bozorth3 (the baseline); opaque outside this module


class Nbis:
    """Two nbis extractors (with and without NFIQ 2), made on first use, not at import."""

    def __init__(self, min_reliability: float = 0.0, ppi: float = 500.0) -> None:
        self._min_reliability = min_reliability
        self._ppi = ppi
        self._extractors: dict[bool, Any] = {}

    def _extractor(self, nfiq2: bool) -> Any:
        if nfiq2 not in self._extractors:
            settings = nbis.NbisExtractorSettings(
                min_quality=self._min_reliability,
                get_center=False,
                check_fingerprint=False,
                compute_nfiq2=nfiq2,
                ppi=self._ppi,
            )
            self._extractors[nfiq2] = nbis.new_nbis_extractor(settings)
        return self._extractors[nfiq2]

    def mindtct(self, png: bytes, *, nfiq2: bool) -> MindtctOutput:
        """Minutiae of a 500 ppi PNG, and its NFIQ 2 score when asked and possible."""
        error: str | None = None
        if nfiq2:
            try:
                handle = self._extractor(True).extract_minutiae(png)
                return MindtctOutput(_minutiae(handle), int(handle.quality().score), None, handle)
            except nbis.NbisError as exc:
                error = repr(exc)
        try:
            handle = self._extractor(False).extract_minutiae(png)
        except nbis.NbisError as exc:
            raise ExtractionError(f"mindtct failed: {exc!r}") from exc
        return MindtctOutput(_minutiae(handle), None, error, handle)

    def load_iso(self, data: bytes) -> Any:
        """An ISO 19794-2:2005 record as an nbis handle (for bozorth3)."""
        try:
            return self._extractor(False).load_iso_19794_2_2005(data)
        except nbis.NbisError as exc:
            raise TemplateError(f"nbis cannot read the ISO template: {exc!r}") from exc


def bozorth3(probe: Any, reference: Any) -> int:
    """NIST bozorth3 score of two nbis handles (higher is more similar; ~40+ a match)."""
    return int(probe.compare(reference))


def _minutiae(handle: Any) -> tuple[RawMinutia, ...]:
    return tuple(
        RawMinutia(
            x=int(m.x()),
            y=int(m.y()),
            angle=math.radians(float(m.angle())) % (2 * math.pi),
            ending=m.kind() == nbis.MinutiaKind.RIDGE_ENDING,
            reliability=float(m.reliability()),
        )
        for m in handle.get()
    )

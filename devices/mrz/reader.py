"""Read the MRZ of a document image: find the band, OCR several renderings of it,
correct by position, vote, and pick a reading.

How a reading is chosen (and why this cannot manufacture a wrong read):

1. Every OCR output is turned into MRZ lines by :mod:`devices.mrz.correction`, which
   only fixes filler-run lengths and maps look-alike characters to the class a
   position allows (never consulting a check digit).
2. The reads of one format are combined position by position: each character of
   the consensus is the one most OCR variants saw at that position. If no position
   was a tie and the consensus passes every check digit, it is the answer.
3. Otherwise, among the reads that some variant produced *verbatim* and that pass
   every check digit, the one produced most often wins, provided that at least two
   runs produced it. Validity thus only breaks ties between reads that were actually
   observed, and it only helps where they differ in characters with different check
   values (3 vs 8). A valid read seen once, against a majority whose consensus fails a
   check, is ``AMBIGUOUS``, not valid: S and 8 share a check value, so one misread S->8
   in a document number keeps every check digit valid, and a single run could produce
   a valid-but-wrong MRZ. Where two valid reads differ and neither was seen more often,
   the result is ``AMBIGUOUS`` too.

No character is ever substituted in order to make a check digit pass.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import cv2
import numpy as np

from devices.mrz.correction import Candidate, candidates_from_text
from devices.mrz.image import Grey
from devices.mrz.layout import Layout
from devices.mrz.locate import Band, cut_band, find_bands
from devices.mrz.ocr import OcrEngine, default_engine
from devices.mrz.params import (
    LINE_HEIGHT_PX,
    MAX_OCR_RUNS,
    MIN_VALID_SUPPORT,
    TURNED_BAND_WEIGHT,
)
from devices.mrz.parser import CheckDigitResult, MrzReading, check_digits, parse_mrz
from models.errors import MRZError
from models.identity import MrzType

log = logging.getLogger(__name__)


class ReadStatus(StrEnum):
    VALID = "valid"  # every check digit holds
    CHECK_FAILED = "check_failed"  # an MRZ was parsed but a check digit fails
    AMBIGUOUS = "ambiguous"  # valid reads disagree and none was seen more often
    UNPARSEABLE = "unparseable"  # MRZ-like lines found, but they do not parse
    NOT_FOUND = "not_found"  # no MRZ-like text in the image


@dataclass(frozen=True, slots=True)
class ImageReading:
    """The outcome of reading an image. Not finding an MRZ is a result (the traveller
    re-places the document), not an error."""

    status: ReadStatus
    reading: MrzReading | None  # set for VALID, CHECK_FAILED and AMBIGUOUS
    raw_lines: tuple[str, ...]  # the lines chosen (or the best MRZ-like lines seen)
    engine: str
    variants: int  # OCR runs made
    support: int  # how many runs produced the chosen lines verbatim
    error_field: str | None = None  # for UNPARSEABLE: the field that did not parse

    @property
    def checks(self) -> tuple[CheckDigitResult, ...]:
        """Every check digit of the chosen lines (also when a field did not decode)."""
        if self.reading is not None:
            return self.reading.checks
        if not self.raw_lines:
            return ()
        try:
            return check_digits(self.raw_lines)[1]
        except MRZError:
            return ()

    @property
    def mrz_type(self) -> MrzType | None:
        if self.reading is not None:
            return self.reading.mrz_type
        try:
            return check_digits(self.raw_lines)[0] if self.raw_lines else None
        except MRZError:
            return None

    @property
    def check_digits_valid(self) -> bool:
        """Every check digit holds on the lines read, even if a field did not decode."""
        checks = self.checks
        return bool(checks) and all(c.valid for c in checks)

    @property
    def valid(self) -> bool:
        return self.status is ReadStatus.VALID


@dataclass(frozen=True, slots=True)
class _Read:
    candidate: Candidate
    reading: MrzReading | None
    error: MRZError | None


def read_mrz_image(
    grey: Grey, *, reference_date: date, engine: OcrEngine | None = None
) -> ImageReading:
    """Read the MRZ of a grey document image (see :func:`devices.mrz.image.decode_image`)."""
    engine = engine or default_engine()
    reads: list[_Read] = []
    runs = 0
    for band_views in _bands(grey):
        band_reads: list[_Read] = []
        for view in band_views:
            if runs >= MAX_OCR_RUNS:
                break
            runs += 1
            read = _best_read(engine.read(view), reference_date)
            if read is None:
                if not band_reads:
                    break  # the first rendering of this band shows no MRZ: next band
                continue
            band_reads.append(read)
            if _confirmed(band_reads):
                break
        reads.extend(band_reads)
        if any(r.reading is not None and r.reading.valid for r in band_reads) and (
            _choose(reads, reference_date)[0] is ReadStatus.VALID or runs >= MAX_OCR_RUNS
        ):
            break  # else a valid read still lacks support: other renderings may confirm it
    outcome = _choose(reads, reference_date)
    log.debug("mrz read", extra={"outcome": outcome[0].value})
    status, reading, lines, support, error_field = outcome
    return ImageReading(
        status=status,
        reading=reading,
        raw_lines=lines,
        engine=engine.name,
        variants=runs,
        support=support,
        error_field=error_field,
    )


def _bands(grey: Grey) -> Iterator[Iterator[Grey]]:
    """For each candidate band, upright then upside down: its renderings for OCR.

    Bands are looked for in the image and in the image turned by 90 degrees (the
    morphology joins characters horizontally, so a page photographed sideways shows
    its MRZ only once turned), best first; the whole image comes last."""
    turned = np.ascontiguousarray(cv2.rotate(grey, cv2.ROTATE_90_CLOCKWISE), dtype=np.uint8)
    found = [(band.score, band, grey) for band in find_bands(grey)]
    found += [(band.score * TURNED_BAND_WEIGHT, band, turned) for band in find_bands(turned)]
    found.sort(key=lambda item: item[0], reverse=True)
    height, width = grey.shape
    whole = Band((width / 2, height / 2), (float(width), float(height)), 0.0, 0.0)
    for _, band, image in [*found, (0.0, whole, grey)]:
        for flip in (False, True):
            yield _renderings(cut_band(image, band, flip=flip))


def _renderings(cut: Grey) -> Iterator[Grey]:
    """The band at a working size, then binarised and rescaled variants."""
    scale = float(np.clip(LINE_HEIGHT_PX * 3.0 / cut.shape[0], 0.3, 4.0))
    base = _resize(cut, scale)
    yield base
    _, otsu = cv2.threshold(cv2.GaussianBlur(base, (3, 3), 0), 0, 255, cv2.THRESH_OTSU)
    yield np.asarray(otsu, dtype=np.uint8)
    yield _resize(cut, scale * 1.4)
    clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(4, 16)).apply(base)
    yield np.asarray(clahe, dtype=np.uint8)
    block = max(15, (base.shape[0] // 4) | 1)
    adaptive = cv2.adaptiveThreshold(
        base, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block, 15
    )
    yield np.asarray(adaptive, dtype=np.uint8)
    yield _resize(cut, scale * 0.75)


def _resize(image: Grey, scale: float) -> Grey:
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    interpolation = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    return np.asarray(cv2.resize(image, size, interpolation=interpolation), dtype=np.uint8)


def _best_read(text: str, reference_date: date) -> _Read | None:
    """The first format reading of this OCR text that parses, else the best-fitting one."""
    candidates = candidates_from_text(text)
    first: _Read | None = None
    for candidate in candidates:
        read = _parse(candidate, reference_date)
        if read.reading is not None:
            return read
        first = first or read
    return first


def _parse(candidate: Candidate, reference_date: date) -> _Read:
    try:
        return _Read(candidate, parse_mrz(candidate.lines, reference_date=reference_date), None)
    except MRZError as exc:
        return _Read(candidate, None, exc)


def _confirmed(reads: list[_Read]) -> bool:
    """Two runs produced the same fully valid lines."""
    valid = Counter(r.candidate.lines for r in reads if r.reading is not None and r.reading.valid)
    return bool(valid) and valid.most_common(1)[0][1] >= 2


_Outcome = tuple[ReadStatus, MrzReading | None, tuple[str, ...], int, str | None]


def _choose(reads: list[_Read], reference_date: date) -> _Outcome:
    if not reads:
        return ReadStatus.NOT_FOUND, None, (), 0, None
    layout = Counter(r.candidate.layout.mrz_type for r in reads).most_common(1)[0][0]
    same = [r for r in reads if r.candidate.layout.mrz_type is layout]
    support = Counter(r.candidate.lines for r in same)
    consensus, tied = _consensus(same[0].candidate.layout, [r.candidate.lines for r in same])
    voted = _parse(Candidate(same[0].candidate.layout, consensus), reference_date)
    if voted.reading is not None and voted.reading.valid and not tied:
        return ReadStatus.VALID, voted.reading, consensus, support[consensus], None
    valid = [r for r in same if r.reading is not None and r.reading.valid]
    if valid:
        ranked = Counter(r.candidate.lines for r in valid).most_common()
        best_lines, best_count = ranked[0]
        best = next(r.reading for r in valid if r.candidate.lines == best_lines)
        assert best is not None  # noqa: S101 - filtered above
        rivals = [lines for lines, count in ranked[1:] if count == best_count]
        confirmed = best_count >= MIN_VALID_SUPPORT and not rivals
        status = ReadStatus.VALID if confirmed else ReadStatus.AMBIGUOUS
        return status, best, best_lines, best_count, None
    parsed = [r for r in same if r.reading is not None]
    if voted.reading is not None:
        return ReadStatus.CHECK_FAILED, voted.reading, consensus, support[consensus], None
    if parsed:
        top = Counter(r.candidate.lines for r in parsed).most_common(1)[0][0]
        reading = next(r.reading for r in parsed if r.candidate.lines == top)
        return ReadStatus.CHECK_FAILED, reading, top, support[top], None
    error = voted.error
    return (
        ReadStatus.UNPARSEABLE,
        None,
        consensus,
        support[consensus],
        error.field if error else None,
    )


def _consensus(layout: Layout, reads: list[tuple[str, ...]]) -> tuple[tuple[str, ...], bool]:
    """Per position, the character most reads agree on. Also whether any position was
    a tie (then the earliest read's character is taken, and the consensus is not
    accepted on its own)."""
    lines = []
    tied = False
    for row in range(layout.lines):
        chars = []
        for pos in range(layout.width):
            votes = Counter(read[row][pos] for read in reads).most_common()
            tied = tied or (len(votes) > 1 and votes[0][1] == votes[1][1])
            top = votes[0][1]
            counts = dict(votes)
            chars.append(next(read[row][pos] for read in reads if counts[read[row][pos]] == top))
        lines.append("".join(chars))
    return tuple(lines), tied

"""Turning raw OCR text into MRZ lines: line picking, length repair, and correction of
OCR confusions by field position.

Correction is by position only: a date or check-digit position can only hold a
digit, so a letter read there is replaced by the digit it looks like (O->0, I->1,
S->5...); a name or state position can only hold a letter, so the reverse. The
document number and optional data may hold either, so they are never changed.
Nothing here looks at check digits: we never try swaps until a check passes
(letters and digits that look alike often share a check value, S=28 and 8, G=16
and 6, so such trials would let wrong reads pass).
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.mrz.layout import ALPHABET, LAYOUTS, CharClass, Layout

# Letters that OCR gives for a digit, by look.
TO_DIGIT = {
    "O": "0",
    "Q": "0",
    "D": "0",
    "U": "0",
    "I": "1",
    "L": "1",
    "Z": "2",
    "S": "5",
    "G": "6",
    "B": "8",
}
# Digits that OCR gives for a letter, by look.
TO_LETTER = {"0": "O", "1": "I", "2": "Z", "4": "A", "5": "S", "6": "G", "8": "B"}


@dataclass(frozen=True, slots=True)
class Candidate:
    """MRZ lines in one format, after length repair and positional correction."""

    layout: Layout
    lines: tuple[str, ...]


def correct_by_position(layout: Layout, lines: tuple[str, ...]) -> tuple[str, ...]:
    """Map look-alike characters to the class each position allows."""
    classes = layout.char_classes()
    out = []
    for row, line in zip(classes, lines, strict=True):
        chars = []
        for kind, char in zip(row, line, strict=True):
            if kind is CharClass.NUMERIC:
                char = TO_DIGIT.get(char, char)
            elif kind is CharClass.ALPHA:
                char = TO_LETTER.get(char, char)
            chars.append(char)
        out.append("".join(chars))
    return tuple(out)


def clean_line(text: str) -> str:
    """Upper-case, drop spaces and anything outside the MRZ alphabet."""
    return "".join(c for c in text.upper() if c in ALPHABET)


def fit_width(line: str, width: int) -> str | None:
    """Repair a line whose filler runs were miscounted: grow or shrink its longest run
    of ``<`` (at least two) to reach ``width``. Returns None when that is not possible."""
    diff = width - len(line)
    if diff == 0:
        return line
    if abs(diff) > 3:
        return None
    start, length = _longest_filler_run(line)
    if length < 2 or length + diff < 1:
        if diff > 0 and line.endswith("<"):
            return line + "<" * diff
        return None
    return line[:start] + "<" * (length + diff) + line[start + length :]


def _longest_filler_run(line: str) -> tuple[int, int]:
    best_start, best_len, i = 0, 0, 0
    while i < len(line):
        if line[i] == "<":
            j = i
            while j < len(line) and line[j] == "<":
                j += 1
            if j - i >= best_len:  # the last longest run: fillers trail at the end
                best_start, best_len = i, j - i
            i = j
        else:
            i += 1
    return best_start, best_len


def candidates_from_text(text: str) -> list[Candidate]:
    """Every format that a window of consecutive OCR lines could be, best fit first."""
    rows = [clean_line(row) for row in text.splitlines()]
    rows = [row for row in rows if len(row) >= 20]
    found: list[tuple[int, int, Candidate]] = []
    for layout in LAYOUTS.values():
        for first in range(len(rows) - layout.lines + 1):
            window = rows[first : first + layout.lines]
            fitted = [fit_width(row, layout.width) for row in window]
            if any(row is None for row in fitted):
                continue
            lines = tuple(row for row in fitted if row is not None)
            if not _header_ok(layout, lines):
                continue
            misfit = sum(abs(len(row) - layout.width) for row in window)
            corrected = correct_by_position(layout, lines)
            found.append((misfit, -first, Candidate(layout, corrected)))
    found.sort(key=lambda item: (item[0], item[1]))
    return [item[2] for item in found]


def _header_ok(layout: Layout, lines: tuple[str, ...]) -> bool:
    """The document code's first character is a letter, and visas only in visa formats."""
    first = lines[0][0]
    if not first.isalpha() and first not in TO_LETTER:
        return False
    visa = TO_LETTER.get(first, first) == "V"
    return visa == layout.mrz_type.value.startswith("MRV")

"""Where each field of each MRZ format sits (ICAO Doc 9303 Parts 4-7).

One table per format: every field with its line, columns and character class,
and every check digit with the ranges it covers. The parser reads fields from
here, and the OCR correction uses the character class of each position (a date
position can only hold a digit, a name position only a letter or filler).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from models.errors import MRZError
from models.identity import MrzType

ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")
LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ<")
DIGITS = frozenset("0123456789")


class CharClass(StrEnum):
    """What a position may hold."""

    ALPHA = "alpha"  # A-Z and filler: document code, states, names
    NUMERIC = "numeric"  # 0-9: dates and check digits (a check digit may be '<', see CheckSpec)
    ALNUM = "alnum"  # document number, optional data: anything in the MRZ alphabet
    SEX = "sex"  # M, F, X or '<'


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    line: int
    start: int
    end: int  # exclusive
    kind: CharClass


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """A check digit at (line, pos) over the concatenation of ``ranges``.

    ``filler_when_empty``: ICAO lets an unused optional field (all fillers) carry
    a filler instead of its check digit (Part 4 §4.2.2.2, personal number).
    """

    name: str
    line: int
    pos: int
    ranges: tuple[tuple[int, int, int], ...]  # (line, start, end)
    filler_when_empty: bool = False


@dataclass(frozen=True, slots=True)
class Layout:
    mrz_type: MrzType
    lines: int
    width: int
    fields: tuple[FieldSpec, ...]
    checks: tuple[CheckSpec, ...]

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def char_classes(self) -> tuple[tuple[CharClass, ...], ...]:
        """The class of every position, line by line (check digits are NUMERIC)."""
        table = [[CharClass.ALNUM] * self.width for _ in range(self.lines)]
        for spec in self.fields:
            for pos in range(spec.start, spec.end):
                table[spec.line][pos] = spec.kind
        for check in self.checks:
            table[check.line][check.pos] = CharClass.NUMERIC
        return tuple(tuple(row) for row in table)


A, N, X, S = CharClass.ALPHA, CharClass.NUMERIC, CharClass.ALNUM, CharClass.SEX

# Line 2 of TD3 and MRV-A, and of TD2 and MRV-B, share the first 28 columns.
_LINE2_COMMON = (
    FieldSpec("document_number", 1, 0, 9, X),
    FieldSpec("nationality", 1, 10, 13, A),
    FieldSpec("birth_date", 1, 13, 19, N),
    FieldSpec("sex", 1, 20, 21, S),
    FieldSpec("expiry_date", 1, 21, 27, N),
)
_LINE2_CHECKS = (
    CheckSpec("document_number", 1, 9, ((1, 0, 9),)),
    CheckSpec("birth_date", 1, 19, ((1, 13, 19),)),
    CheckSpec("expiry_date", 1, 27, ((1, 21, 27),)),
)


def _two_line_header(width: int) -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("document_code", 0, 0, 2, A),
        FieldSpec("issuing_state", 0, 2, 5, A),
        FieldSpec("names", 0, 5, width, A),
    )


TD3 = Layout(
    MrzType.TD3,
    2,
    44,
    (*_two_line_header(44), *_LINE2_COMMON, FieldSpec("personal_number", 1, 28, 42, X)),
    (
        *_LINE2_CHECKS,
        CheckSpec("personal_number", 1, 42, ((1, 28, 42),), filler_when_empty=True),
        CheckSpec("composite", 1, 43, ((1, 0, 10), (1, 13, 20), (1, 21, 43))),
    ),
)

TD2 = Layout(
    MrzType.TD2,
    2,
    36,
    (*_two_line_header(36), *_LINE2_COMMON, FieldSpec("optional_data", 1, 28, 35, X)),
    (*_LINE2_CHECKS, CheckSpec("composite", 1, 35, ((1, 0, 10), (1, 13, 20), (1, 21, 35)))),
)

MRVA = Layout(
    MrzType.MRVA,
    2,
    44,
    (*_two_line_header(44), *_LINE2_COMMON, FieldSpec("optional_data", 1, 28, 44, X)),
    _LINE2_CHECKS,
)

MRVB = Layout(
    MrzType.MRVB,
    2,
    36,
    (*_two_line_header(36), *_LINE2_COMMON, FieldSpec("optional_data", 1, 28, 36, X)),
    _LINE2_CHECKS,
)

TD1 = Layout(
    MrzType.TD1,
    3,
    30,
    (
        FieldSpec("document_code", 0, 0, 2, A),
        FieldSpec("issuing_state", 0, 2, 5, A),
        FieldSpec("document_number", 0, 5, 14, X),
        FieldSpec("optional_data_1", 0, 15, 30, X),
        FieldSpec("birth_date", 1, 0, 6, N),
        FieldSpec("sex", 1, 7, 8, S),
        FieldSpec("expiry_date", 1, 8, 14, N),
        FieldSpec("nationality", 1, 15, 18, A),
        FieldSpec("optional_data_2", 1, 18, 29, X),
        FieldSpec("names", 2, 0, 30, A),
    ),
    (
        CheckSpec("document_number", 0, 14, ((0, 5, 14),)),
        CheckSpec("birth_date", 1, 6, ((1, 0, 6),)),
        CheckSpec("expiry_date", 1, 14, ((1, 8, 14),)),
        CheckSpec("composite", 1, 29, ((0, 5, 30), (1, 0, 7), (1, 8, 15), (1, 18, 29))),
    ),
)

LAYOUTS: dict[MrzType, Layout] = {layout.mrz_type: layout for layout in (TD1, TD2, TD3, MRVA, MRVB)}


def detect_type(lines: tuple[str, ...]) -> MrzType:
    """The MRZ format from the line count, line length and document code.

    Visas (document code starting with ``V``) use MRV-A (2 x 44) or MRV-B (2 x 36);
    other 2-line documents are TD3 (44) or TD2 (36); 3 x 30 is TD1.
    """
    widths = {len(line) for line in lines}
    if len(widths) != 1:
        raise MRZError(
            f"MRZ lines differ in length ({', '.join(str(len(x)) for x in lines)})",
            field="format",
        )
    width = widths.pop()
    visa = lines[0].startswith("V")
    match (len(lines), width):
        case (3, 30):
            return MrzType.TD1
        case (2, 36):
            return MrzType.MRVB if visa else MrzType.TD2
        case (2, 44):
            return MrzType.MRVA if visa else MrzType.TD3
    raise MRZError(
        f"{len(lines)} line(s) of {width} characters is no MRZ format "
        "(TD1 3x30, TD2/MRV-B 2x36, TD3/MRV-A 2x44)",
        field="format",
    )

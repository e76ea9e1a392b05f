"""Parse an MRZ (TD1, TD2, TD3, MRV-A, MRV-B) into a :class:`TravelDocument`.

Structural faults (wrong line count or length, characters outside the MRZ
alphabet, impossible dates, a bad sex code) raise :class:`MRZError` naming the
field. Check digits do not raise: every one is reported in
:attr:`MrzReading.checks`, and :attr:`MrzReading.valid` is true only when all of
them (composite included) hold. :meth:`MrzReading.require_valid` raises for the
first failing one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from devices.mrz.checkdigit import check_digit
from devices.mrz.fields import (
    decode_birth_date,
    decode_code,
    decode_expiry_date,
    decode_names,
    decode_sex,
)
from devices.mrz.layout import ALPHABET, LAYOUTS, CharClass, Layout, detect_type
from models.errors import MRZError
from models.identity import MrzType, TravelDocument


@dataclass(frozen=True, slots=True)
class CheckDigitResult:
    field: str  # "document_number", "birth_date", "expiry_date", "personal_number", "composite"
    read: str  # the character printed in the MRZ
    expected: str  # the check digit computed over the field
    valid: bool


@dataclass(frozen=True, slots=True)
class MrzReading:
    """A parsed MRZ: the document, the raw fields, and every check digit."""

    mrz_type: MrzType
    lines: tuple[str, ...]
    document: TravelDocument
    raw_fields: dict[str, str]  # each field as printed (fillers kept)
    checks: tuple[CheckDigitResult, ...]
    names_truncated: bool

    @property
    def valid(self) -> bool:
        return all(check.valid for check in self.checks)

    def failed_checks(self) -> tuple[str, ...]:
        return tuple(check.field for check in self.checks if not check.valid)

    def require_valid(self) -> MrzReading:
        """Return self when every check digit holds; else raise naming the first failure."""
        for check in self.checks:
            if not check.valid:
                raise MRZError(
                    f"check digit of {check.field} is {check.read!r}, expected {check.expected}",
                    field=check.field,
                )
        return self

    def fields(self) -> dict[str, str]:
        """The decoded fields as JSON-friendly strings (dates in ISO form)."""
        doc = self.document
        out = {
            "document_code": doc.document_code,
            "issuing_state": doc.issuing_state,
            "document_number": doc.document_number,
            "surname": doc.surname,
            "given_names": doc.given_names,
            "nationality": doc.nationality,
            "birth_date": doc.birth_date.isoformat(),
            "sex": doc.sex.value,
            "expiry_date": doc.expiry_date.isoformat(),
        }
        for name in ("personal_number", "optional_data", "optional_data_1", "optional_data_2"):
            if name in self.raw_fields:
                out[name] = self.raw_fields[name].rstrip("<")
        return out


def split_lines(text: str | Sequence[str]) -> tuple[str, ...]:
    """MRZ lines from text (one line per row; blank rows and surrounding spaces dropped)."""
    rows = text.splitlines() if isinstance(text, str) else list(text)
    return tuple(row.strip().upper() for row in rows if row.strip())


def parse_mrz(text: str | Sequence[str], *, reference_date: date) -> MrzReading:
    """Parse MRZ lines. ``reference_date`` (normally today) sets the dates' century:
    birth dates are not after it, expiry dates at most the validity window after it."""
    lines = split_lines(text)
    if not lines:
        raise MRZError("no MRZ lines given", field="format")
    for number, line in enumerate(lines, start=1):
        bad = sorted(set(line) - ALPHABET)
        if bad:
            raise MRZError(
                f"line {number} holds characters outside the MRZ alphabet: {''.join(bad)!r}",
                field=f"line{number}",
            )
    layout = LAYOUTS[detect_type(lines)]
    raw = {spec.name: lines[spec.line][spec.start : spec.end] for spec in layout.fields}
    for name, value in raw.items():
        if any(c in value for c in "0123456789") and layout.field(name).kind is CharClass.ALPHA:
            raise MRZError(f"{name} holds digits: {value!r}", field=name)
    checks = _checks(layout, lines)
    names = decode_names(raw["names"])
    document = TravelDocument(
        mrz_type=layout.mrz_type,
        document_code=decode_code(raw["document_code"], "document_code"),
        issuing_state=decode_code(raw["issuing_state"], "issuing_state"),
        document_number=_document_number(layout, lines, raw),
        surname=names.surname,
        given_names=names.given_names,
        nationality=decode_code(raw["nationality"], "nationality"),
        birth_date=decode_birth_date(raw["birth_date"], reference_date),
        sex=decode_sex(raw["sex"]),
        expiry_date=decode_expiry_date(raw["expiry_date"], reference_date),
        optional_data=" ".join(
            raw[name].rstrip("<")
            for name in ("personal_number", "optional_data", "optional_data_1", "optional_data_2")
            if raw.get(name, "").rstrip("<")
        ),
    )
    return MrzReading(
        mrz_type=layout.mrz_type,
        lines=lines,
        document=document,
        raw_fields=raw,
        checks=checks,
        names_truncated=names.truncated,
    )


def check_digits(text: str | Sequence[str]) -> tuple[MrzType, tuple[CheckDigitResult, ...]]:
    """Only the check digits of MRZ lines, without decoding the fields: for lines whose
    fields do not decode (a printed nationality of digits, an impossible date)."""
    lines = split_lines(text)
    if not lines:
        raise MRZError("no MRZ lines given", field="format")
    if any(set(line) - ALPHABET for line in lines):
        raise MRZError("characters outside the MRZ alphabet", field="format")
    layout = LAYOUTS[detect_type(lines)]
    return layout.mrz_type, _checks(layout, lines)


def _extended_number(layout: Layout, lines: tuple[str, ...]) -> tuple[str, str] | None:
    """TD1/TD2 document numbers longer than 9 characters (Part 5 §4.2.4, Part 6 §4.2.4):
    the number's check-digit position holds '<', and the number continues in the
    optional data, followed by its check digit. Returns (full number, check digit)."""
    if layout.mrz_type is MrzType.TD1:
        head, marker, tail = lines[0][5:14], lines[0][14], lines[0][15:30]
    elif layout.mrz_type is MrzType.TD2:
        head, marker, tail = lines[1][0:9], lines[1][9], lines[1][28:35]
    else:
        return None
    if marker != "<" or tail.startswith("<"):
        return None
    rest = tail.split("<", 1)[0]
    if len(rest) < 2:
        raise MRZError(
            "long document number: its continuation has no check digit", field="document_number"
        )
    return head + rest[:-1], rest[-1]


def _document_number(layout: Layout, lines: tuple[str, ...], raw: dict[str, str]) -> str:
    extended = _extended_number(layout, lines)
    number = extended[0] if extended else raw["document_number"].rstrip("<")
    if not number:
        raise MRZError("the document number is empty", field="document_number")
    return number


def _checks(layout: Layout, lines: tuple[str, ...]) -> tuple[CheckDigitResult, ...]:
    results = []
    extended = _extended_number(layout, lines)
    for spec in layout.checks:
        if spec.name == "document_number" and extended is not None:
            number, digit = extended
            results.append(_result(spec.name, number, digit, allow_filler=False))
            continue
        covered = "".join(lines[line][start:end] for line, start, end in spec.ranges)
        digit = lines[spec.line][spec.pos]
        allow = spec.filler_when_empty and set(covered) == {"<"}
        results.append(_result(spec.name, covered, digit, allow_filler=allow))
    return tuple(results)


def _result(name: str, covered: str, digit: str, *, allow_filler: bool) -> CheckDigitResult:
    expected = check_digit(covered)
    valid = digit == expected or (allow_filler and digit == "<")
    return CheckDigitResult(field=name, read=digit, expected=expected, valid=valid)


__all__ = ["CheckDigitResult", "MrzReading", "check_digits", "parse_mrz", "split_lines"]

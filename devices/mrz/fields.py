"""Decoding single MRZ fields: names, dates with their century, sex, codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from devices.mrz.params import EXPIRY_WINDOW_YEARS
from models.errors import MRZError
from models.identity import Sex


@dataclass(frozen=True, slots=True)
class Names:
    surname: str  # primary identifier
    given_names: str  # secondary identifier
    truncated: bool  # the field was full: the issuer may have cut the name


def decode_names(field: str) -> Names:
    """Primary and secondary identifiers: split at the first ``<<``; ``<`` is a space.

    A name field with no filler at its end was probably truncated by the issuer
    (ICAO 9303 Part 3 §4.6); the flag lets the UI say so.
    """
    if field.startswith("<"):
        raise MRZError("the name field starts with a filler", field="names")
    truncated = not field.endswith("<")
    primary, _, secondary = field.rstrip("<").partition("<<")
    return Names(
        surname=_words(primary),
        given_names=_words(secondary),
        truncated=truncated,
    )


def _words(part: str) -> str:
    return " ".join(word for word in part.split("<") if word)


def decode_code(raw: str, field: str) -> str:
    """A document code or state code without its trailing fillers (``D<<`` -> ``D``)."""
    code = raw.rstrip("<")
    if not code or "<" in code or not code.isalpha():
        raise MRZError(f"{field} {raw!r} is not a code of letters", field=field)
    return code


def decode_sex(raw: str) -> Sex:
    if raw == "M":
        return Sex.MALE
    if raw == "F":
        return Sex.FEMALE
    if raw in ("<", "X"):
        return Sex.UNSPECIFIED
    raise MRZError(f"sex must be M, F, X or '<', not {raw!r}", field="sex")


def _ymd(raw: str, field: str) -> tuple[int, int, int]:
    if len(raw) != 6 or not raw.isdigit():
        raise MRZError(f"{field} {raw!r} is not a date YYMMDD", field=field)
    return int(raw[:2]), int(raw[2:4]), int(raw[4:])


def _date(year: int, month: int, day: int, raw: str, field: str) -> date:
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise MRZError(f"{field} {raw!r} is not a calendar date", field=field) from exc


def decode_birth_date(raw: str, reference: date) -> date:
    """A birth date is never after ``reference``: the latest century that keeps it so."""
    yy, month, day = _ymd(raw, "birth_date")
    century = reference.year // 100 * 100
    for year in (century + yy, century - 100 + yy):
        if _valid(year, month, day) and date(year, month, day) <= reference:
            return date(year, month, day)
    # 29 February of a year that is not a leap year in either century, or a bad date.
    return _date(century - 100 + yy, month, day, raw, "birth_date")


def decode_expiry_date(raw: str, reference: date) -> date:
    """An expiry date is at most ``EXPIRY_WINDOW_YEARS`` after ``reference``: the latest
    century that keeps it within that window (older ones are expired documents)."""
    yy, month, day = _ymd(raw, "expiry_date")
    limit = _add_years(reference, EXPIRY_WINDOW_YEARS)
    century = reference.year // 100 * 100
    for year in (century + 100 + yy, century + yy, century - 100 + yy):
        if _valid(year, month, day) and date(year, month, day) <= limit:
            return date(year, month, day)
    return _date(century - 100 + yy, month, day, raw, "expiry_date")


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)

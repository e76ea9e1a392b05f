"""ICAO 9303 Part 3 §4.9 check digits: weights 7, 3, 1; digits as values,
A-Z as 10-35, the filler ``<`` as 0."""

from __future__ import annotations

from models.errors import MRZError

_WEIGHTS = (7, 3, 1)


def char_value(char: str) -> int:
    if "0" <= char <= "9":
        return ord(char) - ord("0")
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    if char == "<":
        return 0
    raise MRZError(f"character {char!r} is not allowed in an MRZ")


def check_digit(field: str) -> str:
    """The check digit of ``field`` as a one-character string."""
    total = sum(char_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(field))
    return str(total % 10)


def is_valid(field: str, digit: str) -> bool:
    """True when ``digit`` is the check digit of ``field``. A filler ``<`` counts as 0
    only where ICAO allows it (an empty optional field); callers decide that."""
    return len(digit) == 1 and digit.isdigit() and check_digit(field) == digit

from __future__ import annotations

import pytest

from devices.mrz.checkdigit import check_digit, is_valid
from models.errors import MRZError


@pytest.mark.parametrize(
    ("field", "digit"),
    [
        ("L898902C3", "6"),  # ICAO 9303 Part 4 specimen document number
        ("740812", "2"),  # its birth date
        ("120415", "9"),  # its expiry date
        ("ZE184226B<<<<<<", "1"),  # personal number of the specimen
        ("D23145890", "7"),  # TD1 specimen document number (Part 5)
    ],
)
def test_icao_specimen_check_digits(field: str, digit: str) -> None:
    assert check_digit(field) == digit
    assert is_valid(field, digit)
    assert not is_valid(field, str((int(digit) + 1) % 10))


def test_confusable_characters_share_check_values() -> None:
    # Why OCR correction must go by field position, not by trial swaps until check digits pass.
    for letter, digit in (("S", "8"), ("G", "6"), ("D", "3"), ("B", "1"), ("Z", "5"), ("A", "0")):
        assert check_digit(f"X{letter}1") == check_digit(f"X{digit}1")


def test_bad_characters_are_typed_errors() -> None:
    with pytest.raises(MRZError):
        check_digit("l898902c3")
    assert not is_valid("L898902C3", "<")

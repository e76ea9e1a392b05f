"""Travellers and their travel documents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Sex(StrEnum):
    """Sex as printed in the MRZ (ICAO 9303: M, F, or ``<`` for unspecified)."""

    MALE = "M"
    FEMALE = "F"
    UNSPECIFIED = "X"


class MrzType(StrEnum):
    TD1 = "TD1"  # ID card, 3 lines x 30
    TD2 = "TD2"  # 2 lines x 36
    TD3 = "TD3"  # passport, 2 lines x 44
    MRVA = "MRVA"  # visa A, 2 x 44
    MRVB = "MRVB"  # visa B, 2 x 36


class TravellerCategory(StrEnum):
    CITIZEN = "citizen"
    FOREIGNER = "foreigner"


@dataclass(frozen=True, slots=True)
class TravelDocument:
    """The data of a travel document's MRZ (or its chip's DG1)."""

    mrz_type: MrzType
    document_code: str  # e.g. "P", "PN", "I", "V"
    issuing_state: str  # ICAO 3-letter code, e.g. "IDN"
    document_number: str
    surname: str
    given_names: str
    nationality: str
    birth_date: date
    sex: Sex
    expiry_date: date
    optional_data: str = ""

    def is_expired(self, on: date) -> bool:
        """A document is valid through its expiry date inclusive."""
        return on > self.expiry_date


@dataclass(frozen=True, slots=True)
class Traveller:
    """A person known to this kiosk (enrolled, or seen in a transaction)."""

    traveller_id: str
    surname: str
    given_names: str
    nationality: str
    birth_date: date
    sex: Sex
    category: TravellerCategory

    def age_on(self, on: date) -> int:
        years = on.year - self.birth_date.year
        if (on.month, on.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

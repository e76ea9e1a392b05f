"""Passwords of BAC and PACE: the MRZ information or the Card Access Number (CAN).

ICAO 9303-11 §4.3.2 (BAC) and §4.4.4.1 (PACE): the MRZ information is the document
number, the date of birth and the date of expiry, each followed by its check digit.
BAC uses the first 16 bytes of SHA-1 of it as key seed; PACE uses the full SHA-1 for
an MRZ password and the CAN itself (ISO 8859-1) for a CAN password.

Only the three fields the protocols need are taken out of MRZ lines here, at the
positions :mod:`devices.mrz.layout` gives (the full MRZ parser lives in
:mod:`devices.mrz`). Keys never appear in ``repr`` or logs.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from devices.mrz.checkdigit import check_digit
from devices.mrz.layout import LAYOUTS, Layout, detect_type
from models.errors import MRZError
from models.identity import MrzType

_DOC = re.compile(r"^[A-Z0-9<]{1,22}$")
_DATE = re.compile(r"^[0-9]{6}$")
_CAN = re.compile(r"^[0-9]{6}$")

PACE_REF_MRZ = 0x01
PACE_REF_CAN = 0x02

# The optional field a long document number continues into (ICAO 9303-5/-6 §4.2.4).
_LONG_NUMBER_FIELD = {
    MrzType.TD1: "optional_data_1",
    MrzType.TD2: "optional_data",
    MrzType.MRVB: "optional_data",
}


def _field(rows: Sequence[str], layout: Layout, name: str) -> str:
    spec = layout.field(name)
    return rows[spec.line][spec.start : spec.end]


def _check(rows: Sequence[str], layout: Layout, name: str) -> str:
    spec = next(c for c in layout.checks if c.name == name)
    return rows[spec.line][spec.pos]


@dataclass(frozen=True, slots=True, repr=False)
class MRZKey:
    document_number: str
    birth_date: str  # YYMMDD
    expiry_date: str  # YYMMDD

    def __post_init__(self) -> None:
        if not _DOC.match(self.document_number.rstrip("<") or "<"):
            raise MRZError(
                "document number has characters outside A-Z, 0-9, <", field="document_number"
            )
        if not self.document_number.rstrip("<"):
            raise MRZError("document number is empty", field="document_number")
        if not _DATE.match(self.birth_date):
            raise MRZError("date of birth must be YYMMDD", field="birth_date")
        if not _DATE.match(self.expiry_date):
            raise MRZError("date of expiry must be YYMMDD", field="expiry_date")

    def __repr__(self) -> str:
        return "MRZKey(<hidden>)"

    kind = "MRZ"
    pace_reference = PACE_REF_MRZ

    @property
    def mrz_information(self) -> str:
        number = self.document_number.rstrip("<")
        number = number + "<" * (9 - len(number)) if len(number) < 9 else number
        return (
            number
            + check_digit(number)
            + self.birth_date
            + check_digit(self.birth_date)
            + self.expiry_date
            + check_digit(self.expiry_date)
        )

    def bac_seed(self) -> bytes:
        return hashlib.sha1(self.mrz_information.encode("ascii")).digest()[:16]  # noqa: S324 - ICAO 9303

    def pace_secret(self) -> bytes:
        return hashlib.sha1(self.mrz_information.encode("ascii")).digest()  # noqa: S324 - ICAO 9303

    @classmethod
    def from_mrz(cls, lines: Sequence[str]) -> MRZKey:
        """Take the three fields out of TD1 (3x30), TD2/MRV-B (2x36) or TD3/MRV-A (2x44) lines.

        Check digits must match: a mismatch means a misread MRZ, which would fail
        access control anyway; the error names the field.
        """
        rows = tuple(line.strip().upper().replace(" ", "") for line in lines if line.strip())
        try:
            layout = LAYOUTS[detect_type(rows)]
        except MRZError as exc:
            shape = tuple(len(r) for r in rows)
            raise MRZError(
                f"MRZ of {len(rows)} lines of lengths {shape} is not TD1, TD2 or TD3", field="mrz"
            ) from exc
        number = _field(rows, layout, "document_number")
        digit = _check(rows, layout, "document_number")
        long_field = _LONG_NUMBER_FIELD.get(layout.mrz_type)
        rest = _field(rows, layout, long_field) if long_field else ""
        dob, dob_cd = _field(rows, layout, "birth_date"), _check(rows, layout, "birth_date")
        doe, doe_cd = _field(rows, layout, "expiry_date"), _check(rows, layout, "expiry_date")
        if digit == "<" and rest:  # long document number continued in the optional data
            tail = rest.split("<", 1)[0]
            if len(tail) < 2:
                raise MRZError("long document number has no check digit", field="document_number")
            number, digit = number + tail[:-1], tail[-1]
        for field, value, cd in (
            ("document_number", number, digit),
            ("birth_date", dob, dob_cd),
            ("expiry_date", doe, doe_cd),
        ):
            if check_digit(value) != cd:
                raise MRZError(f"check digit of {field} does not match", field=field)
        return cls(number, dob, doe)


@dataclass(frozen=True, slots=True, repr=False)
class CANKey:
    can: str

    def __post_init__(self) -> None:
        if not _CAN.match(self.can):
            raise MRZError("a CAN is 6 digits", field="can")

    def __repr__(self) -> str:
        return "CANKey(<hidden>)"

    kind = "CAN"
    pace_reference = PACE_REF_CAN

    def pace_secret(self) -> bytes:
        return self.can.encode("latin-1")


AccessKey = MRZKey | CANKey

"""Write MRZ lines from field values (the inverse of the parser): for test documents,
the virtual chip's DG1, and typed-in data."""

from __future__ import annotations

from collections.abc import Mapping

from devices.mrz.checkdigit import check_digit
from devices.mrz.layout import ALPHABET, LAYOUTS
from models.errors import MRZError
from models.identity import MrzType


def encode_names(surname: str, given_names: str) -> str:
    """``ERIKSSON``, ``ANNA MARIA`` -> ``ERIKSSON<<ANNA<MARIA``."""
    primary = "<".join(surname.upper().split())
    secondary = "<".join(given_names.upper().split())
    return f"{primary}<<{secondary}" if secondary else primary


def compose_mrz(mrz_type: MrzType, fields: Mapping[str, str]) -> tuple[str, ...]:
    """MRZ lines with ``fields`` (by the layout's field names; ``names`` already encoded)
    padded with fillers, and every check digit computed. Missing fields are fillers.
    Names longer than their field are truncated; other over-long fields raise."""
    layout = LAYOUTS[mrz_type]
    rows = [["<"] * layout.width for _ in range(layout.lines)]
    for spec in layout.fields:
        value = fields.get(spec.name, "")
        if set(value) - ALPHABET:
            raise MRZError(f"{spec.name} {value!r} has characters outside the MRZ alphabet")
        width = spec.end - spec.start
        if len(value) > width:
            if spec.name != "names":
                raise MRZError(f"{spec.name} is longer than {width}", field=spec.name)
            value = value[:width]
        rows[spec.line][spec.start : spec.start + len(value)] = list(value)
    for check in layout.checks:  # in layout order: the composite comes last
        covered = "".join("".join(rows[line][start:end]) for line, start, end in check.ranges)
        empty = check.filler_when_empty and set(covered) == {"<"}
        rows[check.line][check.pos] = "<" if empty else check_digit(covered)
    return tuple("".join(row) for row in rows)

"""PassportEye, the usual open-source MRZ reader, as the benchmark's baseline.

Optional: installed with the ``bench`` extra. It runs tesseract's ``eng`` model (the
system one), so it downloads nothing. Its two counts are kept apart: its own
``valid`` flag (check digits plus line lengths and other checks), and check digits
only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from devices.mrz.bench import Read


def passporteye_version() -> str | None:
    """The installed PassportEye version, or None when it is not installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("PassportEye")
    except PackageNotFoundError:
        return None


def read_with_passporteye(path: Path) -> Read:
    from passporteye import read_mrz

    mrz: Any = read_mrz(str(path))
    if mrz is None:
        return Read(False, False, extra={"status": "not_found"})
    checks = list(mrz.valid_check_digits)
    return Read(
        valid=bool(mrz.valid),
        check_digits_valid=bool(checks) and all(checks),
        document_number=str(mrz.number).rstrip("<"),
        birth_date=str(mrz.date_of_birth),
        expiry_date=str(mrz.expiration_date),
        extra={"status": "valid" if mrz.valid else f"score {mrz.valid_score}"},
    )

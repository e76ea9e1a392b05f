"""Benchmark MRZ reading over a folder of document images.

Counts, per reader: images read with every check digit valid (composite
included), and how many of those reads agree with the known values
(``expected.json``: hand-checked fields of the ICAO specimens;
``expected_bac_consensus.json``: document number, birth and expiry date agreed by
several readers), so that a read that is valid but wrong shows up.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from devices.mrz.image import read_image_file
from devices.mrz.layout import LAYOUTS
from devices.mrz.ocr import OcrEngine
from devices.mrz.reader import read_mrz_image
from models.errors import DocumentError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


@dataclass(frozen=True, slots=True)
class Read:
    """One reader's outcome on one image, reduced to what the benchmark compares."""

    valid: bool  # every check digit valid (and, for ours, every field decodes)
    check_digits_valid: bool  # every check digit valid on the lines read
    document_number: str = ""
    birth_date: str = ""  # YYMMDD as printed
    expiry_date: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Expected:
    document_number: str
    birth_date: str
    expiry_date: str


def load_expected(folder: Path) -> dict[str, Expected]:
    """Known BAC fields per image name; hand-checked values win over the consensus."""
    out: dict[str, Expected] = {}
    consensus = folder / "expected_bac_consensus.json"
    if consensus.is_file():
        for name, row in json.loads(consensus.read_text())["images"].items():
            out[name] = Expected(
                row["document_number"], row["date_of_birth"], row["date_of_expiry"]
            )
    checked = folder / "expected.json"
    if checked.is_file():
        for name, row in json.loads(checked.read_text()).items():
            if not name.startswith("_"):
                out[name] = Expected(row["number"], row["date_of_birth"], row["date_of_expiry"])
    return out


def image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def read_with_gerbang(path: Path, reference_date: date, engine: OcrEngine | None = None) -> Read:
    try:
        result = read_mrz_image(read_image_file(path), reference_date=reference_date, engine=engine)
    except DocumentError as exc:
        return Read(False, False, extra={"status": exc.code})
    extra = {"status": result.status.value, "ocr_runs": result.variants}
    if result.reading is None:
        kind = result.mrz_type
        if kind is None:
            return Read(False, result.check_digits_valid, extra=extra)
        layout = LAYOUTS[kind]  # fields by position, for lines whose fields do not decode

        def printed(name: str) -> str:
            spec = layout.field(name)
            return result.raw_lines[spec.line][spec.start : spec.end]

        return Read(
            False,
            result.check_digits_valid,
            document_number=printed("document_number").rstrip("<"),
            birth_date=printed("birth_date"),
            expiry_date=printed("expiry_date"),
            extra=extra,
        )
    raw = result.reading.raw_fields
    return Read(
        valid=result.valid,
        check_digits_valid=result.check_digits_valid,
        document_number=result.reading.document.document_number,
        birth_date=raw["birth_date"],
        expiry_date=raw["expiry_date"],
        extra=extra,
    )


def score(
    reader: Callable[[Path], Read], images: list[Path], expected: dict[str, Expected]
) -> dict[str, Any]:
    """Run ``reader`` over ``images`` and count."""
    per_image: dict[str, dict[str, Any]] = {}
    started = time.perf_counter()
    for path in images:
        read = reader(path)
        known = expected.get(path.name)
        match = None
        if known is not None and (read.valid or read.check_digits_valid):
            match = (read.document_number, read.birth_date, read.expiry_date) == (
                known.document_number,
                known.birth_date,
                known.expiry_date,
            )
        per_image[path.name] = {
            "valid": read.valid,
            "check_digits_valid": read.check_digits_valid,
            "matches_expected": match,
            **read.extra,
        }
    elapsed = time.perf_counter() - started
    rows = per_image.values()
    return {
        "valid": sum(1 for r in rows if r["valid"]),
        "check_digits_valid": sum(1 for r in rows if r["check_digits_valid"]),
        "expected_known": sum(1 for p in images if p.name in expected),
        "valid_and_matching": sum(1 for r in rows if r["valid"] and r["matches_expected"]),
        "valid_but_wrong": sum(1 for r in rows if r["valid"] and r["matches_expected"] is False),
        "check_digits_valid_but_wrong": sum(
            1 for r in rows if r["check_digits_valid"] and r["matches_expected"] is False
        ),
        "s_per_image": round(elapsed / max(len(images), 1), 3),
        "per_image": per_image,
    }

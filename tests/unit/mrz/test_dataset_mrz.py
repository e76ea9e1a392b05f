"""A few of the shared specimen images (the full set runs in `gerbang bench mrz`)."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from devices.mrz.image import read_image_file
from devices.mrz.reader import read_mrz_image

pytestmark = [
    pytest.mark.dataset,
    pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract missing"),
]


@pytest.mark.parametrize("name", ["passport-td3.png", "passport-td2.jpg"])
def test_icao_specimens_match_expected(gerbang_data: Path, name: str) -> None:
    folder = gerbang_data / "mrz_documents"
    expected = json.loads((folder / "expected.json").read_text())[name]
    result = read_mrz_image(
        read_image_file(folder / "images" / name), reference_date=date(2025, 1, 1)
    )
    assert result.valid and result.reading is not None
    doc, raw = result.reading.document, result.reading.raw_fields
    assert result.reading.mrz_type.value == expected["mrz_type"]
    assert doc.document_number == expected["number"]
    assert (raw["birth_date"], raw["expiry_date"]) == (
        expected["date_of_birth"],
        expected["date_of_expiry"],
    )
    assert (doc.surname, doc.given_names) == (expected["surname"], expected["given_names"])
    assert doc.sex.value == expected["sex"]


def test_a_real_specimen_with_id_card_format(gerbang_data: Path) -> None:
    folder = gerbang_data / "mrz_documents"
    consensus = json.loads((folder / "expected_bac_consensus.json").read_text())["images"]
    result = read_mrz_image(
        read_image_file(folder / "images" / "id-che.jpg"), reference_date=date(2025, 1, 1)
    )
    assert result.valid and result.reading is not None
    assert result.reading.document.document_number == consensus["id-che.jpg"]["document_number"]

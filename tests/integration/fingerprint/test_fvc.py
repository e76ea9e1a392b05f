"""Our pipeline on a few real FVC2002 prints: score bands, ISO cross-check, quality."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from biometrics.fingerprint import api, iso, match
from biometrics.fingerprint.errors import NotAnImageError
from biometrics.fingerprint.image import from_array, load_print
from biometrics.fingerprint.params import VERIFICATION
from biometrics.fingerprint.quality import FALLBACK, NFIQ2

pytestmark = pytest.mark.dataset


def image(fvc2002: Path, db: str, name: str) -> Path:
    return fvc2002 / db / "images" / f"{name}.tif"


@pytest.mark.parametrize("db", ["DB1_B", "DB4_B"])
def test_genuine_pairs_above_accept_impostors_below_reject(fvc2002: Path, db: str) -> None:
    names = ["101_1", "101_2", "101_3", "102_1", "103_1", "104_1"]
    templates = {
        n: api.extract_fingerprint(image(fvc2002, db, n), nfiq2=False).template for n in names
    }
    genuine = [api.compare(templates["101_1"], templates[n]) for n in ("101_2", "101_3")]
    impostor = [api.compare(templates["101_1"], templates[n]) for n in ("102_1", "103_1", "104_1")]
    assert min(genuine) >= VERIFICATION.accept, genuine
    assert max(impostor) < VERIFICATION.reject, impostor


def test_extraction_gives_minutiae_and_nfiq2(fvc2002: Path) -> None:
    result = api.extract_fingerprint(image(fvc2002, "DB1_B", "105_1"))
    assert result.quality.method == NFIQ2
    assert 0 <= result.quality.score <= 100
    assert 15 <= result.template.count <= 80
    assert result.template.cylinders is not None
    assert not result.too_few_minutiae


def test_db3_small_print_falls_back_and_keeps_minutiae(fvc2002: Path) -> None:
    """A 300x300 DB3 frame holding only a 100x100 patch of print: NFIQ 2 refuses it."""
    pixels = np.asarray(load_print(image(fvc2002, "DB3_B", "101_1")).pixels)
    frame = np.full_like(pixels, 200)
    frame[100:200, 100:200] = pixels[100:200, 100:200]
    result = api.extract_fingerprint(from_array(frame, ppi=500))
    assert result.quality.method == FALLBACK
    assert result.quality.nfiq2_error is not None and "Nfiq2" in result.quality.nfiq2_error
    assert 0 <= result.quality.score <= 100
    assert result.template.count > 0  # the minutiae are not lost


def test_db3_print_nfiq2_refuses_falls_back_with_its_minutiae(fvc2002: Path) -> None:
    """DB3_B 110_5 (300x300) is the one FVC2002 B image nbis-py's NFIQ 2 fails on."""
    result = api.extract_fingerprint(image(fvc2002, "DB3_B", "110_5"))
    assert result.quality.method == FALLBACK
    assert result.quality.nfiq2_error is not None
    assert 0 < result.quality.score < 60
    assert result.template.count > 20
    assert not result.too_few_minutiae
    mate = api.extract_fingerprint(image(fvc2002, "DB3_B", "110_6"), nfiq2=False).template
    assert api.compare(result.template, mate) > 0  # the template is usable


def test_fvc_iso_templates_round_trip_and_match(fvc2002: Path) -> None:
    folder = fvc2002 / "DB1_B" / "iso19794_2_templates"
    records = {p.stem: p.read_bytes() for p in sorted(folder.glob("10[1-3]_[1-3].iso"))}
    assert len(records) == 9
    for data in records.values():
        parsed = iso.parse(data)
        assert (parsed.template.width, parsed.template.height) == (300, 400)  # the claimed frame
        assert iso.dump(parsed.template, finger_quality=parsed.finger_quality) == data
    templates = {name: api.from_iso(data) for name, data in records.items()}
    genuine = match.compare(templates["101_1"], templates["101_2"])
    impostors = [match.compare(templates["101_1"], templates[n]) for n in ("102_1", "103_1")]
    assert genuine > 2 * max(impostors)


def test_our_extraction_survives_an_iso_round_trip(fvc2002: Path) -> None:
    template = api.extract_fingerprint(image(fvc2002, "DB2_B", "101_1"), nfiq2=False).template
    again = api.from_iso(api.to_iso(template))
    assert again.count == template.count
    assert api.compare(template, again) > 0.5


def test_a_text_file_is_not_a_print(fvc2002: Path) -> None:
    with pytest.raises(NotAnImageError):
        api.extract_fingerprint((fvc2002 / "NOTES.md").read_bytes())

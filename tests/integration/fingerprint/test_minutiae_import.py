"""Imported minutiae checked against data: type9-13's Type-9 against our extraction of its
Type-13 image, the three FMR encodings of one template, the EFS records, and the kiosk's
watchlist search over an imported Type-9 entry."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from biometrics.fingerprint import ansi9, api, incits378, mcc
from biometrics.fingerprint.params import VERIFICATION
from devices.virtual.fingerprint import VirtualFingerprintScanner
from enrollment import minutiae_check
from enrollment.faces import DlibFaceEngine
from enrollment.watchlist import ImportOptions, WatchlistManager
from kiosk.cli import main
from kiosk.traveller.finger_step import FingerStep
from models.audit import AuditLog
from models.events import CheckOutcome
from models.roles import Principal, Role
from models.store import Store
from models.watchlist import WatchlistCategory

pytestmark = [pytest.mark.integration, pytest.mark.dataset]


@pytest.fixture(scope="module")
def samples(gerbang_data: Path) -> Path:
    return gerbang_data / "ansi_nist_itl" / "libbiomeval_test_data"


@pytest.fixture(scope="module")
def pair(samples: Path) -> minutiae_check.Type13Pair:
    return minutiae_check.type9_13(samples / "type9-13.an2k")


@pytest.fixture(scope="module")
def others(gerbang_data: Path) -> list[api.MinutiaeTemplate]:
    """First impressions of the ten DB1_B fingers: not the type9-13 finger."""
    images = gerbang_data / "fingerprints" / "fvc2002" / "DB1_B" / "images"
    return [
        api.extract_fingerprint(images / f"{finger}_1.tif", nfiq2=False).template
        for finger in range(101, 111)
    ]


def test_converted_type9_matches_our_extraction_of_the_same_impression(
    pair: minutiae_check.Type13Pair, others: list[api.MinutiaeTemplate]
) -> None:
    assert pair.converted.count == 28
    score = api.compare(pair.extracted, pair.converted)
    impostors = [api.compare(pair.converted, other) for other in others]
    assert score >= VERIFICATION.accept  # a match at FMR 0.01%
    assert max(impostors) < VERIFICATION.accept
    assert score > 5 * max(impostors)
    # nearly every converted minutia has one of ours within 10 px and 20 degrees
    assert minutiae_check.paired(pair.converted, pair.extracted) >= 25


def test_the_wrong_conventions_fall_into_the_impostor_band(
    pair: minutiae_check.Type13Pair,
) -> None:
    """Reading y from the top (no flip) or keeping NIST's direction (no 180 degree turn)
    loses the match: what makes the test above able to fail."""
    for name, wrong in minutiae_check.wrong_conventions(pair.converted).items():
        assert api.compare(pair.extracted, wrong) < VERIFICATION.reject, name
        assert minutiae_check.paired(wrong, pair.extracted) <= 4, name


def test_the_three_fmr_encodings_give_the_same_template(samples: Path) -> None:
    records = {
        name: incits378.parse((samples / name).read_bytes())
        for name in ("fmr.ansi2004", "fmr.ansi2007", "fmr.iso2005")
    }
    assert [r.standard for r in records.values()] == [
        "incits378-2004",
        "incits378-2009",
        "iso19794-2:2005",
    ]
    iso = records["fmr.iso2005"].views
    for name, record in records.items():
        for view, reference in zip(record.views, iso, strict=False):
            a, b = view.template, reference.template
            assert view.position == reference.position, name
            assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y), name
            assert np.array_equal(a.kind, b.kind), name
            turn = np.abs((a.angle - b.angle + np.pi) % (2 * np.pi) - np.pi)
            assert np.degrees(turn).max() < 1.41, name  # 2-degree vs 1.40625-degree units
    assert len(records["fmr.ansi2004"].views) == 3  # one more view than the others


def test_every_efs_record_converts(samples: Path) -> None:
    converted = minutiae_check._efs(samples / "type9-efs.an2k")
    assert len(converted) == 8
    assert sorted(c["position"] for c in converted) == [2, 3, 4, 5, 7, 8, 9, 10]
    assert [c["minutiae"] for c in converted] == [60, 35, 68, 37, 54, 48, 53, 59]


def test_the_kiosk_finds_an_imported_type9_entry(
    store: Store,
    samples: Path,
    pair: minutiae_check.Type13Pair,
    others: list[api.MinutiaeTemplate],
    gerbang_data: Path,
    tmp_path: Path,
) -> None:
    manager = WatchlistManager(
        store, AuditLog(store, Ed25519PrivateKey.generate()), DlibFaceEngine()
    )
    officer = Principal("officer-7", frozenset({Role.OFFICER}))
    report = manager.import_file(
        samples / "type9-13.an2k", ImportOptions("NIST", WatchlistCategory.WANTED), officer
    )
    assert (report.minutiae, report.matchable) == (1, 1)
    folder = tmp_path / "scanner"
    folder.mkdir()
    image = gerbang_data / "fingerprints" / "fvc2002" / "DB1_B" / "images" / "101_1.tif"
    (folder / "00.tif").symlink_to(image)
    scanner = VirtualFingerprintScanner("finger", source=folder, capture_s=0.0)
    later = datetime.now(UTC) + timedelta(minutes=1)  # the entry is valid from its import
    step = FingerStep(scanner, store, timeout_s=2.0, clock=lambda: later)
    hit = step.search_watchlist([pair.extracted])
    assert hit.searched is CheckOutcome.FAILED and hit.hit_entry_ids == tuple(report.entry_ids)
    miss = step.search_watchlist(others[:2])
    assert miss.searched is CheckOutcome.PASSED and not miss.hit_entry_ids


def test_eval_command_prints_the_evidence(
    gerbang_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "eval",
            "minutiae-import",
            "--data",
            str(gerbang_data / "ansi_nist_itl"),
            "--impostors",
            str(gerbang_data / "fingerprints" / "fvc2002" / "DB1_B"),
            "--json",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    t9 = out["type9_13"]
    assert t9["paired"] >= 25 and t9["genuine_score"] >= t9["accept_threshold"]
    assert t9["impostors"]["comparisons"] == 80 and t9["impostors"]["at_or_above_accept"] == 0
    assert all(w["score"] < t9["impostors"]["max"] * 2 for w in t9["wrong_conventions"].values())
    assert len(out["efs"]) == 8 and set(out["fmr_records"]) == {
        "fmr.ansi2004",
        "fmr.ansi2007",
        "fmr.iso2005",
    }


def test_an_incits378_block_in_a_type9_matches_the_binary_record(samples: Path) -> None:
    """The same first view written as Type-9 fields 9.128-9.137 (as a Type-9 record carries
    an INCITS 378 template) converts to the binary record's template."""
    view = incits378.parse((samples / "fmr.ansi2004").read_bytes()).views[0]
    t = view.template
    angles = np.rint(np.degrees(t.angle) / 2).astype(int) % 180
    minutiae = "\x1e".join(
        "\x1f".join(str(v) for v in (k + 1, int(x), int(y), int(a), int(kind), 50))
        for k, (x, y, a, kind) in enumerate(zip(t.x, t.y, angles, t.kind, strict=True))
    )
    fields = {
        128: str(t.width),
        129: str(t.height),
        130: "2",
        131: "197",
        132: "197",
        134: str(view.position),
        136: str(t.count),
        137: minutiae,
    }
    converted = ansi9.from_type9(fields)
    assert converted.block == "incits378" and converted.position == 7
    assert np.array_equal(converted.template.x, t.x) and np.array_equal(converted.template.y, t.y)
    np.testing.assert_allclose(converted.template.angle, t.angle, atol=1e-6)
    assert api.compare(mcc.encode(converted.template), mcc.encode(t)) > 0.9

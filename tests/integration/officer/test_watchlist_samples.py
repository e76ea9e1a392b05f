"""Watchlist import of every shared ANSI/NIST-ITL sample, with the real face pipeline and index."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from biometrics.fingerprint import record
from enrollment.faces import DlibFaceEngine
from enrollment.gallery import FaceGallery
from enrollment.watchlist import ImportOptions, WatchlistManager, totals
from kiosk.cli import main
from models.audit import AuditLog
from models.roles import Principal, Role
from models.store import Store
from models.watchlist import WatchlistCategory

pytestmark = [pytest.mark.dataset, pytest.mark.integration]

# (persons, faces, fingerprint images, minutiae records, matchable, rejected records) per file.
# Derived from the record types in the data set's NOTES.md: a transaction is one person
# when it holds a face, a Type-4/14 finger or slap, or Type-9 minutiae that convert;
# Type-3/5/6/7/8/13/15/16/17/99 records and Type-14 position 19 (EJI) are rejected with
# their reason, and a transaction left with nothing to screen against is rejected as a
# whole. ``matchable``: templates our matcher compares, from single-finger images with
# enough minutiae, from the fingertips segmented from slaps (``SEGMENTED`` below) and
# from converted minutiae records with at least 6 minutiae (type9,
# type9-13: 28 each; type9-efs: 35-68 per record). valid1.14's Type-9 holds 1 minutia:
# stored as imported, not matchable. valid1.15's 9.012 location "1250125011231" is not
# XXXXYYYYTTT: rejected with that reason, which leaves the transaction empty.
EXPECTED = {
    "type3.an2k": (0, 0, 0, 0, 0, 2),
    "type4-slaps.an2k": (1, 0, 4, 0, 10, 0),
    "type9-13.an2k": (1, 0, 0, 1, 1, 1),
    "type9-efs.an2k": (1, 0, 0, 8, 8, 0),
    "type9.an2k": (1, 0, 0, 1, 1, 0),
    "face_jpb_DOM_GMT_DCS.an2": (1, 1, 0, 0, 0, 0),
    "sign_raw.an2": (0, 0, 0, 0, 0, 2),
    "sign_vec.an2": (0, 0, 0, 0, 0, 2),
    "type_5_wvu.an2": (0, 0, 0, 0, 0, 15),
    "type_6_wvu.an2": (0, 0, 0, 0, 0, 15),
    "valid1.1.an2": (1, 0, 1, 0, 1, 0),
    "valid1.10.an2": (0, 0, 0, 0, 0, 2),
    "valid1.11.an2": (1, 1, 2, 0, 5, 5),
    "valid1.13.an2": (0, 0, 0, 0, 0, 2),
    "valid1.14.an2": (1, 0, 1, 1, 1, 0),
    "valid1.15.an2": (0, 0, 0, 0, 0, 2),
    "valid1.16.an2": (1, 1, 2, 0, 5, 5),
    "valid1.2.an2": (1, 0, 1, 0, 1, 1),
    "valid1.3.an2": (1, 1, 0, 0, 0, 0),
    "valid1.4.an2": (0, 0, 0, 0, 0, 2),
    "valid1.5.an2": (0, 0, 0, 0, 0, 2),
    "valid1.6.an2": (0, 0, 0, 0, 0, 2),
    "valid1.7.an2": (0, 0, 0, 0, 0, 2),
    "valid1.8.an2": (1, 0, 3, 0, 10, 0),
    "valid1.9.an2": (1, 1, 1, 0, 1, 4),
}
# Fingertips segmented from the slap images (positions 13/14/15) into templates of our
# matcher: four per four-finger slap, two per two-thumb slap (plain thumbs 11/12 are
# single fingers). Every tip of the shared slaps is found (tests/integration/fingerprint/
# test_slap_data.py).
SEGMENTED = {"type4-slaps.an2k": 8, "valid1.8.an2": 10, "valid1.11.an2": 4, "valid1.16.an2": 4}


def _files(root: Path) -> list[Path]:
    return sorted((root / "ansi_nist_itl").rglob("*.an2*"))


def test_every_shared_sample_imports_with_its_counts(gerbang_data: Path, store: Store) -> None:
    files = _files(gerbang_data)
    assert {p.name for p in files} == set(EXPECTED)
    gallery = FaceGallery.in_memory(store)
    manager = WatchlistManager(
        store, AuditLog(store, Ed25519PrivateKey.generate()), DlibFaceEngine(), gallery=gallery
    )
    officer = Principal("officer-7", frozenset({Role.OFFICER}))
    options = ImportOptions("NIST", WatchlistCategory.WANTED)
    reports = [manager.import_file(path, options, officer) for path in files]
    for path, report in zip(files, reports, strict=True):
        counts = (
            report.persons,
            report.faces,
            report.fingerprints,
            report.minutiae,
            report.matchable,
            len(report.rejected),
        )
        assert counts == EXPECTED[path.name], path.name
        assert report.segmented == SEGMENTED.get(path.name, 0), path.name
        assert all(r.reason for r in report.rejected)
    summary = totals(reports)
    assert summary == {
        "files": 25,
        "persons": 13,
        "faces": 5,
        "fingerprints": 15,
        "matchable": 44,  # 8 single fingers + 26 segmented fingertips + 10 Type-9 minutiae
        "segmented": 26,
        "minutiae": 11,
        "rejected": 66,
    }
    for report in reports:
        assert report.matchable - report.segmented <= report.fingerprints + report.minutiae
    comparable = [
        t for t in store.fingerprint_templates if t.format == "iso19794-2:2005"
    ]  # what the kiosk's 1:N search compares with
    assert len(comparable) == 44
    assert sum(record.comparable(t) is not None for t in store.fingerprint_templates) == 44
    # templates made from images hold both minutiae sets and the ridge flow (gerbang_dual
    # searches a watchlist of such records); converted minutiae hold the raw set only
    kinds = [record.finger_sets(t) for t in comparable]
    assert sum(k is not None and k.dual is not None for k in kinds) == 8 + 26
    live_scan = reports[[p.name for p in files].index("valid1.8.an2")].entry_ids[0]
    assert sorted(int(t.position) for t in comparable if t.subject_id == live_scan) == list(
        range(1, 11)
    )  # the ten fingers of the three slaps, each at its position
    assert store.watchlist.count() == 13
    assert gallery.index.count == 5  # every imported face is searchable ...
    probe = store.face_templates.get_by_row_id(1)
    ((row, score), *_) = gallery.search(probe.as_array(), 2)
    assert row == 1 and score > 0.99  # ... and finds itself first


def test_cli_import_prints_counts_and_flags_a_bad_file(
    gerbang_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = gerbang_data / "ansi_nist_itl" / "nbis_an2kconvert_testdata"
    bad = tmp_path / "broken.an2"
    bad.write_bytes((root / "valid1.3.an2").read_bytes()[:500])
    code = main(
        [
            "watchlist",
            "import",
            str(root / "valid1.3.an2"),
            str(root / "valid1.8.an2"),
            str(bad),
            "--source",
            "NIST",
            "--category",
            "wanted",
            "--json",
        ]
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 7  # one file rejected as a whole
    assert [(f["persons"], f["faces"], f["fingerprints"]) for f in data["files"]] == [
        (1, 1, 0),
        (1, 0, 3),
        (0, 0, 0),
    ]
    assert data["files"][2]["rejected"][0]["record"] == "file"
    assert data["totals"]["persons"] == 2
    assert main(["watchlist", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["count"] == 2 and {e["category"] for e in listed["entries"]} == {"wanted"}
    entry_id = data["files"][0]["entry_ids"][0]
    assert main(["watchlist", "expire", entry_id, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["active"] is False
    assert main(["watchlist", "remove", entry_id, "--reason", "test done", "--json"]) == 0
    capsys.readouterr()
    assert main(["watchlist", "show", entry_id, "--json"]) == 7  # gone: not found


def test_finger_minutiae_records_import_as_comparable_templates(
    gerbang_data: Path, store: Store
) -> None:
    """ISO 19794-2:2005 and INCITS 378-2004/-2009 records: one person per file, a template
    per finger view, all compared by the kiosk; the same first view gives the same template."""
    root = gerbang_data / "ansi_nist_itl" / "libbiomeval_test_data"
    manager = WatchlistManager(
        store, AuditLog(store, Ed25519PrivateKey.generate()), DlibFaceEngine()
    )
    officer = Principal("officer-7", frozenset({Role.OFFICER}))
    options = ImportOptions("NIST", WatchlistCategory.WANTED)
    names = ("fmr.ansi2004", "fmr.ansi2007", "fmr.iso2005")
    reports = [manager.import_file(root / name, options, officer) for name in names]
    assert [(r.persons, r.minutiae, r.matchable, len(r.rejected)) for r in reports] == [
        (1, 3, 3, 0),  # 2004: three views (left index, right index, right middle)
        (1, 2, 2, 0),
        (1, 2, 2, 0),
    ]
    firsts = []
    for report in reports:
        (entry_id,) = report.entry_ids
        entry = store.watchlist.get(entry_id)
        templates = [store.fingerprint_templates.get(t) for t in entry.fingerprint_template_ids]
        assert all(t.format == record.FORMAT for t in templates)
        usable = [record.comparable(t) for t in templates]
        assert all(u is not None and u.count >= 22 for u in usable)
        first = next(t for t in templates if t.position.name == "LEFT_INDEX")
        firsts.append(record.comparable(first))
    a, b, c = firsts
    assert a is not None and b is not None and c is not None
    assert np.array_equal(a.x, c.x) and np.array_equal(a.y, c.y)  # same minutiae
    assert np.array_equal(a.x, b.x) and np.array_equal(a.kind, b.kind)

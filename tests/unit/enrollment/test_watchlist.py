"""Watchlist import, expiry, removal and export (fake face engine; in-memory store and index)."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from biometrics.fingerprint import record
from enrollment.gallery import FaceGallery
from enrollment.watchlist import ImportOptions, WatchlistManager, read_export
from enrollment.watchlist_files import MINUTIAE_FORMAT, read_csv, read_file, read_transaction
from models.audit import AuditLog
from models.biometric import FingerPosition
from models.errors import SecurityError
from models.roles import ForbiddenError, Principal, Role
from models.store import Store
from models.watchlist import WatchlistCategory
from tests import factories
from tests.unit.enrollment import an2build
from tests.unit.enrollment.fakefaces import FakeFaces, found, no_face

OFFICER = Principal("officer-7", frozenset({Role.OFFICER}))
OPTIONS = ImportOptions("POLRI", WatchlistCategory.WANTED)


def manager(store: Store, faces: FakeFaces | None = None) -> tuple[WatchlistManager, FaceGallery]:
    gallery = FaceGallery.in_memory(store)
    audit = AuditLog(store, Ed25519PrivateKey.generate(), clock=lambda: factories.NOW)
    return (
        WatchlistManager(
            store, audit, faces or FakeFaces(), gallery=gallery, clock=lambda: factories.NOW
        ),
        gallery,
    )


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_transaction_becomes_one_indexed_entry(store: Store, tmp_path: Path) -> None:
    data = an2build.transaction(
        [(10, an2build.face_record(1)), (4, an2build.type4(2, 2)), (4, an2build.type4(3, 99))]
    )
    wl, gallery = manager(store)
    report = wl.import_file(write(tmp_path, "a.an2", data), OPTIONS, OFFICER)
    assert (report.persons, report.faces, report.fingerprints, report.minutiae) == (1, 1, 1, 0)
    assert [r.to_json() for r in report.rejected] == [
        {
            "record": "Type-4 record 4",
            "reason": "finger position 99 is not a finger or slap the kiosk compares",
        }
    ]
    entry = store.watchlist.get(report.entry_ids[0])
    assert entry.full_name == "BUDI SANTOSO" and entry.nationality == "IDN"
    assert entry.reason == "warrant 17/2026" and entry.category is WatchlistCategory.WANTED
    assert len(store.face_samples.for_subject(entry.entry_id)) == 1
    (finger,) = [s for s in store.fingerprint_samples if s.subject_id == entry.entry_id]
    assert finger.position is FingerPosition.RIGHT_INDEX and finger.image.encoding == "png"
    # the face is searchable, and only as a member of that watchlist entry
    assert gallery.index.count == 1
    row = store.face_templates.row_id(entry.face_template_ids[0])
    assert gallery.index.snapshot.watchlist.rows(None, factories.NOW).tolist() == [row]
    actions = [r.action for r in store.audit]
    assert actions == ["watchlist.add", "watchlist.import_file"]


def test_the_same_file_twice_is_rejected_not_duplicated(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "a.an2", an2build.transaction([(10, an2build.face_record(1))]))
    wl, _ = manager(store)
    wl.import_file(path, OPTIONS, OFFICER)
    again = wl.import_file(path, OPTIONS, OFFICER)
    assert again.persons == 0 and "already imported" in again.rejected[0].reason
    assert store.watchlist.count() == 1


def test_a_face_record_without_a_face_is_rejected(store: Store, tmp_path: Path) -> None:
    data = an2build.transaction(
        [(10, an2build.face_record(1)), (10, an2build.face_record(2, kind=b"SMT"))]
    )
    wl, _ = manager(store, FakeFaces([no_face()]))
    report = wl.import_file(write(tmp_path, "a.an2", data), OPTIONS, OFFICER)
    assert report.persons == 0
    assert [r.reason for r in report.rejected] == [
        "Type-10 image type 'SMT' is not FACE",
        "no face found in the image",
        "no usable face or fingerprint: nothing to screen against",
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "neither an ANSI/NIST-ITL transaction"),
        (b"%PDF-1.4 not a transaction", "neither an ANSI/NIST-ITL transaction"),
        (b"1.001:garbage", "no length field"),
    ],
)
def test_bad_files_are_rejected_with_a_reason(
    store: Store, tmp_path: Path, data: bytes, reason: str
) -> None:
    wl, _ = manager(store)
    report = wl.import_file(write(tmp_path, "bad.an2", data), OPTIONS, OFFICER)
    assert report.persons == 0
    assert report.rejected[0].record == "file" and reason in report.rejected[0].reason


def test_every_truncation_of_a_transaction_is_rejected_never_a_crash() -> None:
    data = an2build.transaction([(10, an2build.face_record(1)), (4, an2build.type4(2, 7))])
    assert read_transaction(data).subjects  # the whole file reads
    for cut in range(0, len(data) - 1, 7):
        contents = read_transaction(data[:cut])
        assert not contents.subjects
        assert contents.rejected[0].record == "file"


def test_a_corrupt_embedded_image_rejects_the_record_only() -> None:
    broken = an2build.face_record(1, image=b"\xff\xd8\xff\xe0" + b"\x00" * 30)
    contents = read_transaction(an2build.transaction([(10, broken), (4, an2build.type4(2, 7))]))
    assert len(contents.subjects[0].fingers) == 1 and not contents.subjects[0].faces
    assert contents.rejected[0].record == "Type-10 record 2"
    assert "does not decode" in contents.rejected[0].reason


def test_a_missing_file_is_rejected(tmp_path: Path) -> None:
    contents = read_file(tmp_path / "nowhere.an2")
    assert contents.rejected[0].reason.startswith("cannot read the file")


def _png(path: Path) -> None:
    Image.fromarray(np.full((32, 32), 90, np.uint8)).save(path)


CSV_HEADER = (
    "record_id,full_name,nationality,document_numbers,category,reason,valid_until,"
    "face_image,finger_images\n"
)


def test_csv_rows_import_and_bad_rows_are_rejected(store: Store, tmp_path: Path) -> None:
    _png(tmp_path / "face1.png")
    _png(tmp_path / "r2.png")
    (tmp_path / "notimage.jpg").write_bytes(b"hello")
    rows = [
        "P-1,Budi Santoso,IDN,B7654321;C1111111,narcotics,BNN case 4,2027-01-31,face1.png,"
        "RIGHT_INDEX=r2.png;7=r2.png",
        ",No Id,IDN,,,,,face1.png,",
        "P-3,Bad Category,IDN,,smuggling,,,face1.png,",
        "P-4,Bad Date,IDN,,,,31/01/2027,face1.png,",
        "P-5,Missing Image,IDN,,,,,missing.png,",
        "P-6,Not An Image,IDN,,,,,notimage.jpg,",
        "P-7,Escapes,IDN,,,,,../outside.png,",
        "P-8,Bad Finger,IDN,,,,,,LEFT_TOE=r2.png",
        "P-9,Too,Many,,,,,,,,extra",
    ]
    csv_path = write(tmp_path, "list.csv", (CSV_HEADER + "\n".join(rows) + "\n").encode())
    wl, _ = manager(store)
    report = wl.import_file(csv_path, OPTIONS, OFFICER)
    assert (report.persons, report.faces, report.fingerprints) == (1, 1, 2)
    entry = store.watchlist.get(report.entry_ids[0])
    assert entry.category is WatchlistCategory.NARCOTICS
    assert entry.document_numbers == ("B7654321", "C1111111")
    assert entry.valid_until is not None and entry.valid_until.date().isoformat() == "2027-01-31"
    reasons: dict[str, str] = {}
    for rejection in report.rejected:  # a row may be rejected for its image, then as a whole
        reasons[rejection.record] = reasons.get(rejection.record, "") + rejection.reason + "|"
    assert reasons["row 3"] == "record_id is empty|"
    assert reasons["row 4"] == "unknown category 'smuggling'|"
    assert reasons["row 5"] == "valid_until is not a YYYY-MM-DD date|"
    assert "cannot read missing.png" in reasons["row 6"]
    assert "does not decode" in reasons["row 7"]
    assert "outside the CSV's folder" in reasons["row 8"]
    assert "not POS=path" in reasons["row 9"]
    assert reasons["row 10"] == "more values than columns|"
    assert reasons["row 6"].endswith("|no usable face or fingerprint: nothing to screen against|")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b"name,face_image\nx,y\n", "no record_id column"),
        (b"record_id,colour\n1,red\n", "unknown CSV columns: colour"),
        (b"record_id\n\xff\xfe\n", "not UTF-8"),
        (b'record_id,full_name\n1,"unclosed\n', "does not parse"),
    ],
)
def test_bad_csv_files_are_rejected(tmp_path: Path, text: bytes, reason: str) -> None:
    contents = read_csv(text, tmp_path)
    assert not contents.subjects and reason in contents.rejected[0].reason


def test_expire_and_remove_are_audited_and_reach_the_index(store: Store, tmp_path: Path) -> None:
    wl, gallery = manager(store, FakeFaces([found(1), found(2)]))
    first = wl.import_file(
        write(tmp_path, "a.an2", an2build.transaction([(10, an2build.face_record(1))])),
        OPTIONS,
        OFFICER,
    ).entry_ids[0]
    second = wl.import_file(
        write(tmp_path, "b.an2", an2build.transaction([(4, an2build.type4(1, 2))], name=b"X,Y")),
        OPTIONS,
        OFFICER,
    ).entry_ids[0]
    later = factories.NOW + timedelta(days=1)
    expired = wl.expire(first, OFFICER, at=factories.NOW)
    assert not expired.is_active(later)
    assert [e.entry_id for e in wl.entries(active_at=later)] == [second]
    assert gallery.index.snapshot.watchlist.rows(None, later).size == 0
    wl.remove(first, OFFICER, reason="warrant withdrawn")
    assert not store.watchlist.exists(first)
    assert store.face_templates.count() == 0 and store.face_samples.count() == 0
    assert gallery.index.count == 0
    wl.remove(second, OFFICER, reason="entered in error")
    assert store.fingerprint_samples.count() == 0
    actions = [r.action for r in store.audit]
    assert actions.count("watchlist.expire") == 1 and actions.count("watchlist.remove") == 2
    with pytest.raises(Exception, match="reason"):
        wl.remove("whatever", OFFICER, reason=" ")


def test_edit_changes_fields_is_audited_and_moves_the_index_filter(
    store: Store, tmp_path: Path
) -> None:
    wl, gallery = manager(store)
    entry_id = wl.import_file(
        write(tmp_path, "a.an2", an2build.transaction([(10, an2build.face_record(1))])),
        OPTIONS,
        OFFICER,
    ).entry_ids[0]
    wanted = gallery.index.snapshot.watchlist.rows({WatchlistCategory.WANTED}, factories.NOW)
    assert wanted.size == 1
    edited = wl.edit(
        entry_id,
        OFFICER,
        category=WatchlistCategory.TRAVEL_BAN,
        reason="court order 5/2026",
        document_numbers=("X1234567",),
    )
    assert edited.category is WatchlistCategory.TRAVEL_BAN and edited.reason == "court order 5/2026"
    assert edited.full_name == "BUDI SANTOSO"  # untouched
    assert store.watchlist.get(entry_id).document_numbers == ("X1234567",)
    snapshot = gallery.index.snapshot.watchlist
    assert snapshot.rows({WatchlistCategory.WANTED}, factories.NOW).size == 0
    assert snapshot.rows({WatchlistCategory.TRAVEL_BAN}, factories.NOW).size == 1
    (record,) = [r for r in store.audit if r.action == "watchlist.edit"]
    assert json.loads(record.detail) == {"fields": ["category", "document_numbers", "reason"]}
    with pytest.raises(Exception, match="cannot be empty"):
        wl.edit(entry_id, OFFICER, reason="  ")


def test_export_is_sealed_and_for_the_owner_only(store: Store, tmp_path: Path) -> None:
    wl, _ = manager(store)
    wl.import_file(
        write(tmp_path, "a.an2", an2build.transaction([(10, an2build.face_record(1))])),
        OPTIONS,
        OFFICER,
    )
    out = tmp_path / "export.gwx"
    assert wl.export(out, OFFICER, "correct horse battery") == 1
    assert out.stat().st_mode & 0o077 == 0
    (entry,) = list(store.watchlist)
    raw = out.read_bytes()
    assert b"gerbang-watchlist-v1" not in raw and entry.entry_id.encode() not in raw  # sealed
    data = read_export(out, "correct horse battery")
    assert data["format"] == "gerbang-watchlist-v1"
    assert len(data["entries"][0]["face_templates"]) == 1
    with pytest.raises(SecurityError):
        read_export(out, "wrong horse battery")


def test_a_technician_may_not_import(store: Store, tmp_path: Path) -> None:
    wl, _ = manager(store)
    technician = Principal("tech-1", frozenset({Role.TECHNICIAN}))
    with pytest.raises(ForbiddenError):
        wl.import_file(tmp_path / "x.an2", OPTIONS, technician)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(min_value=0, max_value=10_000), st.integers(0, 255)), max_size=6)
)
def test_corrupted_transactions_are_rejected_never_a_crash(flips: list[tuple[int, int]]) -> None:
    data = bytearray(_SAMPLE)
    for at, value in flips:
        data[at % len(data)] = value
    contents = read_transaction(bytes(data))
    assert contents.subjects or contents.rejected


_SAMPLE = an2build.transaction([(10, an2build.face_record(1)), (4, an2build.type4(2, 7))])


@pytest.mark.dataset
def test_a_corrupt_wsq_finger_image_rejects_its_record(gerbang_data: Path) -> None:
    """The wsq plugin raises a bare Exception on corrupt data: it must become a rejection."""
    from enrollment.ansinist import decode_image, parse
    from models.errors import MalformedDataError

    path = gerbang_data / "ansi_nist_itl" / "libbiomeval_test_data" / "type4-slaps.an2k"
    wsq = parse(path.read_bytes()).of_type(4)[0].image
    for broken in (wsq[:2000], wsq[:1000] + b"\xab" * 400 + wsq[1400:]):
        with pytest.raises(MalformedDataError, match="WSQ image does not decode"):
            decode_image(broken)
    finger = an2build.tagged(
        14,
        [(2, b"01"), (6, b"1600"), (7, b"1000"), (11, b"WSQ20"), (13, b"2"), (999, wsq[:2000])],
    )
    contents = read_transaction(an2build.transaction([(14, finger)]))
    assert contents.rejected[0].record == "Type-14 record 2"
    assert "WSQ image does not decode" in contents.rejected[0].reason


def type9(idc: int, points: list[tuple[int, int, int]], *, position: bytes = b"2") -> bytes:
    """A legacy Type-9 record: (x, y, theta) in 0.01 mm and degrees, y from the bottom."""
    minutiae = b"\x1e".join(
        f"{k + 1:03d}\x1f{x:04d}{y:04d}{t:03d}\x1f0\x1fA".encode()
        for k, (x, y, t) in enumerate(points)
    )
    return an2build.tagged(
        9,
        [
            (2, str(idc).encode()),
            (3, b"0"),
            (4, b"S"),
            (6, position),
            (10, str(len(points)).encode()),
            (11, b"0"),
            (12, minutiae),
        ],
    )


EIGHT = [(100 + 90 * k, 300 + 70 * (k % 4), 40 * k) for k in range(8)]


def test_type9_minutiae_are_stored_as_comparable_iso_templates(
    store: Store, tmp_path: Path
) -> None:
    data = an2build.transaction([(9, type9(1, EIGHT))])
    wl, _ = manager(store)
    report = wl.import_file(write(tmp_path, "m.an2", data), OPTIONS, OFFICER)
    assert (report.persons, report.minutiae, report.matchable, report.rejected) == (1, 1, 1, [])
    entry = store.watchlist.get(report.entry_ids[0])
    (stored,) = [store.fingerprint_templates.get(t) for t in entry.fingerprint_template_ids]
    assert stored.format == record.FORMAT and stored.minutiae_count == 8
    assert stored.position is FingerPosition.RIGHT_INDEX
    usable = record.comparable(stored)
    assert usable is not None and usable.count == 8 and usable.cylinders is not None


def test_type9_with_too_few_minutiae_is_kept_as_imported(store: Store, tmp_path: Path) -> None:
    data = an2build.transaction([(9, type9(1, EIGHT[:2]))])
    wl, _ = manager(store)
    report = wl.import_file(write(tmp_path, "m.an2", data), OPTIONS, OFFICER)
    assert (report.persons, report.minutiae, report.matchable) == (1, 1, 0)
    entry = store.watchlist.get(report.entry_ids[0])
    (stored,) = [store.fingerprint_templates.get(t) for t in entry.fingerprint_template_ids]
    assert stored.format == MINUTIAE_FORMAT and record.comparable(stored) is None
    assert json.loads(stored.data)["10"] == "2"  # the record's fields, as imported


def test_type9_kept_as_imported_by_older_versions_is_converted_when_compared() -> None:
    minutiae = "\x1e".join(
        f"{k + 1:03d}\x1f{x:04d}{y:04d}{t:03d}\x1f0\x1fA" for k, (x, y, t) in enumerate(EIGHT)
    )
    stored = dataclasses.replace(
        factories.fingerprint_template(),
        format=MINUTIAE_FORMAT,
        data=json.dumps({"10": "8", "12": minutiae}).encode(),
    )
    usable = record.comparable(stored)
    assert usable is not None and usable.count == 8
    garbage = dataclasses.replace(stored, data=b"{")
    assert record.comparable(garbage) is None


def test_type9_minutiae_outside_their_image_or_corrupt_are_rejected(tmp_path: Path) -> None:
    small_image = an2build.type4(1, 2, width=16, height=16)  # same IDC: 0.8 mm high at 500 ppi
    contents = read_transaction(an2build.transaction([(4, small_image), (9, type9(1, EIGHT))]))
    assert [r.to_json() for r in contents.rejected] == [
        {
            "record": "Type-9 record 3",
            "reason": "Type-9 minutiae do not convert: 9.012 minutia 1 at (20, -43) px "
            "lies outside the 16x16 image",
        }
    ]
    corrupt = type9(1, EIGHT).replace(b"0100030000", b"01000300xx")
    contents = read_transaction(an2build.transaction([(9, corrupt)]))
    assert "not XXXXYYYYTTT" in contents.rejected[0].reason


def test_finger_minutiae_record_files_are_one_subject_per_file(tmp_path: Path) -> None:
    rows = b"".join(
        (((1 << 14) | (20 + 30 * k)).to_bytes(2, "big") + (40 + 20 * k).to_bytes(2, "big"))
        + bytes([(16 * k) % 256, 50])
        for k in range(8)
    )
    view = bytes([7, 0, 60, 8]) + rows + b"\x00\x00"
    header = b"FMR\x00 20\x00" + (24 + len(view)).to_bytes(4, "big") + bytes(2)
    header += (400).to_bytes(2, "big") * 2 + (197).to_bytes(2, "big") * 2 + bytes([1, 0])
    contents = read_file(write(tmp_path, "finger.iso", header + view))
    (subject,) = contents.subjects
    assert subject.reference == "finger.iso" and not contents.rejected
    (minutiae,) = subject.minutiae
    assert minutiae.position is FingerPosition.LEFT_INDEX
    assert minutiae.template is not None and minutiae.template.count == 8
    bad = read_file(write(tmp_path, "broken.iso", (header + view)[:-9]))
    assert bad.rejected[0].record == "file"
    few = bytes([7, 0, 60, 2]) + rows[:12] + b"\x00\x00"
    header = header[:8] + (24 + len(few)).to_bytes(4, "big") + header[12:]
    contents = read_file(write(tmp_path, "few.iso", header + few))
    assert [r.to_json() for r in contents.rejected] == [
        {"record": "finger view 0", "reason": "2 minutiae: too few for the matcher"}
    ]


def test_a_gerbang_record_with_both_sets_is_one_finger_not_two(tmp_path: Path) -> None:
    from biometrics.fingerprint import iso
    from tests.unit.fingerprint.synthetic import random_template

    data = iso.dump(random_template(20, seed=1), position=7, enhanced=random_template(18, seed=2))
    contents = read_file(write(tmp_path, "ours.iso", data))
    (subject,) = contents.subjects
    (minutiae,) = subject.minutiae  # the enhanced view is the same capture: not imported
    assert minutiae.record == "finger view 0" and minutiae.template is not None
    assert minutiae.template.count == 20 and not contents.rejected


def test_a_minutiae_frame_too_large_to_store_is_rejected_not_a_stopped_import(
    store: Store, tmp_path: Path
) -> None:
    rows = b"".join(
        (((1 << 14) | (20 + 30 * k)).to_bytes(2, "big") + (40 + 20 * k).to_bytes(2, "big"))
        + bytes([(16 * k) % 256, 50])
        for k in range(8)
    )
    view = bytes([7, 0, 60, 8]) + rows + b"\x00\x00"

    def record_file(side: int) -> bytes:
        header = b"FMR\x00 20\x00" + (24 + len(view)).to_bytes(4, "big") + bytes(2)
        header += side.to_bytes(2, "big") * 2 + (197).to_bytes(2, "big") * 2 + bytes([1, 0])
        return header + view

    contents = read_file(write(tmp_path, "huge.iso", record_file(20000)))
    assert [r.to_json() for r in contents.rejected] == [
        {
            "record": "finger view 0",
            "reason": "finger frame 20000 x 20000 px at 500 ppi is larger than a stored "
            "template holds (16383 px a side)",
        }
    ]
    wl, _ = manager(store)
    huge = wl.import_file(write(tmp_path, "huge.iso", record_file(20000)), OPTIONS, OFFICER)
    fine = wl.import_file(write(tmp_path, "fine.iso", record_file(400)), OPTIONS, OFFICER)
    assert huge.matchable == 0 and huge.rejected
    assert fine.matchable == 1 and not fine.rejected  # the import goes on after the bad file

"""The kiosk's fingerprint step on the virtual scanner with FVC2002 prints: an enrolled
traveller's two index fingers match, another person's do not, a watchlisted finger is a hit,
and a blank print is a retry."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest

from biometrics.fingerprint import record
from biometrics.fingerprint.dual import FingerSets
from biometrics.fingerprint.gallery import FingerGallery
from biometrics.fingerprint.params import DUAL_VERIFICATION, INDEX, VERIFICATION
from biometrics.fingerprint.verify import SHIPPED, FingerPolicy, policy_from_settings
from devices.virtual.fingerprint import VirtualFingerprintScanner
from enrollment.technician import savefile
from kiosk.traveller.finger_step import LOW_QUALITY, Enrolled, FingerStep
from kiosk.traveller.services import FingerprintOutcome
from kiosk.traveller.watchlist_fingers import WatchlistFingers
from models.biometric import FingerPosition, FingerprintTemplate, SampleSource
from models.enrollment import EnrollmentStatus
from models.events import CheckOutcome
from models.settings import CalibrationSettings, FingerprintOperatingPoint, load_settings
from models.store import Store
from tests import factories

pytestmark = [pytest.mark.integration, pytest.mark.dataset]

RIGHT, LEFT = FingerPosition.RIGHT_INDEX, FingerPosition.LEFT_INDEX


def _template(
    db1: Path,
    name: str,
    position: FingerPosition,
    subject: str,
    *,
    enhanced: bool = False,
    flow: bool = True,
) -> FingerprintTemplate:
    """A stored record; ``flow=False``: both sets without the ridge flow, as records were
    stored before the flow joined gerbang_dual."""
    gray = cv2.imread(str(db1 / f"{name}.tif"), cv2.IMREAD_GRAYSCALE)
    extraction = record.extract_pixels(gray, enhanced=enhanced)
    return record.stored(
        extraction if flow else dataclasses.replace(extraction, flow=None),
        position,
        subject_id=subject,
        created_at=factories.NOW,
        source=SampleSource.ENROLMENT,
        template_id=f"{subject}-{name}",
    )


def _scanner(tmp_path: Path, db1: Path, names: list[str]) -> VirtualFingerprintScanner:
    folder = tmp_path / "scanner"
    folder.mkdir()
    for i, name in enumerate(names):  # played in name order
        (folder / f"{i:02d}.tif").symlink_to(db1 / f"{name}.tif")
    scanner = VirtualFingerprintScanner("finger", source=folder, capture_s=0.0)
    scanner.open()
    return scanner


@pytest.fixture
def db1(fvc2002: Path) -> Path:
    return fvc2002 / "DB1_B" / "images"


def _enrol(store: Store, *fingers: FingerprintTemplate) -> None:
    """Traveller t-1 with passport C1234567 and an active enrollment of ``fingers``."""
    enrollment = dataclasses.replace(
        factories.enrollment(),
        status=EnrollmentStatus.ACTIVE,
        fingerprint_template_ids=tuple(f.template_id for f in fingers),
        missing_fingers=(),
    )
    with store.atomic():
        store.travellers.put(factories.traveller("t-1"))
        store.documents.put(factories.document("C1234567"))
        for template in fingers:
            store.fingerprint_templates.add(template)
        store.enrollments.add(enrollment)


@pytest.fixture
def enrolled_store(store: Store, db1: Path) -> Store:
    _enrol(store, _template(db1, "101_1", RIGHT, "t-1"), _template(db1, "102_1", LEFT, "t-1"))
    factories.watch_fingers(store, "wl-1", [_template(db1, "105_1", RIGHT, "wl-1")])
    return store


def _step(scanner: VirtualFingerprintScanner, store: Store) -> FingerStep:
    return FingerStep(scanner, store, timeout_s=2.0, clock=lambda: factories.NOW)


def test_the_enrolled_travellers_fingers_match(
    enrolled_store: Store, db1: Path, tmp_path: Path
) -> None:
    step = _step(_scanner(tmp_path, db1, ["101_2", "102_3"]), enrolled_store)
    enrolled = step.enrolled("IDN", "C1234567")
    assert enrolled.traveller_id == "t-1" and set(enrolled.fingers) == {RIGHT, LEFT}
    outcome = step.run((RIGHT, LEFT), enrolled, lambda: False)
    assert outcome.fingerprint is not None and outcome.watchlist is not None
    assert outcome.fingerprint.match is CheckOutcome.PASSED
    assert outcome.watchlist.searched is CheckOutcome.PASSED  # 101/102 are not on the list


def test_someone_elses_fingers_do_not_match(
    enrolled_store: Store, db1: Path, tmp_path: Path
) -> None:
    step = _step(_scanner(tmp_path, db1, ["103_2", "104_2"]), enrolled_store)
    outcome = step.run((RIGHT, LEFT), step.enrolled("IDN", "C1234567"), lambda: False)
    assert outcome.fingerprint is not None
    assert outcome.fingerprint.match is CheckOutcome.FAILED


def test_records_with_both_sets_are_verified_with_gerbang_dual(
    store: Store, db1: Path, tmp_path: Path
) -> None:
    """Enrolled records holding the enhanced set too: both fingers are scored by gerbang_dual
    and decided on its own measured points (a record without it reads back raw-only)."""
    from biometrics.fingerprint.params import DUAL_FUSION, FUSION

    right = _template(db1, "101_1", RIGHT, "t-1", enhanced=True)
    left = _template(db1, "102_1", LEFT, "t-1", enhanced=True)
    sets = record.finger_sets(right)
    assert sets is not None and sets.enhanced is not None and sets.enhanced.count >= 6
    assert sets.flow is not None and sets.flow.valid_blocks > 600
    raw_only = record.finger_sets(_template(db1, "101_1", RIGHT, "t-1"))
    assert raw_only is not None and raw_only.enhanced is None
    _enrol(store, right, left)
    for names, expected in (
        (["101_2", "102_3"], CheckOutcome.PASSED),
        (["103_2", "104_2"], CheckOutcome.FAILED),
    ):
        (tmp_path / names[0]).mkdir()
        step = _step(_scanner(tmp_path / names[0], db1, names), store)
        outcome = step.run((RIGHT, LEFT), step.enrolled("IDN", "C1234567"), lambda: False)
        assert outcome.fingerprint is not None
        assert outcome.fingerprint.matcher == "gerbang_dual"
        assert outcome.fingerprint.threshold == DUAL_FUSION.sum_accept != FUSION.sum_accept
        assert outcome.fingerprint.match is expected


def test_records_with_the_raw_set_only_are_verified_with_it(
    enrolled_store: Store, db1: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from biometrics.fingerprint.params import FUSION

    asked: list[bool] = []
    extract = record.extract_pixels

    def spy(gray: np.ndarray, *, ppi: float = 500.0, enhanced: bool = False) -> object:
        asked.append(enhanced)
        return extract(gray, ppi=ppi, enhanced=enhanced)

    monkeypatch.setattr(record, "extract_pixels", spy)
    step = _step(_scanner(tmp_path, db1, ["101_2", "102_3"]), enrolled_store)
    outcome = step.run((RIGHT, LEFT), step.enrolled("IDN", "C1234567"), lambda: False)
    assert outcome.fingerprint is not None and outcome.fingerprint.matcher == "gerbang"
    assert outcome.fingerprint.threshold == FUSION.sum_accept
    assert outcome.fingerprint.match is CheckOutcome.PASSED
    assert asked == [False, False]  # the enhanced set could not decide: not extracted


def test_one_raw_only_record_makes_the_decision_raw(
    store: Store, db1: Path, tmp_path: Path
) -> None:
    from biometrics.fingerprint.params import FUSION

    right = _template(db1, "101_1", RIGHT, "t-1", enhanced=True)
    left = _template(db1, "102_1", LEFT, "t-1")  # stored before the enhanced view existed
    _enrol(store, right, left)
    step = _step(_scanner(tmp_path, db1, ["101_2", "102_3"]), store)
    enrolled = step.enrolled("IDN", "C1234567")
    assert enrolled.fingers[RIGHT].enhanced is not None and enrolled.fingers[LEFT].enhanced is None
    outcome = step.run((RIGHT, LEFT), enrolled, lambda: False)
    assert outcome.fingerprint is not None and outcome.fingerprint.matcher == "gerbang"
    assert outcome.fingerprint.threshold == FUSION.sum_accept
    assert outcome.fingerprint.match is CheckOutcome.PASSED
    # only the right index asked: its record holds both sets, so gerbang_dual decides
    (tmp_path / "right").mkdir()
    alone = _step(_scanner(tmp_path / "right", db1, ["101_3"]), store)
    one = alone.run((RIGHT,), enrolled, lambda: False)
    assert one.fingerprint is not None and one.fingerprint.matcher == "gerbang_dual"


def test_records_stored_before_the_flow_are_verified_with_the_raw_sets(
    store: Store, db1: Path, tmp_path: Path
) -> None:
    from biometrics.fingerprint.params import FUSION

    right = _template(db1, "101_1", RIGHT, "t-1", enhanced=True, flow=False)
    left = _template(db1, "102_1", LEFT, "t-1", enhanced=True)
    _enrol(store, right, left)
    step = _step(_scanner(tmp_path, db1, ["101_2", "102_3"]), store)
    enrolled = step.enrolled("IDN", "C1234567")
    older = enrolled.fingers[RIGHT]
    assert older.enhanced is not None and older.flow is None and older.dual is None
    outcome = step.run((RIGHT, LEFT), enrolled, lambda: False)
    assert outcome.fingerprint is not None and outcome.fingerprint.matcher == "gerbang"
    assert outcome.fingerprint.threshold == FUSION.sum_accept
    assert outcome.fingerprint.match is CheckOutcome.PASSED


def test_a_watchlisted_finger_is_a_hit(enrolled_store: Store, db1: Path, tmp_path: Path) -> None:
    step = _step(_scanner(tmp_path, db1, ["105_4", "106_2"]), enrolled_store)
    outcome = step.run((RIGHT, LEFT), Enrolled(), lambda: False)  # not enrolled
    assert outcome.fingerprint is not None and outcome.watchlist is not None
    assert outcome.fingerprint.match is CheckOutcome.NOT_RUN
    assert outcome.watchlist.searched is CheckOutcome.FAILED
    assert outcome.watchlist.hit_entry_ids == ("wl-1",)


def test_a_blank_print_is_a_retry(enrolled_store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "blank"
    folder.mkdir()
    cv2.imwrite(str(folder / "00.png"), np.full((400, 400), 255, np.uint8))
    scanner = VirtualFingerprintScanner("finger", source=folder, capture_s=0.0)
    scanner.open()
    outcome = _step(scanner, enrolled_store).run((RIGHT,), Enrolled(), lambda: False)
    assert outcome.fingerprint is None and outcome.retry == LOW_QUALITY


def test_the_counters_finger_engine_makes_templates_the_kiosk_compares(db1: Path) -> None:
    from enrollment.fingers import FingerprintPipeline

    engine = FingerprintPipeline()
    first, second = (
        engine.capture(RIGHT, factories.image(), cv2.imread(str(db1 / f"{n}.tif"), 0))
        for n in ("107_1", "107_2")
    )
    assert first.template is not None and second.template is not None
    assert first.template.format == record.FORMAT and first.quality > 0
    stored_sets = record.finger_sets(first.template)
    assert stored_sets is not None and stored_sets.enhanced is not None  # both sets stored
    one, two = record.comparable(first.template), record.comparable(second.template)
    assert one is not None and two is not None
    from biometrics.fingerprint import api
    from biometrics.fingerprint.params import VERIFICATION

    assert api.compare(one, two) >= VERIFICATION.reject  # the same finger, two impressions


def test_counter_deduplication_finds_an_enrolled_finger(enrolled_store: Store, db1: Path) -> None:
    from enrollment.gallery import FaceGallery, GalleryDeduplicator

    dedup = GalleryDeduplicator(FaceGallery.in_memory(enrolled_store))
    same = _template(db1, "101_4", RIGHT, "new-person")  # t-1's right index, another impression
    (found,) = dedup.candidates(None, [same])
    assert (found.subject_id, found.gallery, found.modality) == ("t-1", "travellers", "fingerprint")
    watch = _template(db1, "105_2", RIGHT, "new-person")  # the watchlisted finger
    assert [c.gallery for c in dedup.candidates(None, [watch])] == ["watchlist"]
    other = _template(db1, "108_1", RIGHT, "new-person")  # nobody stored
    assert dedup.candidates(None, [other]) == []
    # the counter's calibrated hit point applies: one above this pair's score finds nothing
    assert found.matcher == "gerbang"  # stored without the enhanced set: the raw sets
    strict = GalleryDeduplicator(
        FaceGallery.in_memory(enrolled_store),
        finger_policy=dataclasses.replace(SHIPPED, watchlist_hit=found.score + 0.01),
    )
    assert [c.subject_id for c in strict.candidates(None, [same])] == []


def test_counter_deduplication_uses_gerbang_dual_where_both_sides_hold_it(
    store: Store, db1: Path
) -> None:
    """A stored finger with both sets and the flow is compared by gerbang_dual at its own
    hit point when the captured fingers hold them too; one without them by the raw sets."""
    from biometrics.fingerprint import dual
    from enrollment.gallery import FaceGallery, GalleryDeduplicator

    _enrol(store, _template(db1, "101_1", RIGHT, "t-1", enhanced=True))
    factories.watch_fingers(store, "wl-1", [_template(db1, "105_1", RIGHT, "wl-1")])
    gallery = FaceGallery.in_memory(store)
    same = _template(db1, "101_4", RIGHT, "new-person", enhanced=True)
    watched = _template(db1, "105_2", RIGHT, "new-person", enhanced=True)
    other = _template(db1, "108_1", RIGHT, "new-person", enhanced=True)
    runs = [
        GalleryDeduplicator(gallery, finger_chunk=chunk).candidates(None, [same, watched])
        for chunk in (1, 1000)
    ]
    assert runs[0] == runs[1]
    found = {c.subject_id: c for c in runs[0]}
    assert set(found) == {"t-1", "wl-1"}
    assert (found["t-1"].matcher, found["wl-1"].matcher) == ("gerbang_dual", "gerbang")
    probe, stored = record.finger_sets(same), record.finger_sets(_stored_finger(store, "t-1"))
    assert probe is not None and stored is not None and probe.dual and stored.dual
    assert found["t-1"].score == round(dual.compare(probe.dual, stored.dual), 4)
    assert found["t-1"].score >= DUAL_VERIFICATION.accept
    dedup = GalleryDeduplicator(gallery)
    assert dedup.candidates(None, [other]) == []
    # decided at gerbang_dual's own point: above this pair's score nothing is found, and
    # the raw sets do not step in for a pair both of whose sides hold gerbang_dual's
    strict = dataclasses.replace(SHIPPED, dual_watchlist_hit=found["t-1"].score + 0.005)
    assert GalleryDeduplicator(gallery, finger_policy=strict).candidates(None, [same]) == []
    # a probe without the enhanced set, or a policy without gerbang_dual: the raw sets
    raw_probe = _template(db1, "101_4", RIGHT, "new-person")
    no_dual = dataclasses.replace(SHIPPED, dual_watchlist_hit=None)
    for candidates in (
        dedup.candidates(None, [raw_probe]),
        GalleryDeduplicator(gallery, finger_policy=no_dual).candidates(None, [same]),
    ):
        assert [(c.subject_id, c.matcher) for c in candidates] == [("t-1", "gerbang")]


def _stored_finger(store: Store, subject: str) -> FingerprintTemplate:
    """The one stored finger template of ``subject``."""
    (row,) = [
        t
        for _, t in store.fingerprint_templates.iter_format(record.FORMAT)
        if t.subject_id == subject
    ]
    return row


def test_counter_deduplication_in_chunks_gives_the_pairwise_scores(
    enrolled_store: Store, db1: Path
) -> None:
    """The stored templates are stacked a chunk at a time; any chunk size gives the same
    candidates, and a candidate's score is the pairwise comparison's."""
    from biometrics.fingerprint import api, record
    from enrollment.gallery import FaceGallery, GalleryDeduplicator

    probes = [
        _template(db1, "101_4", RIGHT, "new-person"),
        _template(db1, "105_2", RIGHT, "new-person"),
    ]
    gallery = FaceGallery.in_memory(enrolled_store)
    loose = dataclasses.replace(SHIPPED, watchlist_hit=0.0)  # every stored finger a candidate
    runs = [
        GalleryDeduplicator(gallery, finger_policy=loose, finger_chunk=chunk).candidates(
            None, probes
        )
        for chunk in (1, 2, 1000)
    ]
    assert runs[0] == runs[1] == runs[2] and len(runs[0]) >= 2
    comparable = [t for t in (record.comparable(p) for p in probes) if t is not None]
    stored = list(enrolled_store.fingerprint_templates.iter_format(record.FORMAT))
    for candidate in runs[0]:
        pairwise = max(
            api.compare(probe, reference)
            for _, row in stored
            if row.subject_id == candidate.subject_id
            and (reference := record.comparable(row)) is not None
            for probe in comparable
        )
        assert candidate.score == round(pairwise, 4)
    with pytest.raises(ValueError, match="finger_chunk"):
        GalleryDeduplicator(gallery, finger_chunk=0)


def _saved_policy(tmp_path: Path, **points: float) -> FingerPolicy:
    """What the kiosk builds from a settings file with a saved [calibration.fingerprint]."""
    values = {
        "accept": 0.05,
        "reject": 0.03,
        "accept_fmr": 0.001,
        "reject_fmr": 0.01,
        "fused_accept": 0.08,
        "fused_reject": 0.06,
        "fused_accept_fmr": 0.001,
        "fused_reject_fmr": 0.01,
        "target_fmr": 0.001,
        "bit_cylinders": True,
        **points,
    }
    path = tmp_path / "gerbang.toml"
    savefile.save(path, CalibrationSettings(fingerprint=FingerprintOperatingPoint(**values)))
    policy = policy_from_settings(load_settings(path, {})[0].calibration.fingerprint)
    assert policy.source == "calibrated"
    return policy


def test_a_saved_fingerprint_point_changes_the_decision(
    enrolled_store: Store, db1: Path, tmp_path: Path
) -> None:
    def run(names: list[str], policy: FingerPolicy | None, folder: str) -> FingerprintOutcome:
        (tmp_path / folder).mkdir()
        scanner = _scanner(tmp_path / folder, db1, names)
        step = FingerStep(
            scanner,
            enrolled_store,
            timeout_s=2.0,
            clock=lambda: factories.NOW,
            **({"policy": policy} if policy else {}),
        )
        return step.run((RIGHT, LEFT), step.enrolled("IDN", "C1234567"), lambda: False)

    shipped = run(["101_2", "102_3"], None, "a")
    assert shipped.fingerprint is not None and shipped.fingerprint.score is not None
    assert shipped.fingerprint.match is CheckOutcome.PASSED
    score = shipped.fingerprint.score
    # a saved two-finger accept point above this traveller's summed score: no longer a match
    strict = _saved_policy(tmp_path, fused_accept=min(score + 0.01, 2.0), fused_reject=0.06)
    refused = run(["101_2", "102_3"], strict, "b")
    assert refused.fingerprint is not None
    assert refused.fingerprint.match is CheckOutcome.FAILED
    assert refused.fingerprint.threshold == strict.fusion.sum_accept
    # the saved one-finger accept is the watchlist-hit threshold too
    hit = run(["105_4", "106_2"], None, "c")
    assert hit.watchlist is not None and hit.watchlist.best_score is not None
    assert hit.watchlist.searched is CheckOutcome.FAILED
    above = _saved_policy(tmp_path, accept=min(hit.watchlist.best_score + 0.01, 1.0))
    missed = run(["105_4", "106_2"], above, "d")
    assert missed.watchlist is not None and missed.watchlist.searched is CheckOutcome.PASSED
    assert missed.watchlist.threshold == above.watchlist_hit


def test_the_watchlist_gallery_is_built_once_and_again_when_the_list_changes(
    enrolled_store: Store, db1: Path, tmp_path: Path
) -> None:
    step = _step(_scanner(tmp_path, db1, ["105_4", "106_2", "105_5", "106_3"]), enrolled_store)
    step.watchlist.refresh().join()  # what the runtime does at start and after a feed page
    assert step.watchlist.builds == 1
    first = step.run((RIGHT, LEFT), Enrolled(), lambda: False)
    assert first.watchlist is not None and first.watchlist.hit_entry_ids == ("wl-1",)
    assert step.watchlist.builds == 1  # the search used the gallery the refresh built
    factories.watch_fingers(enrolled_store, "wl-2", [_template(db1, "106_1", LEFT, "wl-2")])
    second = step.run((RIGHT, LEFT), Enrolled(), lambda: False)
    # the watchlist changed: the search did not wait for the rebuild it started, and
    # still found the new entry (the previous gallery plus the added fingers)
    assert step.watchlist.interim_searches == 1
    assert second.watchlist is not None and set(second.watchlist.hit_entry_ids) == {"wl-1", "wl-2"}
    step.watchlist.refresh().join(30)
    assert step.watchlist.builds == 2
    third = step.run((RIGHT, LEFT), Enrolled(), lambda: False)
    assert third.watchlist is not None and set(third.watchlist.hit_entry_ids) == {"wl-1", "wl-2"}
    assert step.watchlist.interim_searches == 1  # the rebuilt gallery served this one


def _watch(store: Store, db1: Path, name: str, entry_id: str, *, enhanced: bool) -> None:
    factories.watch_fingers(
        store, entry_id, [_template(db1, name, RIGHT, entry_id, enhanced=enhanced)]
    )


def test_a_watchlist_of_records_with_both_sets_is_searched_with_gerbang_dual(
    store: Store, db1: Path, tmp_path: Path
) -> None:
    _watch(store, db1, "105_1", "wl-1", enhanced=True)
    _watch(store, db1, "107_1", "wl-2", enhanced=True)
    step = _step(_scanner(tmp_path, db1, ["105_4", "106_2", "105_5", "106_3"]), store)
    assert step.watchlist.current().gallery.dual
    first = step.run((RIGHT, LEFT), Enrolled(), lambda: False)
    assert first.watchlist is not None and first.watchlist.hit_entry_ids == ("wl-1",)
    assert first.watchlist.threshold == DUAL_VERIFICATION.accept  # gerbang_dual's hit point
    assert first.watchlist.matcher == "gerbang_dual"
    # one entry imported as minutiae only: every probe is searched with the raw sets
    _watch(store, db1, "108_1", "wl-3", enhanced=False)
    step.watchlist.refresh().join(30)
    assert not step.watchlist.current().gallery.dual
    second = step.run((RIGHT, LEFT), Enrolled(), lambda: False)
    assert second.watchlist is not None and second.watchlist.hit_entry_ids == ("wl-1",)
    assert second.watchlist.threshold == VERIFICATION.accept
    assert second.watchlist.matcher == "gerbang"


def test_probes_of_mixed_kinds_are_all_searched_with_the_raw_sets(
    store: Store, db1: Path, tmp_path: Path
) -> None:
    _watch(store, db1, "105_1", "wl-1", enhanced=True)
    step = _step(_scanner(tmp_path, db1, ["105_4"]), store)

    def probe(name: str, enhanced: bool) -> FingerSets:
        gray = cv2.imread(str(db1 / f"{name}.tif"), cv2.IMREAD_GRAYSCALE)
        found = record.extract_pixels(gray, enhanced=enhanced)
        return FingerSets(found.template, found.enhanced, found.flow)

    both, raw_only = probe("105_4", True), probe("106_2", False)
    alone = step.search_watchlist([both])
    assert (alone.matcher, alone.threshold) == ("gerbang_dual", DUAL_VERIFICATION.accept)
    mixed = step.search_watchlist([both, raw_only])  # e.g. one enhanced set failed
    assert (mixed.matcher, mixed.threshold) == ("gerbang", VERIFICATION.accept)
    assert alone.hit_entry_ids == mixed.hit_entry_ids == ("wl-1",)
    nothing = step.search_watchlist([])
    assert nothing.matcher == "gerbang" and nothing.hit_entry_ids == ()


@pytest.mark.parametrize("enhanced", [False, True], ids=["raw", "dual"])
def test_a_large_watchlist_is_searched_through_the_index(
    store: Store, db1: Path, tmp_path: Path, enhanced: bool
) -> None:
    # more entries than the (lowered) exhaustive limit, so that the index has something to sort
    for finger in range(105, 111):
        _watch(store, db1, f"{finger}_1", f"wl-{finger}", enhanced=enhanced)
    params = dataclasses.replace(INDEX, exhaustive_below=2, dual_exhaustive_below=2, shortlist=3)
    watchlist = WatchlistFingers(
        store, lambda: factories.NOW, build=lambda refs: FingerGallery(refs, params)
    )
    step = FingerStep(
        _scanner(tmp_path, db1, ["105_4"]),
        store,
        timeout_s=2.0,
        clock=lambda: factories.NOW,
        watchlist=watchlist,
    )
    outcome = step.run((RIGHT,), Enrolled(), lambda: False)
    gallery = watchlist.current().gallery
    assert gallery.method == "index" and gallery.dual is enhanced
    assert outcome.watchlist is not None and outcome.watchlist.hit_entry_ids == ("wl-105",)
    hit_at = DUAL_VERIFICATION.accept if enhanced else VERIFICATION.accept
    assert outcome.watchlist.threshold == hit_at

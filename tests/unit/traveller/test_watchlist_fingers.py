"""The kiosk's watchlist finger gallery: decode once, skip vanished templates, fold refreshes,
and do not retry a failing build on every search."""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Sequence

import pytest

from biometrics.fingerprint import api, mcc, record
from biometrics.fingerprint.dual import FingerSets
from biometrics.fingerprint.flow import RidgeFlow
from biometrics.fingerprint.gallery import FingerGallery
from biometrics.fingerprint.template import MinutiaeTemplate
from kiosk.traveller import watchlist_fingers
from kiosk.traveller.watchlist_fingers import WatchlistFingers
from models.biometric import FingerPosition, SampleSource
from models.store import Store
from tests import factories
from tests.unit.fingerprint.synthetic import arch, flow_of, random_template


def _add_entry(store: Store, entry_id: str, seeds: Sequence[int]) -> list[str]:
    templates = [
        record.stored_template(
            random_template(30, seed=seed),
            FingerPosition.RIGHT_INDEX,
            subject_id=entry_id,
            created_at=factories.NOW,
            source=SampleSource.IMPORT,
        )
        for seed in seeds
    ]
    factories.watch_fingers(store, entry_id, templates)
    return [t.template_id for t in templates]


def test_a_rebuild_decodes_only_the_new_templates(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[str] = []
    original = record.finger_sets

    def counting(template: object) -> FingerSets | None:
        decoded.append(template.template_id)  # type: ignore[attr-defined]
        return original(template)  # type: ignore[arg-type]

    monkeypatch.setattr(record, "finger_sets", counting)
    _add_entry(store, "wl-1", [1, 2])
    fingers = WatchlistFingers(store, lambda: factories.NOW)
    assert len(fingers.current().gallery) == 2 and len(decoded) == 2
    new = _add_entry(store, "wl-2", [3])
    fingers.refresh().join(10)  # what the feed hook starts after the page
    built = fingers.current()
    assert len(built.gallery) == 3 and fingers.builds == 2 and fingers.interim_searches == 0
    assert decoded[2:] == new  # the two of wl-1 came from the cache


def test_a_template_deleted_meanwhile_is_skipped_not_a_failed_build(store: Store) -> None:
    _, second = _add_entry(store, "wl-1", [1, 2])
    store.fingerprint_templates.delete(second)  # as a sync page may do between the reads
    built = WatchlistFingers(store, lambda: factories.NOW).current()
    assert len(built.gallery) == 1 and built.skipped == 1 and built.entries == ("wl-1",)


def test_a_failed_build_is_not_retried_on_every_search(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_entry(store, "wl-1", [1])
    calls: list[int] = []

    def broken(references: Sequence[MinutiaeTemplate]) -> FingerGallery:
        calls.append(len(references))
        raise MemoryError("no room for the index")

    fingers = WatchlistFingers(store, lambda: factories.NOW, build=broken)
    for _ in range(3):
        with pytest.raises(MemoryError):
            fingers.current()
    assert calls == [1]  # the later searches failed at once (the traveller goes to an officer)
    monkeypatch.setattr(watchlist_fingers, "RETRY_AFTER_S", 0.0)
    with pytest.raises(MemoryError):
        fingers.current()
    assert calls == [1, 1]  # tried again once the wait is over


def test_refreshes_during_a_rebuild_fold_into_one_more(store: Store) -> None:
    _add_entry(store, "wl-1", [1])
    started, release = threading.Event(), threading.Event()
    builds: list[int] = []

    def slow(references: Sequence[MinutiaeTemplate]) -> FingerGallery:
        builds.append(len(references))
        started.set()
        release.wait(10)
        return FingerGallery(references)

    fingers = WatchlistFingers(store, lambda: factories.NOW, build=slow)
    thread = fingers.refresh()
    assert started.wait(10)
    _add_entry(store, "wl-2", [2])  # the watchlist changes while the build runs
    assert all(fingers.refresh() is thread for _ in range(5))  # folded, no new threads
    release.set()
    thread.join(10)
    assert not thread.is_alive()
    assert builds == [1, 2]  # the running build, then one more for the change


def test_a_search_during_a_rebuild_sees_the_changed_watchlist_without_waiting(
    store: Store,
) -> None:
    _add_entry(store, "wl-1", [1])
    _add_entry(store, "wl-2", [2])
    started, release = threading.Event(), threading.Event()

    def build(references: Sequence[MinutiaeTemplate]) -> FingerGallery:
        if fingers.builds:  # the first build is quick; the rebuild hangs until released
            started.set()
            release.wait(10)
        return FingerGallery(references)

    fingers = WatchlistFingers(store, lambda: factories.NOW, build=build)
    first = fingers.current()
    probe_2 = mcc.encode(random_template(30, seed=2))
    probe_3 = mcc.encode(random_template(30, seed=3))
    assert first.entries[first.gallery.search(probe_2)[0].reference] == "wl-2"
    store.watchlist.delete("wl-2")  # removed by a feed page ...
    _add_entry(store, "wl-3", [3])  # ... and another added
    interim = fingers.current()  # starts the rebuild, which now hangs
    assert started.wait(10) and fingers.interim_searches == 1
    hits = {interim.entries[h.reference]: h.score for h in interim.gallery.search(probe_3)}
    assert "wl-3" in hits and hits["wl-3"] > 0.5  # the added entry is searched at once
    assert "wl-2" not in {
        interim.entries[h.reference] for h in interim.gallery.search(probe_2)
    }  # the removed one is not, although the previous gallery still holds it
    release.set()
    assert fingers._refresher is not None
    fingers._refresher.join(10)
    rebuilt = fingers.current()
    assert fingers.builds == 2 and set(rebuilt.entries) == {"wl-1", "wl-3"}


@functools.cache
def _flow() -> RidgeFlow:
    return flow_of(arch())


def _add_dual_entry(store: Store, entry_id: str, seed: int) -> FingerSets:
    """An entry whose record holds both minutiae sets and the ridge flow (as one enrolled
    or imported from an image); returns the finger as a probe of the same finger."""
    raw, enhanced = random_template(30, seed=seed), random_template(28, seed=seed + 500)
    template = record.stored_template(
        raw,
        FingerPosition.RIGHT_INDEX,
        subject_id=entry_id,
        created_at=factories.NOW,
        source=SampleSource.IMPORT,
    )
    data = api.to_iso(
        raw, position=int(FingerPosition.RIGHT_INDEX), enhanced=enhanced, flow=_flow()
    )
    factories.watch_fingers(store, entry_id, [dataclasses.replace(template, data=data)])
    return FingerSets(mcc.encode(raw), mcc.encode(enhanced), _flow())


@pytest.mark.parametrize("added_dual", [True, False], ids=["dual-added", "raw-added"])
def test_the_interim_view_searches_both_parts_with_one_matcher(
    store: Store, added_dual: bool
) -> None:
    probe_1 = _add_dual_entry(store, "wl-1", 1)
    started, release = threading.Event(), threading.Event()

    def build(references: Sequence[FingerSets]) -> FingerGallery:
        if fingers.builds:  # the rebuild hangs: searches get the interim view
            started.set()
            release.wait(10)
        return FingerGallery(references)

    fingers = WatchlistFingers(store, lambda: factories.NOW, build=build)
    first = fingers.current()
    assert first.gallery.dual and first.gallery.uses_dual(probe_1)
    if added_dual:
        probe_2 = _add_dual_entry(store, "wl-2", 2)
    else:  # minutiae imported without an image
        _add_entry(store, "wl-2", [2])
        probe_2 = FingerSets(mcc.encode(random_template(30, seed=2)))
    interim = fingers.current()
    assert started.wait(10) and fingers.interim_searches == 1
    assert interim.gallery.dual is added_dual
    assert interim.gallery.uses_dual(probe_1) is added_dual
    hits = {interim.entries[h.reference]: h.score for h in interim.gallery.search(probe_1)}
    assert set(hits) == {"wl-1", "wl-2"} and max(hits, key=hits.__getitem__) == "wl-1"
    # the same matcher for both parts: every score is the one a whole gallery gives
    whole = FingerGallery(
        [
            f
            for f in (
                record.finger_sets(t)
                for _, t in store.fingerprint_templates.iter_format(record.FORMAT)
            )
            if f is not None
        ]
    )
    assert whole.dual is added_dual
    expected = sorted(h.score for h in whole.search(probe_1))
    # float32 batches: the similarities, and so which pairs align the flows, may differ
    # in their last bits between two gallery layouts
    assert sorted(hits.values()) == pytest.approx(expected, abs=2e-5)
    assert interim.entries[interim.gallery.search(probe_2)[0].reference] == "wl-2"
    release.set()
    assert fingers._refresher is not None
    fingers._refresher.join(10)

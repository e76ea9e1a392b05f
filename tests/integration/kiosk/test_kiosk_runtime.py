"""``gerbang kiosk``'s wiring: a settings file's devices, trust store, models, index and
offline policy, run through the kiosk window (offscreen) for one complete transaction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kiosk.runtime import KioskRuntime, build_runtime, trust_store
from models.errors import ConfigError
from models.events import Outcome
from models.policy import BorderPolicy
from models.settings import Settings, load_settings
from tests.virtualkiosk import write_settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NO_LIVENESS = BorderPolicy(require_liveness=False)  # the virtual camera plays a photograph


def _settings(folder: Path, *, mode: str = "development", server_url: str = "") -> Path:
    return write_settings(folder, mode=mode, server_url=server_url)


def _load(path: Path) -> Settings:
    settings, _ = load_settings(path)
    return settings


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[KioskRuntime]:
    path = _settings(tmp_path)
    runtime = build_runtime(_load(path), path.parent, policy=NO_LIVENESS)
    runtime.start()
    yield runtime
    runtime.close()


def test_kiosk_runs_a_transaction_on_the_configured_devices(
    qtbot: QtBot, runtime: KioskRuntime
) -> None:
    from kiosk.ui.kiosk_app import KioskApp

    app = KioskApp(runtime)
    qtbot.addWidget(app.window)
    try:
        assert app.window.idle.english.isEnabled()  # no central server: no offline policy
        with qtbot.waitSignal(app.controller.transaction_finished, timeout=120_000) as blocker:
            app.window.idle.english.click()
        decision = blocker.args[0].decision
        assert decision.outcome is Outcome.PASS, decision.reasons
        qtbot.waitUntil(lambda: runtime.store.outbox.depth() >= 1, timeout=10_000)
    finally:
        app.shutdown()


def test_offline_policy_closes_the_kiosk_to_self_service(qtbot: QtBot, tmp_path: Path) -> None:
    from kiosk.ui.kiosk_app import KioskApp

    path = _settings(tmp_path, server_url="https://central.invalid")
    runtime = build_runtime(_load(path), path.parent, policy=NO_LIVENESS)
    try:
        status = runtime.offline_status()
        assert status is not None and "not_registered" in status.as_json()["reasons"]
        app = KioskApp(runtime)
        qtbot.addWidget(app.window)
        assert app.check_offline_policy() is True
        assert not app.window.idle.english.isEnabled()
        assert "officer" in app.window.idle.subtitle.text()
        app.shutdown()
    finally:
        runtime.close()


def test_production_mode_refuses_virtual_devices(tmp_path: Path) -> None:
    path = _settings(tmp_path, mode="production")
    with pytest.raises(ConfigError, match=r"virtual|development"):
        build_runtime(_load(path), path.parent)


def test_a_missing_device_kind_is_named(tmp_path: Path) -> None:
    path = _settings(tmp_path)
    text = path.read_text()
    path.write_text(text[: text.index('[[devices.device]]\nid = "gate"')])
    with pytest.raises(ConfigError, match="gate"):
        build_runtime(_load(path), path.parent)


def test_the_face_step_decides_with_the_calibrated_operating_point(tmp_path: Path) -> None:
    from biometrics.face.params import VERIFICATION
    from enrollment.technician import savefile
    from models.settings import CalibrationSettings, FaceOperatingPoint

    path = _settings(tmp_path)
    runtime = build_runtime(_load(path), path.parent, policy=NO_LIVENESS)
    try:
        assert runtime.services.face.verification == VERIFICATION
    finally:
        runtime.close()
    point = FaceOperatingPoint(
        accept=0.93, reject=0.91, accept_fmr=0.0009, reject_fmr=0.01, target_fmr=0.001
    )
    savefile.save(path, CalibrationSettings(face=point))  # what `calibrate thresholds --save` does
    runtime = build_runtime(_load(path), path.parent, policy=NO_LIVENESS)
    try:
        policy = runtime.services.face.verification
        assert (policy.accept, policy.reject, policy.accept_fmr) == (0.93, 0.91, 0.0009)
    finally:
        runtime.close()


def test_the_finger_step_decides_with_the_calibrated_operating_points(tmp_path: Path) -> None:
    import cv2

    from biometrics.fingerprint.verify import SHIPPED
    from devices.virtual import media
    from enrollment.technician import savefile
    from models.settings import CalibrationSettings, FingerprintOperatingPoint

    prints = tmp_path / "prints"
    prints.mkdir()
    cv2.imwrite(str(prints / "0.png"), media.fingerprint(1))
    path = write_settings(tmp_path, prints=prints)
    runtime = build_runtime(_load(path), path.parent, policy=NO_LIVENESS)
    try:
        assert runtime.services.finger is not None
        assert runtime.services.finger.policy is SHIPPED
    finally:
        runtime.close()
    point = FingerprintOperatingPoint(
        accept=0.04,
        reject=0.03,
        accept_fmr=0.0009,
        reject_fmr=0.009,
        fused_accept=0.07,
        fused_reject=0.05,
        fused_accept_fmr=0.0,
        fused_reject_fmr=0.009,
        target_fmr=0.001,
        bit_cylinders=True,
    )
    savefile.save(path, CalibrationSettings(fingerprint=point))  # `calibrate thresholds --save`
    runtime = build_runtime(_load(path), path.parent, policy=NO_LIVENESS)
    try:
        assert runtime.services.finger is not None
        policy = runtime.services.finger.policy
        assert (policy.verification.accept, policy.fusion.sum_accept) == (0.04, 0.07)
        assert policy.watchlist_hit == 0.04 and policy.source == "calibrated"
    finally:
        runtime.close()


def test_staff_alerts_are_audited(tmp_path: Path) -> None:
    path = _settings(tmp_path)
    runtime = build_runtime(_load(path), path.parent, policy=NO_LIVENESS)
    try:
        runtime.services.alert_staff("device_failed")
        (record,) = [r for r in runtime.store.audit if r.action == "kiosk.alert"]
        assert record.subject == "device_failed" and record.actor == "kiosk:KIOSK-T-01"
    finally:
        runtime.close()


def test_feed_pages_update_the_face_index_without_a_rebuild(tmp_path: Path) -> None:
    """The sync engine's index hook: a watchlist entry from the feed is searchable at once,
    and its tombstone takes it out again."""
    from dataclasses import replace

    import numpy as np

    from biometrics.index import FACE_GALLERY, SearchFilter
    from models import codec
    from sync.protocol import FeedItem, FeedPage
    from tests.syncdata import NOW, watchlist_bundle

    path = _settings(tmp_path, server_url="https://central.invalid")
    runtime = build_runtime(_load(path), path.parent, policy=NO_LIVENESS)
    try:
        assert runtime.engine is not None
        bundle = watchlist_bundle("wl-1", np.random.default_rng(5))
        face = replace(bundle.face_templates[0], algorithm=FACE_GALLERY.template_kind)
        bundle = replace(bundle, face_templates=(face,))
        vector = face.as_array()

        def page(since: int, payload: object) -> FeedPage:
            item = FeedItem(since + 1, "watchlist", "wl-1", payload is None, payload)
            return FeedPage("KIOSK-T-01", "T", "n", since, since + 1, False, 0, (item,))

        runtime.engine.applier.apply(page(0, codec.to_json_value(bundle)))
        found = runtime.index.search(vector, 1, SearchFilter.watchlist(NOW))
        assert [c.row_id for c in found] == [runtime.store.face_templates.row_id(face.template_id)]
        runtime.engine.applier.apply(page(1, None))
        assert runtime.index.search(vector, 1, SearchFilter.watchlist(NOW)) == []
    finally:
        runtime.close()


def test_trust_anchors_from_the_feed_join_the_trust_store(tmp_path: Path) -> None:
    from models import codec
    from models.bundles import TrustAnchor

    path = _settings(tmp_path)
    runtime = build_runtime(_load(path), path.parent, policy=NO_LIVENESS)  # makes pki/
    try:
        csca = next((tmp_path / "pki").rglob("csca.der")).read_bytes()
        feed = runtime.store.feed_documents
        feed.put("trust_anchor", "a1", 1, codec.dumps(TrustAnchor("a1", "csca-der", csca)))
        feed.put("trust_anchor", "a2", 2, codec.dumps(TrustAnchor("a2", "csca-der", b"junk")))
        settings = _load(path)
        settings.documents.trust_paths.clear()  # only the feed
        trust = trust_store(settings, path.parent, runtime.store)
        assert len(trust) == 1 and [s.path for s in trust.sources] == [
            "feed:a1"
        ]  # the junk one refused
    finally:
        runtime.close()

"""Kiosk identity: one-time codes, signed requests, replay and clock-skew checks,
revocation, and what a kiosk may push and read."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import httpx
import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models import codec
from models.errors import SecurityError
from sync import protocol
from sync.errors import KioskRevokedError, RegistrationRefusedError
from sync.policy import KioskMode, OfflineReason
from sync.server.runner import ThreadedServer
from tests import factories
from tests.integration.sync.conftest import KioskFactory
from tests.syncdata import enrollment_bundle, face

pytestmark = pytest.mark.integration


def test_one_time_codes(server: ThreadedServer, make_kiosk: KioskFactory) -> None:
    central = server.central
    code = central.issue_code("WAYKANAN")["code"]
    _, first = make_kiosk(server, "K-1", register=False)
    first.register(code.lower().replace("-", " "))  # officers may type it loosely
    first.register(code)  # a retry after a lost answer is idempotent
    _, second = make_kiosk(server, "K-2", register=False)
    with pytest.raises(RegistrationRefusedError) as used:
        second.register(code)
    assert used.value.reason == "registration.used_code"
    with pytest.raises(RegistrationRefusedError) as office:
        second.register(central.issue_code("OTHER-OFFICE")["code"])
    assert office.value.reason == "registration.wrong_office"
    with pytest.raises(RegistrationRefusedError) as expired:
        second.register(central.issue_code("WAYKANAN", ttl_hours=-1)["code"])
    assert expired.value.reason == "registration.expired_code"
    with pytest.raises(RegistrationRefusedError) as unknown:
        second.register("AAAA-BBBB-CCCC-DDDD")
    assert unknown.value.reason == "registration.unknown_code"
    # another machine claiming an active kiosk id needs a code bound to that id
    _, impostor = make_kiosk(server, "K-1-copy", register=False)
    impostor.kiosk_id = "K-1"
    with pytest.raises(RegistrationRefusedError):
        impostor.register(central.issue_code("WAYKANAN")["code"])
    impostor.register(
        central.issue_code("WAYKANAN", kiosk_id="K-1")["code"]
    )  # re-keyed by an officer
    with pytest.raises(SecurityError, match="fingerprint"):
        second.register(central.issue_code("WAYKANAN")["code"], expect_fingerprint="00:11")
    assert [k["kiosk_id"] for k in central.kiosks("WAYKANAN")] == ["K-1", "K-2"]


def _raw_request(
    server: ThreadedServer,
    key: Ed25519PrivateKey,
    kiosk_id: str,
    *,
    timestamp: int,
    nonce: str | None = None,
) -> tuple[int, str, dict[str, str]]:
    headers = protocol.sign_request(
        key,
        kiosk_id=kiosk_id,
        method="GET",
        path="/v1/whoami",
        query="",
        body=b"",
        timestamp=timestamp,
        nonce=nonce,
    )
    response = httpx.get(f"{server.url}/v1/whoami", headers=headers)
    code = response.json().get("error", {}).get("code", "") if response.status_code >= 400 else ""
    return response.status_code, code, headers


def test_replay_skew_and_forgery_are_refused(
    server: ThreadedServer, make_kiosk: KioskFactory, tmp_path: object
) -> None:
    _, engine = make_kiosk(server, "K-1")
    key = engine._key
    now = int(datetime.now(UTC).timestamp())
    status, _, headers = _raw_request(server, key, "K-1", timestamp=now)
    assert status == 200
    replay = httpx.get(f"{server.url}/v1/whoami", headers=headers)
    assert (replay.status_code, replay.json()["error"]["code"]) == (401, "auth.replay")
    assert _raw_request(server, key, "K-1", timestamp=now - 3600)[:2] == (401, "auth.clock_skew")
    assert _raw_request(server, Ed25519PrivateKey.generate(), "K-1", timestamp=now)[:2] == (
        401,
        "auth.bad_signature",
    )
    assert _raw_request(server, key, "K-404", timestamp=now)[:2] == (401, "auth.unknown_kiosk")
    missing = httpx.get(f"{server.url}/v1/whoami")
    assert missing.json()["error"]["code"] == "auth.missing"
    assert protocol.H_SERVER_TIME.lower() in missing.headers


def test_a_kiosk_with_a_wrong_clock_adopts_the_servers(
    server: ThreadedServer, make_kiosk: KioskFactory
) -> None:
    skewed = lambda: datetime.now(UTC) + timedelta(hours=2)  # noqa: E731 - a clock
    store, engine = make_kiosk(server, "K-SKEW", clock=skewed)
    engine.run_once()
    offset = float(store.sync_state.get("clock.offset_s") or 0)
    assert -7300 < offset < -7100
    engine.run_once()  # the stored offset is used from the start


def test_revocation_stops_the_kiosk(server: ThreadedServer, make_kiosk: KioskFactory) -> None:
    _, engine = make_kiosk(server, "K-LOST")
    engine.run_once()
    server.central.revoke("K-LOST", reason="stolen")
    with pytest.raises(KioskRevokedError):
        engine.run_once()
    status = engine.status()
    assert status["revoked"] and status["last_error"] == "security.revoked"
    assert status["offline"]["mode"] == KioskMode.OFFICER_ONLY.value
    assert OfflineReason.REVOKED.value in status["offline"]["reasons"]


def test_a_kiosk_pushes_only_its_own_records(
    server: ThreadedServer, make_kiosk: KioskFactory
) -> None:
    store, engine = make_kiosk(server, "K-A")
    foreign = dataclasses.replace(factories.event("ev-x"), kiosk_id="K-B", office_id="WAYKANAN")
    other_office = dataclasses.replace(
        factories.event("ev-y"), kiosk_id="K-A", office_id="ELSEWHERE"
    )
    own = dataclasses.replace(factories.event("ev-z"), kiosk_id="K-A", office_id="WAYKANAN")
    with store.atomic():
        for event in (foreign, other_office, own):
            store.outbox.enqueue("verification_event", event.event_id, codec.dumps(event))
        store.outbox.enqueue("watchlist", "wl-push", b"{}")  # central is authoritative
        store.outbox.enqueue("referral", "bad", b'{"not": "a referral"}')
    report = engine.run_once()
    assert (report.push.accepted, report.push.rejected) == (1, 4)
    errors = {
        row["idempotency_key"]: row["last_error"]
        for row in store.database.query(
            "SELECT idempotency_key, last_error FROM outbox WHERE sent_at IS NULL"
        )
    }
    assert errors == {
        "ev-x": "rejected:not_own_record",
        "ev-y": "rejected:not_own_record",
        "wl-push": "rejected:unknown_kind",
        "bad": "rejected:malformed",
    }
    assert store.outbox.depth() == 4  # kept for technicians, retried a day later
    assert server.central.counts()["pushed"] == {"verification_event": 1}


def test_enrollments_reach_the_kiosks_of_their_office_only(
    server: ThreadedServer, make_kiosk: KioskFactory
) -> None:
    enrolling, a = make_kiosk(server, "K-A", "WAYKANAN")
    neighbour, b = make_kiosk(server, "K-B", "WAYKANAN")
    far, c = make_kiosk(server, "K-C", "ENTIKONG")
    bundle = enrollment_bundle(
        "en-1", "K-A", "WAYKANAN", template=face("tf-1", np.random.default_rng(3))
    )
    enrolling.outbox.enqueue("enrollment", "enrollment:en-1", codec.dumps(bundle))
    a.run_once()
    b.run_once()
    c.run_once()
    assert neighbour.enrollments.get("en-1") == bundle.enrollment
    assert neighbour.face_templates.get("tf-1") == bundle.face_templates[0]
    assert not far.enrollments.exists("en-1")
    # the office's policy reaches only that office
    policy = {
        "version": 2,
        "max_days_offline": 3,
        "watchlist_stale_hours": 12.0,
        "max_outbox_items": 100,
    }
    server.central.publish(
        [{"kind": "policy", "id": "ENTIKONG", "scope": "ENTIKONG", "payload": policy}]
    )
    b.run_once()
    c.run_once()
    assert c.policy().max_days_offline == 3 and c.policy().source == "office:ENTIKONG"
    assert b.policy().source == "settings"
    assert json.loads(json.dumps(c.status()))["policy"]["max_days_offline"] == 3

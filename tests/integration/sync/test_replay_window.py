"""Replay protection holds for the whole clock-skew window the server is configured with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sync import params, protocol
from sync.server import auth
from sync.server.apierror import ApiError
from sync.server.runner import ThreadedServer
from tests.integration.sync.conftest import KioskFactory

pytestmark = pytest.mark.integration


def _signed(engine: object, timestamp: int) -> dict[str, str]:
    return protocol.sign_request(
        engine._key,  # type: ignore[attr-defined]
        kiosk_id="K-1",
        method="GET",
        path="/v1/whoami",
        query="",
        body=b"",
        timestamp=timestamp,
    )


def test_a_nonce_outlives_a_wider_configured_skew_window(
    server: ThreadedServer, make_kiosk: KioskFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``max_clock_skew_s`` above the default, a nonce must be kept for twice that
    window, else a captured request is replayable once the nonce is purged."""
    _, engine = make_kiosk(server, "K-1")
    monkeypatch.setattr(params, "NONCE_PURGE_EVERY", 1)  # purge on every request
    skew = 900
    t0 = datetime.now(UTC)

    def call(headers: dict[str, str], now: datetime) -> None:
        with server.central.engine.begin() as conn:
            auth.authenticate(
                conn,
                headers,
                method="GET",
                path="/v1/whoami",
                query="",
                body=b"",
                now=now,
                max_skew_s=skew,
            )

    captured = _signed(engine, int(t0.timestamp()) + 850)  # a kiosk clock 850 s ahead
    call(captured, t0)
    later = t0 + timedelta(seconds=700)
    call(_signed(engine, int(later.timestamp())), later)  # purges expired nonces
    with pytest.raises(ApiError) as replay:
        call(captured, t0 + timedelta(seconds=1000))  # still inside the window
    assert replay.value.code == "auth.replay"

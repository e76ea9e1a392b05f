from __future__ import annotations

from datetime import UTC, datetime

import httpx

from sync import protocol
from sync.diagnostics import diagnose, probe_server

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def server(skew_s: int = 0, ready: int = 200) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        headers = {protocol.H_SERVER_TIME: str(int(NOW.timestamp()) + skew_s)}
        if request.url.path == "/healthz":
            return httpx.Response(200, json={"status": "ok"}, headers=headers)
        if request.url.path == "/readyz":
            return httpx.Response(ready, json={"status": "ok"}, headers=headers)
        return httpx.Response(404)

    return httpx.MockTransport(handle)


def test_a_healthy_server_in_time() -> None:
    probe = probe_server("https://central.example/v1", transport=server(), clock=lambda: NOW)
    assert probe["reachable"] is True and probe["url"] == "https://central.example"
    assert (probe["healthz"], probe["readyz"], probe["clock_skew_s"]) == (200, 200, 0.0)
    assert probe["problems"] == []


def test_clock_skew_plain_http_and_a_server_not_ready_are_problems() -> None:
    probe = probe_server(
        "http://central.example", transport=server(skew_s=-300, ready=503), clock=lambda: NOW
    )
    assert probe["clock_skew_s"] == -300.0
    assert probe["problems"] == ["not_https", "clock_skew", "server_not_ready"]


def test_an_unreachable_server_is_a_result_not_an_exception() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    probe = probe_server("https://central.example", transport=httpx.MockTransport(refuse))
    assert probe["reachable"] is False
    assert probe["problems"] == ["unreachable"]
    assert probe_server("")["problems"] == ["no_server_configured"]


def test_diagnose_adds_the_sync_state() -> None:
    status = {
        "registered": True,
        "revoked": False,
        "outbox_depth": 7,
        "last_success_at": "2026-11-24T10:00:00+00:00",
        "last_error": "sync.unreachable",
        "offline": {"mode": "normal", "reasons": []},
    }
    result = diagnose(status, {"reachable": False, "problems": ["unreachable"]})
    assert result["sync"]["outbox_depth"] == 7
    assert result["problems"] == ["unreachable", "last_sync_failed"]
    assert result["ok"] is False

"""Network and sync diagnostics for the technician: reachability, TLS, clock skew, sync state.

:func:`probe_server` asks the central server's unauthenticated ``/healthz`` and
``/readyz`` (no kiosk signature, nothing of the kiosk's data sent) and reports
whether it answered, how fast, the TLS version, cipher and certificate expiry of
an https connection, and the clock skew from the server's time header.
:func:`diagnose` adds the sync engine's own state (registration, outbox depth,
last sync, offline policy). Everything is JSON-ready and holds no personal data.
"""

from __future__ import annotations

import ssl
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from sync import params, protocol
from sync.client import Clock, utc_now

MAX_SKEW_S = 60.0  # request signatures allow this much (protocol); more is a problem


def _base(server_url: str) -> str:
    """The server's root: ``server_url`` without a trailing ``/v1`` API prefix."""
    url = server_url.rstrip("/")
    return url[: -len(protocol.API_PREFIX)] if url.endswith(protocol.API_PREFIX) else url


def _tls(response: httpx.Response) -> dict[str, Any] | None:
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None
    # httpcore gives ssl.SSLObject (async) or the C-level _ssl._SSLSocket (sync): the
    # same three methods either way
    ssl_object: Any = stream.get_extra_info("ssl_object")
    if ssl_object is None or not hasattr(ssl_object, "getpeercert"):
        return None
    cipher = ssl_object.cipher()
    cert = ssl_object.getpeercert() or {}
    expires = cert.get("notAfter")
    info: dict[str, Any] = {
        "version": ssl_object.version(),
        "cipher": cipher[0] if cipher else None,
        "certificate_expires": None,
        "certificate_days_left": None,
    }
    if isinstance(expires, str):
        when = datetime.fromtimestamp(ssl.cert_time_to_seconds(expires), UTC)
        info["certificate_expires"] = when.isoformat()
        info["certificate_days_left"] = (when - datetime.now(UTC)).days
    return info


def probe_server(
    server_url: str,
    *,
    transport: httpx.BaseTransport | None = None,
    verify: ssl.SSLContext | bool = True,
    clock: Clock = utc_now,
    timeout_s: float = params.HTTP_TIMEOUT_S,
) -> dict[str, Any]:
    """Reachability, latency, TLS and clock skew of the central server (never raises for
    network failures: they are the result)."""
    if not server_url:
        return {"configured": False, "reachable": False, "problems": ["no_server_configured"]}
    base = _base(server_url)
    scheme = urlsplit(base).scheme
    result: dict[str, Any] = {
        "configured": True,
        "url": base,
        "https": scheme == "https",
        "reachable": False,
    }
    problems: list[str] = [] if scheme == "https" else ["not_https"]
    with httpx.Client(
        transport=transport,
        verify=verify,
        timeout=httpx.Timeout(timeout_s, connect=params.HTTP_CONNECT_TIMEOUT_S),
        headers={"User-Agent": "gerbang-kiosk-diagnostics/1"},
    ) as http:
        started = time.monotonic()
        try:
            response = http.get(base + "/healthz")
        except httpx.ConnectError as exc:
            text = str(exc)
            tls_failed = "CERTIFICATE" in text.upper() or "SSL" in text.upper()
            problems.append("tls_failed" if tls_failed else "unreachable")
            return {
                **result,
                "error": type(exc).__name__,
                "detail": text[:200],
                "problems": problems,
            }
        except httpx.RequestError as exc:
            problems.append("unreachable")
            return {**result, "error": type(exc).__name__, "problems": problems}
        local = clock().timestamp()
        result["latency_ms"] = round((time.monotonic() - started) * 1000, 1)
        result["reachable"] = True
        result["healthz"] = response.status_code
        result["tls"] = _tls(response)
        raw = response.headers.get(protocol.H_SERVER_TIME, "")
        if raw.isdigit():
            skew = int(raw) - local
            result["clock_skew_s"] = round(skew, 1) + 0.0  # no "-0.0"
            if abs(skew) > MAX_SKEW_S:
                problems.append("clock_skew")
        else:
            result["clock_skew_s"] = None
        try:
            ready = http.get(base + "/readyz")
            result["readyz"] = ready.status_code
            if ready.status_code != 200:
                problems.append("server_not_ready")
        except httpx.RequestError:
            result["readyz"] = None
            problems.append("server_not_ready")
    if result["healthz"] != 200:
        problems.append("server_unhealthy")
    tls = result.get("tls")
    if tls and tls["certificate_days_left"] is not None and tls["certificate_days_left"] < 30:
        problems.append("certificate_expires_soon")
    return {**result, "problems": problems}


def diagnose(status: dict[str, Any], probe: dict[str, Any]) -> dict[str, Any]:
    """The sync engine's ``status()`` and a server probe, with the problems of both."""
    problems = list(probe.get("problems", []))
    offline = status.get("offline", {})
    if not status.get("registered"):
        problems.append("not_registered")
    if status.get("revoked"):
        problems.append("kiosk_revoked")
    if offline.get("mode") not in (None, "normal"):
        problems.append("degraded_" + str(offline.get("mode")))
    if status.get("last_error"):
        problems.append("last_sync_failed")
    return {
        "network": probe,
        "sync": {
            "registered": status.get("registered"),
            "revoked": status.get("revoked"),
            "checkpoint": status.get("checkpoint"),
            "outbox_depth": status.get("outbox_depth"),
            "last_success_at": status.get("last_success_at"),
            "last_attempt_at": status.get("last_attempt_at"),
            "last_error": status.get("last_error"),
            "clock_offset_s": status.get("clock_offset_s"),
            "policy": status.get("policy"),
            "offline": offline,
        },
        "problems": problems,
        "ok": not problems,
    }

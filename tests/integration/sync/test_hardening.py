"""Server hardening on a real server on loopback: authentication on every route,
security headers, strict validation, body and decompression limits, rate limits,
error answers that leak nothing, named API tokens."""

from __future__ import annotations

import dataclasses
import gzip
import json
import logging
import re
import socket
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.routing import APIRoute
from sqlalchemy import text
from starlette.routing import Route

from sync import params, protocol
from sync.engine import SyncEngine
from sync.errors import ServerBusyError
from sync.server.config import ServerConfig
from sync.server.hardening import CONTENT_SECURITY_POLICY
from sync.server.runner import ThreadedServer
from sync.server.tokens import Role
from tests.integration.sync.conftest import KioskFactory

pytestmark = pytest.mark.integration

PUBLIC = {"/healthz", "/readyz", "/openapi.json"}
PERSONAL_NAME = "NURHALIZA BINTI TARUDIN"


def _signed(
    engine: SyncEngine,
    method: str,
    path: str,
    *,
    body: bytes = b"",
    query: str = "",
    key: Ed25519PrivateKey | None = None,
    headers: dict[str, str] | None = None,
    http: httpx.Client | None = None,
) -> httpx.Response:
    auth = protocol.sign_request(
        key or engine._key,
        kiosk_id=engine.kiosk_id,
        method=method,
        path=path,
        query=query,
        body=body,
        timestamp=int(datetime.now(UTC).timestamp()),
    )
    url = engine.server_url + path + (f"?{query}" if query else "")
    send = http.request if http is not None else httpx.request
    return send(method, url, content=body, headers={**(headers or {}), **auth})


def _code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


@pytest.fixture
def sqlite_config(tmp_path: object) -> ServerConfig:
    from pathlib import Path

    root = Path(str(tmp_path))
    return ServerConfig.from_key_dir(f"sqlite:///{root / 'central.db'}", root / "server-keys")


@pytest.fixture
def sqlite_server(sqlite_config: ServerConfig) -> Iterator[ThreadedServer]:
    with ThreadedServer(sqlite_config) as running:
        yield running


# ---------------------------------------------------------------- authentication
def _routes(server: ThreadedServer) -> list[tuple[str, str]]:
    """(method, path) of every route, through included routers on any FastAPI version."""
    try:  # FastAPI >= 0.16x keeps included routers as nodes
        from fastapi.routing import iter_route_contexts

        routes = [
            (c.original_route, c.path, c.methods) for c in iter_route_contexts(server.app.routes)
        ]
    except ImportError:  # pragma: no cover - older FastAPI flattens them into app.routes
        routes = [
            (r, getattr(r, "path", None), getattr(r, "methods", None)) for r in server.app.routes
        ]
    found = []
    for route, path, methods in routes:
        # A mount or websocket route would need its own check: fail until it has one.
        assert isinstance(route, APIRoute | Route) and path, f"unexpected route {route!r}"
        for method in sorted((methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, path))
    return found


# The web dashboard (people, cookies): its sign-in page, stylesheet and language switch
# are public; every other page sends to the sign-in page; every POST needs a CSRF token.
DASHBOARD_PUBLIC = {"/dashboard/login", "/dashboard/static/dashboard.css"}
DASHBOARD_REDIRECTS = {"/dashboard", "/dashboard/", "/dashboard/lang/{code}"}


def _dashboard_refuses(method: str, path: str, response: httpx.Response) -> None:
    if method == "POST":
        assert response.status_code in (400, 422), (method, path, response.status_code)
    elif path in DASHBOARD_PUBLIC:
        assert response.status_code == 200, path
    elif path in DASHBOARD_REDIRECTS:
        assert response.status_code in (303, 400), path
    else:
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/dashboard/login?next="), path


def test_every_route_but_health_and_the_api_description_refuses_the_unauthenticated(
    server: ThreadedServer, make_kiosk: KioskFactory
) -> None:
    routes = _routes(server)
    public = set()
    refused = []
    http = httpx.Client()
    for method, path in routes:
        url = server.url + re.sub(r"\{[^}]+\}", "1", path)
        response = http.request(method, url, json={} if method == "POST" else None)
        if path.startswith("/dashboard"):
            _dashboard_refuses(method, path, response)
            continue
        if path in PUBLIC:
            assert response.status_code == 200, (method, path)
            public.add(path)
            continue
        assert response.status_code == 401, (method, path, response.text)
        assert _code(response) in {"auth.missing", "admin.missing_token"}, (method, path)
        refused.append(path)
    assert public == PUBLIC
    assert len(refused) >= 20 and "/v1/audit/heads" in refused and "/v1/register" in refused
    # forged or unknown credentials are refused too, and a viewer token cannot change things
    _, kiosk = make_kiosk(server, "K-AUTH", register=False)
    viewer = server.central.create_token("ci-viewer", Role.VIEWER)
    for method, path in routes:
        if path in PUBLIC or path.startswith("/dashboard"):
            continue
        url = server.url + re.sub(r"\{[^}]+\}", "1", path)
        if path.startswith("/admin/"):
            bogus = http.request(method, url, json={}, headers={"Authorization": "Bearer gbt_x"})
            assert (bogus.status_code, _code(bogus)) == (401, "admin.bad_token"), path
            if method != "GET":
                seen = http.request(
                    method, url, json={}, headers={"Authorization": f"Bearer {viewer}"}
                )
                assert (seen.status_code, _code(seen)) == (403, "admin.role"), path
        else:
            relative = path
            forged = _signed(kiosk, method, relative, body=b"{}", http=http)
            assert 400 <= forged.status_code < 500, (method, path, forged.text)
            if path != "/v1/register":  # registration checks the code, the kiosk is new
                assert _code(forged) == "auth.unknown_kiosk", path
    http.close()


def test_named_tokens_roles_revocation_and_the_request_log(
    sqlite_server: ThreadedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server = sqlite_server
    central = server.central
    admin = central.create_token("ops-admin", Role.ADMIN)
    viewer = central.create_token("dash-view", Role.VIEWER)
    as_admin = {"Authorization": f"Bearer {admin}"}
    as_viewer = {"Authorization": f"Bearer {viewer}"}
    caplog.set_level(logging.INFO)
    assert httpx.get(f"{server.url}/admin/v1/kiosks", headers=as_viewer).status_code == 200
    refused = httpx.post(
        f"{server.url}/admin/v1/registration-codes", json={"office_id": "W"}, headers=as_viewer
    )
    assert (refused.status_code, _code(refused)) == (403, "admin.role")
    issued = httpx.post(
        f"{server.url}/admin/v1/registration-codes", json={"office_id": "W"}, headers=as_admin
    )
    assert issued.status_code == 200
    listed = {
        t["name"]: t for t in httpx.get(f"{server.url}/admin/v1/tokens", headers=as_admin).json()
    }
    assert listed["dash-view"]["role"] == "viewer" and listed["dash-view"]["last_used_at"]
    assert "token" not in json.dumps(list(listed.values())).replace("token_", "")
    revoked = httpx.post(f"{server.url}/admin/v1/tokens/dash-view/revoke", headers=as_admin)
    assert revoked.json() == {"revoked": True}
    after = httpx.get(f"{server.url}/admin/v1/kiosks", headers=as_viewer)
    assert (after.status_code, _code(after)) == (401, "admin.bad_token")
    lines = [
        (r.getMessage(), getattr(r, "actor", None), getattr(r, "command", None))
        for r in caplog.records
    ]
    assert ("admin request", "dash-view", "GET /admin/v1/kiosks") in lines
    assert ("admin request", "ops-admin", "POST /admin/v1/registration-codes") in lines
    assert ("admin request refused", "dash-view", "POST /admin/v1/registration-codes") in lines
    everything = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert admin not in everything and viewer not in everything
    assert issued.json()["code"] not in everything


# ---------------------------------------------------------------- headers and errors
def test_security_headers_on_every_answer(sqlite_server: ThreadedServer) -> None:
    for response in (
        httpx.get(f"{sqlite_server.url}/healthz"),
        httpx.get(f"{sqlite_server.url}/admin/v1/kiosks"),
        httpx.get(f"{sqlite_server.url}/no/such/page"),
    ):
        h = response.headers
        assert h["x-content-type-options"] == "nosniff"
        assert h["x-frame-options"] == "DENY"
        assert h["referrer-policy"] == "no-referrer"
        assert h["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
        assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
        assert h["cache-control"] == "no-store"
        assert "strict-transport-security" not in h  # plain http: HSTS would be ignored
        assert "server" not in h
    missing = httpx.get(f"{sqlite_server.url}/no/such/page")
    assert (missing.status_code, _code(missing)) == (404, "http.404")
    # behind a trusted TLS-terminating proxy (X-Forwarded-Proto from 127.0.0.1)
    proxied = httpx.get(f"{sqlite_server.url}/healthz", headers={"X-Forwarded-Proto": "https"})
    assert proxied.headers["strict-transport-security"].startswith("max-age=63072000")


def test_errors_leak_no_traceback_sql_or_input(
    sqlite_server: ThreadedServer,
    make_kiosk: KioskFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = sqlite_server
    token = server.central.create_token("ops")
    auth = {"Authorization": f"Bearer {token}"}

    def broken() -> dict[str, object]:
        message = f"SELECT * FROM travellers WHERE name = '{PERSONAL_NAME}'"  # noqa: S608 - a fake error, not a query
        raise RuntimeError(message)

    monkeypatch.setattr(server.central, "counts", broken)
    caplog.set_level(logging.DEBUG)
    crashed = httpx.get(f"{server.url}/admin/v1/counts", headers=auth)
    assert (crashed.status_code, _code(crashed)) == (500, "server.internal")
    assert crashed.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    invalid = httpx.post(
        f"{server.url}/admin/v1/registration-codes",
        json={"office_id": "W", "name": PERSONAL_NAME},
        headers=auth,
    )
    assert (invalid.status_code, _code(invalid)) == (422, "request.invalid")
    assert "body.name (extra_forbidden)" in invalid.json()["error"]["message"]
    _, engine = make_kiosk(server, "K-ERR")
    with server.central.engine.begin() as conn:
        conn.execute(text("DROP TABLE request_nonces"))
    down = _signed(engine, "GET", "/v1/whoami")
    assert (down.status_code, _code(down)) == (503, "server.database")
    for response in (crashed, invalid, down):
        for leak in (PERSONAL_NAME, "SELECT", "Traceback", "request_nonces", "sqlite", 'File "'):
            assert leak not in response.text, (leak, response.text)
    logged = " ".join(f"{r.getMessage()} {r.exc_info!r} {r.exc_text!r}" for r in caplog.records)
    assert "RuntimeError" in logged  # the type is logged, with an error id ...
    assert crashed.json()["error"]["message"].split()[2].rstrip(";") in logged
    for leak in (PERSONAL_NAME, "SELECT", "Traceback", "request_nonces"):
        assert leak not in logged, leak  # ... never the message, SQL or a traceback


# ---------------------------------------------------------------- validation
def test_request_bodies_are_validated_strictly(
    sqlite_server: ThreadedServer, make_kiosk: KioskFactory
) -> None:
    server = sqlite_server
    auth = {"Authorization": f"Bearer {server.central.create_token('ops')}"}
    admin_cases = [
        ("/admin/v1/registration-codes", {"office_id": "W" * 65}),
        ("/admin/v1/registration-codes", {"office_id": "W; DROP TABLE kiosks"}),
        ("/admin/v1/feed", {"changes": [{"kind": "watchlist", "id": "x", "colour": "red"}]}),
        ("/admin/v1/feed", {"changes": [{"kind": "x" * 33, "id": "x"}]}),
        ("/admin/v1/feed", {"changes": [{"kind": "w", "id": f"{i}"} for i in range(10_001)]}),
        ("/admin/v1/dedup/run", {"threshold": 2}),
        ("/admin/v1/kiosks/K%20X/revoke", {"reason": "x"}),
    ]
    for path, body in admin_cases:
        response = httpx.post(server.url + path, json=body, headers=auth)
        assert (response.status_code, _code(response)) == (422, "request.invalid"), path
    flags = httpx.get(f"{server.url}/admin/v1/dedup/flags?status=everything", headers=auth)
    assert flags.status_code == 422
    store, engine = make_kiosk(server, "K-VAL")
    report = engine.health_report()
    for bad in (
        {**report, "extra": 1},
        {**report, "checkpoint": -1},
        {**report, "offline": {**report["offline"], "mode": "party"}},
        {**report, "offline": {**report["offline"], "reasons": ["x"] * 17}},
        {**report, "version": "v" * 65},
    ):
        response = _signed(engine, "POST", "/v1/status", body=json.dumps(bad).encode())
        assert (response.status_code, _code(response)) == (400, "status.malformed"), bad
    assert (
        _signed(engine, "POST", "/v1/status", body=json.dumps(report).encode()).status_code == 204
    )
    item = {
        "key": "k1",
        "kind": "verification_event",
        "created_at": "2026-01-01T00:00:00+00:00",
        "payload": "{}",
    }
    for batch in (
        {"items": [{**item, "extra": 1}]},
        {"items": [item], "more": True},
        {"items": [{**item, "key": "k" * 129}]},
        {"items": [{**item, "key": f"k{i}"} for i in range(params.PUSH_MAX_ITEMS + 1)]},
        {"items": [item, item]},
        {"items": "[" * 100_000},
    ):
        response = _signed(engine, "POST", "/v1/push", body=json.dumps(batch).encode())
        assert (response.status_code, _code(response)) == (400, "push.malformed")
    nested = b'{"items": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    response = _signed(engine, "POST", "/v1/push", body=nested)
    assert (response.status_code, _code(response)) == (400, "push.malformed")
    head = {"seq": 1, "entry_hash": "ab" * 32, "signature": "cd" * 64, "note": "x"}
    store.outbox.enqueue("audit_head", "audit_head:1", json.dumps(head).encode())
    assert engine.run_once().push.rejected == 1
    assert (
        store.database.query("SELECT last_error FROM outbox")[0]["last_error"]
        == "rejected:malformed"
    )


# ---------------------------------------------------------------- size limits
def _raw_http(port: int, request: bytes, timeout: float = 10.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer


def test_body_limits_declared_streamed_and_inflated(
    sqlite_server: ThreadedServer, make_kiosk: KioskFactory
) -> None:
    server = sqlite_server
    fake = "X-Gerbang-Kiosk: K\r\nX-Gerbang-Timestamp: 1\r\nX-Gerbang-Nonce: n\r\n"
    fake += "X-Gerbang-Content-SHA256: 0\r\nX-Gerbang-Signature: s\r\n"
    declared = _raw_http(
        server.port,
        f"POST /v1/push HTTP/1.1\r\nHost: x\r\n{fake}Content-Length: 9999999999\r\n\r\n".encode(),
    )
    assert declared.startswith(b"HTTP/1.1 413") and b"request.too_large" in declared
    chunk = b"x" * 16384
    streamed = f"POST /v1/status HTTP/1.1\r\nHost: x\r\n{fake}Transfer-Encoding: chunked\r\n\r\n"
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(5))  # 80 KiB > 64 KiB
    answer = _raw_http(server.port, streamed.encode() + body)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    admin = _raw_http(
        server.port,
        b"POST /admin/v1/registration-codes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(65)),  # > 1 MiB
    )
    assert admin.startswith(b"HTTP/1.1 413"), admin[:200]
    _, engine = make_kiosk(server, "K-BOMB")
    # 256 MiB of zeros in ~260 KiB: after a full flush deflate starts afresh, so every
    # further MiB compresses to the same bytes. (No trailer: inflating must stop first.)
    squeeze, zeros = zlib.compressobj(9, zlib.DEFLATED, 31), bytes(1 << 20)
    first = squeeze.compress(zeros) + squeeze.flush(zlib.Z_FULL_FLUSH)
    bomb = first + (squeeze.compress(zeros) + squeeze.flush(zlib.Z_FULL_FLUSH)) * 255
    assert len(bomb) < 300_000 < params.PUSH_MAX_BODY_BYTES
    gz = {"Content-Encoding": "gzip"}
    response = _signed(engine, "POST", "/v1/push", body=bomb, headers=gz)
    assert (response.status_code, _code(response)) == (413, "request.too_large")
    good = gzip.compress(json.dumps({"items": []}).encode())
    for broken in (good + b"trailing", good[:-4], b"not gzip at all"):
        response = _signed(engine, "POST", "/v1/push", body=broken, headers=gz)
        assert (response.status_code, _code(response)) == (400, "request.gzip")
    assert _signed(engine, "POST", "/v1/push", body=good, headers=gz).json() == {"results": []}
    brotli = _signed(engine, "POST", "/v1/push", body=good, headers={"Content-Encoding": "br"})
    assert (brotli.status_code, _code(brotli)) == (415, "request.encoding")


# ---------------------------------------------------------------- rate limits
def test_per_address_limit_spares_health_checks(sqlite_config: ServerConfig) -> None:
    config = dataclasses.replace(sqlite_config, rate_ip_per_s=0.2, rate_ip_burst=3)
    with ThreadedServer(config) as server:
        statuses = [httpx.get(f"{server.url}/v1/whoami").status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        limited = httpx.get(f"{server.url}/admin/v1/kiosks")
        assert _code(limited) == "rate.client" and int(limited.headers["retry-after"]) >= 1
        assert limited.headers["x-content-type-options"] == "nosniff"
        assert all(httpx.get(f"{server.url}/readyz").status_code == 200 for _ in range(5))


def test_per_kiosk_limit_is_counted_in_the_database(
    server_config: ServerConfig, make_kiosk: KioskFactory
) -> None:
    config = dataclasses.replace(server_config, rate_kiosk_per_min=4)
    with ThreadedServer(config) as server:
        _, busy = make_kiosk(server, "K-BUSY")
        _, calm = make_kiosk(server, "K-CALM")
        # the registration request counted too: 1 + 3 = 4 in the last minute
        assert [_signed(busy, "GET", "/v1/whoami").status_code for _ in range(3)] == [200] * 3
        refused = _signed(busy, "GET", "/v1/whoami")
        assert (refused.status_code, _code(refused)) == (429, "rate.kiosk")
        assert refused.headers["retry-after"] == str(params.RATE_RETRY_AFTER_S)
        with pytest.raises(ServerBusyError):
            busy.run_once()
        assert _signed(calm, "GET", "/v1/whoami").status_code == 200  # its own budget
        # a second server instance on the same database sees the same count
        with ThreadedServer(config) as other:
            again = httpx.get(
                other.url + "/v1/whoami",
                headers=protocol.sign_request(
                    busy._key,
                    kiosk_id="K-BUSY",
                    method="GET",
                    path="/v1/whoami",
                    query="",
                    body=b"",
                    timestamp=int(datetime.now(UTC).timestamp()),
                ),
            )
            assert _code(again) == "rate.kiosk"

"""Server hardening as ASGI middleware and error handlers: :func:`install` adds them.

From the outside in:

* :class:`SecurityHeaders` — ``X-Content-Type-Options``, ``X-Frame-Options``,
  ``Referrer-Policy``, a strict ``Content-Security-Policy`` (self only, no inline
  script or style, no framing), ``Cache-Control: no-store`` unless the route set
  one, and HSTS on answers over https (``X-Forwarded-Proto`` from a trusted proxy
  counts, see ``[server] forwarded_allow_ips``).
* :class:`ErrorShield` — any exception that escapes a handler becomes a plain
  ``500 server.internal`` answer with an error id; the log gets the id and the
  exception's type, never its message or traceback (they can quote data).
* :class:`ClientRateLimit` — a token bucket per client address and process
  (:mod:`sync.server.ratelimit` explains why there, and what it means behind a
  load balancer).
* :class:`BodyLimit` — the request body of each route is bounded: a declared
  ``Content-Length`` over the limit is refused before anything is read, and a
  chunked body is counted as it arrives. (Inflated gzip pushes are bounded
  separately, in the push handler.)

Validation errors and HTTP errors get the API's error shape
``{"error": {"code", "message"}}``; the message names the fields that failed,
never the values sent.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync import params, protocol
from sync.server.config import ServerConfig
from sync.server.ratelimit import TokenBuckets

log = logging.getLogger(__name__)

# Routes answered without authentication: liveness, readiness, the API description.
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json"})
# Not rate limited per address: load balancers probe these from a few addresses.
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz"})

BODY_LIMITS = {
    protocol.API_PREFIX + "/push": params.PUSH_MAX_BODY_BYTES,
    protocol.API_PREFIX + "/register": params.REGISTER_MAX_BODY_BYTES,
    protocol.API_PREFIX + "/status": params.STATUS_MAX_BODY_BYTES,
    "/admin/v1/feed": params.ADMIN_MAX_BODY_BYTES,
}

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    (b"cache-control", b"no-store"),
)
HSTS = (
    b"strict-transport-security",
    f"max-age={params.HSTS_MAX_AGE_S}; includeSubDomains".encode(),
)


def _path(scope: Scope) -> str:
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def _send_error(
    send: Send, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class ErrorShield:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # noqa: BLE001 - the outermost boundary: answer, log the type only
            error_id = secrets.token_hex(6)
            log.error(  # noqa: TRY400 - no traceback: messages and frames can quote data
                "unhandled error %s (%s)",
                error_id,
                type(exc).__name__,
                extra={"code": "server.internal", "path": _path(scope)[:200]},
            )
            if not started:
                await _send_error(
                    send,
                    500,
                    "server.internal",
                    f"internal error {error_id}; the server log names its type",
                )


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                if https and HSTS[0] not in present:
                    headers.append(HSTS)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ClientRateLimit:
    def __init__(self, app: ASGIApp, *, rate: float, burst: int) -> None:
        self.app = app
        self.buckets = TokenBuckets(rate, max(1, burst)) if rate > 0 else None
        self._refused = 0
        self._reported_at = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.buckets is None or _path(scope) in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.buckets.take(client[0] if client else "-")
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        self._refused += 1
        now = time.monotonic()
        if now - self._reported_at >= 10:  # one log line per 10 s, however hard the flood
            log.warning(
                "requests refused by the per-address rate limit",
                extra={"code": "rate.client", "count": self._refused},
            )
            self._refused, self._reported_at = 0, now
        await _send_error(
            send,
            429,
            "rate.client",
            "too many requests from this address; slow down",
            {"Retry-After": str(max(1, round(wait + 0.5)))},
        )


class _TooLarge(HTTPException):
    """Raised while the body is read; FastAPI passes HTTP exceptions through to the handler."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"body larger than {limit} bytes")


class BodyLimit:
    def __init__(self, app: ASGIApp, *, limits: dict[str, int], default: int) -> None:
        self.app = app
        self.limits = limits
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(_path(scope), self.default)
        for name, value in scope.get("headers", []):
            if name == b"content-length" and (not value.isdigit() or int(value) > limit):
                await _send_error(send, 413, "request.too_large", f"body larger than {limit} bytes")
                return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _send_error(send, 413, "request.too_large", f"body larger than {limit} bytes")


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)[:120]


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    fields = sorted({f"{_field(e.get('loc', ()))} ({e.get('type', '?')})" for e in errors})
    return JSONResponse(
        {
            "error": {
                "code": "request.invalid",
                "message": "request does not match the schema: " + "; ".join(fields[:10]),
            }
        },
        status_code=422,
    )


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
    headers = exc.headers if isinstance(exc, StarletteHTTPException) else None
    detail = exc.detail if isinstance(exc, StarletteHTTPException) else ""
    message = detail if isinstance(detail, str) and len(detail) <= 200 else "request refused"
    code = "request.too_large" if status == 413 else f"http.{status}"
    return JSONResponse(
        {"error": {"code": code, "message": message}},
        status_code=status,
        headers=headers,
    )


def install(app: FastAPI, config: ServerConfig) -> None:
    """Add the hardening layers to ``app`` (outermost last)."""
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_middleware(BodyLimit, limits=BODY_LIMITS, default=params.DEFAULT_MAX_BODY_BYTES)
    app.add_middleware(ClientRateLimit, rate=config.rate_ip_per_s, burst=config.rate_ip_burst)
    app.add_middleware(ErrorShield)
    app.add_middleware(SecurityHeaders)  # outermost: on every answer, the shield's 500 too

"""Kiosk endpoints: registration, the signed feed, push, status."""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.security import APIKeyHeader
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from sync import params, protocol
from sync.errors import ProtocolError
from sync.server import auth, feeds, ingest, registry
from sync.server import schema as s
from sync.server.api_models import (
    FEED_PAGE_SCHEMA,
    PUSH_REQUEST_SCHEMA,
    STATUS_REQUEST_SCHEMA,
    PushResults,
    RegisterRequest,
    Registration,
    ServerKey,
    WhoAmI,
)
from sync.server.apierror import ApiError, bad_request
from sync.server.db import translate_errors, upsert
from sync.server.service import Central

router = APIRouter(prefix=protocol.API_PREFIX, tags=["kiosk"])
# Documents the scheme in OpenAPI; the check itself is auth.authenticate().
signed = APIKeyHeader(
    name=protocol.H_SIGNATURE,
    scheme_name="kioskSignature",
    description=(
        "GERBANG-ED25519-V1 signed request: X-Gerbang-Kiosk, -Timestamp, -Nonce, "
        "-Content-SHA256 and this Ed25519 signature (see docs/sync.md)."
    ),
    auto_error=False,
)
Signed = Annotated[str | None, Depends(signed)]


def central(request: Request) -> Central:
    c: Central = request.app.state.central
    return c


def _path(request: Request) -> str:
    path: str = request.scope["path"]
    root: str = request.scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "request.too_large", f"body larger than {limit} bytes")
    try:
        body = await request.body()
    except ClientDisconnect as exc:  # the connection was cut mid-request: nothing to do
        raise ApiError(400, "request.incomplete", "the client went away mid-request") from exc
    if len(body) > limit:
        raise ApiError(413, "request.too_large", f"body larger than {limit} bytes")
    return body


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("/server-key", response_model=ServerKey, tags=["public"])
def server_key(request: Request) -> ServerKey:
    """The server's feed-signing public key (kiosks pin it at registration)."""
    key = central(request).public_key
    return ServerKey(public_key=protocol.b64(key), fingerprint=protocol.fingerprint(key))


@router.post("/register", response_model=Registration, tags=["public"])
async def register(request: Request) -> Registration:
    """Register a kiosk with an officer's one-time code.

    The request is signed like every other, with the key being registered
    (proof of possession). The answer carries the server key to pin.
    """
    body = await _body(request, 16 * 1024)
    try:
        data = RegisterRequest.model_validate_json(body)
        public_key = protocol.unb64(data.public_key)
    except (ValueError, ProtocolError) as exc:
        raise bad_request("register.malformed", "register body does not match the schema") from exc
    if len(public_key) != 32:
        raise bad_request("register.malformed", "public_key must be 32 bytes")
    c = central(request)
    method, path, query, headers = (
        request.method,
        _path(request),
        request.url.query,
        request.headers,
    )

    def work() -> Registration:
        now = _now()
        h = auth.check_signature(
            headers,
            method=method,
            path=path,
            query=query,
            body=body,
            public_key=public_key,
            now=now,
            max_skew_s=c.config.max_clock_skew_s,
        )
        if h[protocol.H_KIOSK] != data.kiosk_id:
            raise bad_request("register.malformed", "signed kiosk id differs from the body's")
        with translate_errors("register"), c.engine.begin() as conn:
            kiosk = registry.register(
                conn,
                code=data.code,
                kiosk_id=data.kiosk_id,
                office_id=data.office_id,
                public_key=public_key,
                now=now,
            )
            auth.remember_nonce(conn, kiosk.kiosk_id, h[protocol.H_NONCE], now)
        return Registration(
            kiosk_id=kiosk.kiosk_id,
            office_id=kiosk.office_id,
            server_public_key=protocol.b64(c.public_key),
            server_key_fingerprint=protocol.fingerprint(c.public_key),
            registered_at=kiosk.registered_at.isoformat(),
        )

    return await run_in_threadpool(work)


@router.get("/whoami", response_model=WhoAmI)
async def whoami(request: Request, _sig: Signed) -> WhoAmI:
    """The authenticated kiosk (a cheap check of registration and clock)."""
    c = central(request)
    method, path, query, headers = (
        request.method,
        _path(request),
        request.url.query,
        request.headers,
    )

    def work() -> WhoAmI:
        with translate_errors("whoami"), c.engine.begin() as conn:
            kiosk, _ = auth.authenticate(
                conn,
                headers,
                method=method,
                path=path,
                query=query,
                body=b"",
                now=_now(),
                max_skew_s=c.config.max_clock_skew_s,
            )
        return WhoAmI(kiosk_id=kiosk.kiosk_id, office_id=kiosk.office_id, status=kiosk.status)

    return await run_in_threadpool(work)


@router.get(
    "/feed",
    responses={200: {"content": {"application/json": {"schema": FEED_PAGE_SCHEMA}}}},
)
async def feed(
    request: Request,
    _sig: Signed,
    since: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=params.FEED_MAX_PAGE_SIZE)] = params.FEED_PAGE_SIZE,
) -> Response:
    """One page of the change feed after ``since``, signed by the server key
    (``X-Gerbang-Feed-Signature``). Global changes and the kiosk's office's."""
    c = central(request)
    method, path, query, headers = (
        request.method,
        _path(request),
        request.url.query,
        request.headers,
    )

    def work() -> bytes:
        now = _now()
        with translate_errors("feed"), c.engine.begin() as conn:
            kiosk, nonce = auth.authenticate(
                conn,
                headers,
                method=method,
                path=path,
                query=query,
                body=b"",
                now=now,
                max_skew_s=c.config.max_clock_skew_s,
            )
        with translate_errors("feed"), c.engine.connect() as conn:
            return feeds.page_body(
                conn,
                kiosk_id=kiosk.kiosk_id,
                office_id=kiosk.office_id,
                nonce=nonce,
                since=since,
                limit=limit,
                server_time=int(now.timestamp()),
            )

    body = await run_in_threadpool(work)
    signature = protocol.sign_feed(c.config.signing_key, body)
    return Response(
        content=body,
        media_type="application/json",
        headers={protocol.H_FEED_SIGNATURE: signature},
    )


def _inflate(body: bytes, encoding: str) -> bytes:
    if encoding in ("", "identity"):
        return body
    if encoding != "gzip":
        raise ApiError(415, "request.encoding", f"unsupported content encoding {encoding!r}")
    inflater = zlib.decompressobj(wbits=31)
    try:
        data = inflater.decompress(body, params.PUSH_MAX_INFLATED_BYTES)
    except zlib.error as exc:
        raise bad_request("request.gzip", "body is not valid gzip") from exc
    if inflater.unconsumed_tail:
        raise ApiError(413, "request.too_large", "inflated body too large")
    return data


def _items(data: Any) -> list[Any]:
    items = data["items"]
    if not isinstance(items, list):
        raise TypeError("items is not a list")
    return items


@router.post(
    "/push",
    response_model=PushResults,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": PUSH_REQUEST_SCHEMA}},
        }
    },
)
async def push(request: Request, _sig: Signed) -> Response:
    """A batch of outbox items (gzip allowed: ``Content-Encoding: gzip``).

    Each item is answered ``accepted``, ``duplicate`` (stored before: done) or
    ``rejected`` with a code; the batch is one transaction.
    """
    body = await _body(request, params.PUSH_MAX_BODY_BYTES)
    c = central(request)
    method, path, query, headers = (
        request.method,
        _path(request),
        request.url.query,
        request.headers,
    )
    encoding = request.headers.get("content-encoding", "").lower()

    def work() -> bytes:
        now = _now()
        with translate_errors("push"), c.engine.begin() as conn:
            kiosk, _ = auth.authenticate(
                conn,
                headers,
                method=method,
                path=path,
                query=query,
                body=body,
                now=now,
                max_skew_s=c.config.max_clock_skew_s,
            )
            try:
                items = _items(json.loads(_inflate(body, encoding)))
                results = ingest.ingest(conn, kiosk, items, now=now, index_key=c.config.index_key)
            except (ValueError, KeyError, TypeError) as exc:
                raise bad_request("push.malformed", f"push batch: {exc}") from exc
        # Built directly (the documented PushResults shape): this is the hot path.
        return json.dumps({"results": results}, separators=(",", ":")).encode()

    return Response(await run_in_threadpool(work), media_type="application/json")


@router.post(
    "/status",
    status_code=204,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": STATUS_REQUEST_SCHEMA}},
        }
    },
)
async def status(request: Request, _sig: Signed) -> Response:
    """The kiosk's sync health (checkpoint, outbox depth, offline policy state)."""
    body = await _body(request, 64 * 1024)
    c = central(request)
    method, path, query, headers = (
        request.method,
        _path(request),
        request.url.query,
        request.headers,
    )

    def work() -> None:
        now = _now()
        with translate_errors("status"), c.engine.begin() as conn:
            kiosk, _ = auth.authenticate(
                conn,
                headers,
                method=method,
                path=path,
                query=query,
                body=body,
                now=now,
                max_skew_s=c.config.max_clock_skew_s,
            )
            try:
                data: Any = json.loads(body)
                offline = data["offline"]
                values = {
                    "reported_at": now,
                    "checkpoint": int(data["checkpoint"]),
                    "outbox_depth": int(data["outbox_depth"]),
                    "mode": str(offline["mode"])[:16],
                    "payload": json.dumps(data, separators=(",", ":")),
                }
            except (ValueError, KeyError, TypeError) as exc:
                raise bad_request("status.malformed", f"status report: {exc}") from exc
            stmt = upsert(conn, s.kiosk_status).values(kiosk_id=kiosk.kiosk_id, **values)
            conn.execute(stmt.on_conflict_do_update(index_elements=["kiosk_id"], set_=values))

    await run_in_threadpool(work)
    return Response(status_code=204)

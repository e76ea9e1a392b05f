"""Kiosk endpoints: registration, the signed feed, push, status."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.security import APIKeyHeader
from pydantic import ValidationError
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from sync import params, protocol
from sync.errors import ProtocolError
from sync.server import audit_heads, auth, feeds, ingest, ratelimit, registry
from sync.server import schema as s
from sync.server.api_models import (
    FEED_PAGE_SCHEMA,
    PUSH_REQUEST_SCHEMA,
    STATUS_REQUEST_SCHEMA,
    AuditHeads,
    PushBatchIn,
    PushResults,
    RegisterRequest,
    Registration,
    ServerKey,
    StatusIn,
    WhoAmI,
)
from sync.server.apierror import ApiError, bad_request
from sync.server.db import translate_errors, upsert
from sync.server.registry import Kiosk
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


@dataclass(frozen=True, slots=True)
class _Signed:
    """What the signature check needs of a request, taken on the event loop."""

    method: str
    path: str
    query: str
    headers: dict[str, str]

    @classmethod
    def of(cls, request: Request) -> _Signed:
        return cls(request.method, _path(request), request.url.query, dict(request.headers))

    def authenticate(
        self, conn: Connection, c: Central, body: bytes, now: datetime
    ) -> tuple[Kiosk, str]:
        """The active kiosk that signed this request and its nonce; then its rate limit."""
        kiosk, nonce = auth.authenticate(
            conn,
            self.headers,
            method=self.method,
            path=self.path,
            query=self.query,
            body=body,
            now=now,
            max_skew_s=c.config.max_clock_skew_s,
        )
        ratelimit.check_kiosk_rate(conn, kiosk.kiosk_id, now, c.config.rate_kiosk_per_min)
        return kiosk, nonce


@router.get("/server-key", response_model=ServerKey)
async def server_key(request: Request, _sig: Signed) -> ServerKey:
    """The server's feed-signing public key (the kiosk pinned it at registration)."""
    c = central(request)
    signed = _Signed.of(request)

    def work() -> ServerKey:
        with translate_errors("server key"), c.engine.begin() as conn:
            signed.authenticate(conn, c, b"", _now())
        key = c.public_key
        return ServerKey(public_key=protocol.b64(key), fingerprint=protocol.fingerprint(key))

    return await run_in_threadpool(work)


@router.post(
    "/register",
    response_model=Registration,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": RegisterRequest.model_json_schema()}},
        }
    },
)
async def register(request: Request, _sig: Signed) -> Registration:
    """Register a kiosk with an officer's one-time code.

    The request is signed like every other, with the key being registered
    (proof of possession). The answer carries the server key to pin.
    """
    auth.require_headers(request.headers)  # unauthenticated: refused before reading a byte
    body = await _body(request, params.REGISTER_MAX_BODY_BYTES)
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
            auth.remember_nonce(
                conn,
                kiosk.kiosk_id,
                h[protocol.H_NONCE],
                now,
                max_skew_s=c.config.max_clock_skew_s,
            )
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
    signed = _Signed.of(request)

    def work() -> WhoAmI:
        with translate_errors("whoami"), c.engine.begin() as conn:
            kiosk, _ = signed.authenticate(conn, c, b"", _now())
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
    signed = _Signed.of(request)

    def work() -> bytes:
        now = _now()
        with translate_errors("feed"), c.engine.begin() as conn:
            kiosk, nonce = signed.authenticate(conn, c, b"", now)
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
    """The body, gunzipped into at most PUSH_MAX_INFLATED_BYTES (a zip bomb stops there)."""
    if encoding in ("", "identity"):
        return body
    if encoding != "gzip":
        raise ApiError(415, "request.encoding", "unsupported content encoding (gzip or none)")
    inflater = zlib.decompressobj(wbits=31)
    try:
        data = inflater.decompress(body, params.PUSH_MAX_INFLATED_BYTES)
    except zlib.error as exc:
        raise bad_request("request.gzip", "body is not valid gzip") from exc
    if inflater.unconsumed_tail:
        raise ApiError(
            413,
            "request.too_large",
            f"inflated body larger than {params.PUSH_MAX_INFLATED_BYTES} bytes",
        )
    if not inflater.eof or inflater.unused_data:
        raise bad_request("request.gzip", "body is not exactly one complete gzip member")
    return data


def _fields(exc: ValidationError) -> str:
    """Where a body failed validation, never the values sent."""
    return "; ".join(
        sorted({".".join(str(p) for p in e["loc"]) + f" ({e['type']})" for e in exc.errors()})[:5]
    )


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
    auth.require_headers(request.headers)
    body = await _body(request, params.PUSH_MAX_BODY_BYTES)
    c = central(request)
    signed = _Signed.of(request)
    encoding = request.headers.get("content-encoding", "").lower()

    def work() -> bytes:
        now = _now()
        with translate_errors("push"), c.engine.begin() as conn:
            kiosk, _ = signed.authenticate(conn, c, body, now)
            try:
                batch = PushBatchIn.model_validate_json(_inflate(body, encoding))
            except ValidationError as exc:
                raise bad_request("push.malformed", f"push batch: {_fields(exc)}") from exc
            try:
                results = ingest.ingest(
                    conn, kiosk, batch.items, now=now, index_key=c.config.index_key
                )
            except ingest.DuplicateKeyError as exc:
                raise bad_request("push.malformed", "an idempotency key appears twice") from exc
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
    auth.require_headers(request.headers)
    body = await _body(request, params.STATUS_MAX_BODY_BYTES)
    c = central(request)
    signed = _Signed.of(request)

    def work() -> None:
        now = _now()
        with translate_errors("status"), c.engine.begin() as conn:
            kiosk, _ = signed.authenticate(conn, c, body, now)
            try:
                report = StatusIn.model_validate_json(body)
            except ValidationError as exc:
                raise bad_request("status.malformed", f"status report: {_fields(exc)}") from exc
            values = {
                "reported_at": now,
                "checkpoint": report.checkpoint,
                "outbox_depth": report.outbox_depth,
                "mode": report.offline.mode.value,
                "payload": report.model_dump_json(),
            }
            stmt = upsert(conn, s.kiosk_status).values(kiosk_id=kiosk.kiosk_id, **values)
            conn.execute(stmt.on_conflict_do_update(index_elements=["kiosk_id"], set_=values))

    await run_in_threadpool(work)
    return Response(status_code=204)


@router.get("/audit/heads", response_model=AuditHeads)
async def held_audit_heads(
    request: Request,
    _sig: Signed,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=params.AUDIT_HEADS_PAGE)] = params.AUDIT_HEADS_PAGE,
) -> Response:
    """The audit-chain heads the centre holds for this kiosk's key, oldest first, after
    ``after`` (``gerbang audit verify --from-server`` anchors verification at them).
    Signed by the server key like a feed page (``X-Gerbang-Feed-Signature``)."""
    c = central(request)
    signed = _Signed.of(request)

    def work() -> bytes:
        now = _now()
        with translate_errors("audit heads"), c.engine.begin() as conn:
            kiosk, nonce = signed.authenticate(conn, c, b"", now)
            key = audit_heads.key_id(kiosk.public_key)
            heads = audit_heads.history(conn, kiosk.kiosk_id, key, after=after, limit=limit + 1)
        answer = {
            "kiosk_id": kiosk.kiosk_id,
            "nonce": nonce,
            "key_id": key,
            "heads": heads[:limit],
            "more": len(heads) > limit,
        }
        return json.dumps(answer, separators=(",", ":")).encode()

    body = await run_in_threadpool(work)
    return Response(
        content=body,
        media_type="application/json",
        headers={protocol.H_FEED_SIGNATURE: protocol.sign_feed(c.config.signing_key, body)},
    )

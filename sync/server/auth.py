"""Verification of signed kiosk requests (scheme in :mod:`sync.protocol`).

Order matters: the cheap checks first, the signature before anything is
written, and the nonce last, so that an unauthenticated caller can neither
fill the nonce table nor burn a kiosk's nonces. The nonce table is the replay
protection shared by every server instance.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete

from sync import params, protocol
from sync.server import registry
from sync.server import schema as s
from sync.server.apierror import forbidden, unauthorized
from sync.server.db import upsert
from sync.server.registry import Kiosk

REQUIRED = (
    protocol.H_KIOSK,
    protocol.H_TIMESTAMP,
    protocol.H_NONCE,
    protocol.H_CONTENT_SHA256,
    protocol.H_SIGNATURE,
)


# Longest value of each header that a well-formed request can carry.
_MAX_LENGTH = {
    protocol.H_KIOSK: 64,
    protocol.H_TIMESTAMP: 16,
    protocol.H_NONCE: 64,
    protocol.H_CONTENT_SHA256: 64,
    protocol.H_SIGNATURE: 100,  # base64 of 64 bytes is 88
}


def _headers(headers: Mapping[str, str]) -> dict[str, str]:
    lower = {k.lower(): v for k, v in headers.items()}
    missing = [h for h in REQUIRED if h.lower() not in lower]
    if missing:
        raise unauthorized("auth.missing", f"missing authentication headers: {', '.join(missing)}")
    found = {h: lower[h.lower()] for h in REQUIRED}
    if any(len(found[h]) > n for h, n in _MAX_LENGTH.items()):
        raise unauthorized("auth.malformed", "an authentication header is too long")
    return found


def require_headers(headers: Mapping[str, str]) -> None:
    """401 unless the signature headers are there (checked before a body is read)."""
    _headers(headers)


def check_signature(
    headers: Mapping[str, str],
    *,
    method: str,
    path: str,
    query: str,
    body: bytes,
    public_key: bytes,
    now: datetime,
    max_skew_s: int,
) -> dict[str, str]:
    """Check timestamp window, body hash and signature; returns the auth headers."""
    h = _headers(headers)
    try:
        timestamp = int(h[protocol.H_TIMESTAMP])
    except ValueError as exc:
        raise unauthorized("auth.bad_timestamp", "timestamp is not an integer") from exc
    if abs(now.timestamp() - timestamp) > max_skew_s:
        raise unauthorized(
            "auth.clock_skew",
            f"request time is more than {max_skew_s} s from the server's clock",
        )
    nonce = h[protocol.H_NONCE]
    if not (16 <= len(nonce) <= 64) or not nonce.isalnum():
        raise unauthorized("auth.bad_nonce", "nonce must be 16-64 letters or digits")
    if protocol.sha256_hex(body) != h[protocol.H_CONTENT_SHA256].lower():
        raise unauthorized("auth.body_hash", "body does not match its signed hash")
    message = protocol.string_to_sign(
        method=method,
        path=path,
        query=query,
        kiosk_id=h[protocol.H_KIOSK],
        timestamp=timestamp,
        nonce=nonce,
        body_sha256=h[protocol.H_CONTENT_SHA256].lower(),
    )
    if not protocol.verify_request(public_key, h[protocol.H_SIGNATURE], message):
        raise unauthorized("auth.bad_signature", "signature does not verify")
    return h


def nonce_retention_s(max_skew_s: int) -> int:
    """How long a nonce is kept: a request passes the window check for up to twice the
    allowed skew after it is first seen, so its nonce must be kept at least that long."""
    return max(params.NONCE_RETENTION_S, 2 * max_skew_s)


def remember_nonce(
    conn: Connection,
    kiosk_id: str,
    nonce: str,
    now: datetime,
    *,
    max_skew_s: int = params.MAX_CLOCK_SKEW_S,
) -> None:
    """Record a nonce; a second use is a replay. Sometimes purges expired nonces."""
    stmt = (
        upsert(conn, s.request_nonces)
        .values(kiosk_id=kiosk_id, nonce=nonce, seen_at=now)
        .on_conflict_do_nothing(index_elements=["kiosk_id", "nonce"])
        .returning(s.request_nonces.c.nonce)
    )
    if conn.execute(stmt).first() is None:
        raise unauthorized("auth.replay", "this request was seen already (nonce reused)")
    if secrets.randbelow(params.NONCE_PURGE_EVERY) == 0:
        cutoff = now - timedelta(seconds=nonce_retention_s(max_skew_s))
        conn.execute(delete(s.request_nonces).where(s.request_nonces.c.seen_at < cutoff))


def authenticate(
    conn: Connection,
    headers: Mapping[str, str],
    *,
    method: str,
    path: str,
    query: str,
    body: bytes,
    now: datetime,
    max_skew_s: int,
) -> tuple[Kiosk, str]:
    """The authenticated, active kiosk of a request and its nonce; raises ApiError."""
    h = _headers(headers)
    kiosk = registry.get_kiosk(conn, h[protocol.H_KIOSK])
    if kiosk is None:
        raise unauthorized("auth.unknown_kiosk", "this kiosk is not registered")
    check_signature(
        headers,
        method=method,
        path=path,
        query=query,
        body=body,
        public_key=kiosk.public_key,
        now=now,
        max_skew_s=max_skew_s,
    )
    if kiosk.status != registry.ACTIVE:
        raise forbidden("kiosk.revoked", "this kiosk has been revoked")
    remember_nonce(conn, kiosk.kiosk_id, h[protocol.H_NONCE], now, max_skew_s=max_skew_s)
    return kiosk, h[protocol.H_NONCE]

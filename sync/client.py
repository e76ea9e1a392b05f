"""The kiosk's HTTP client for the central server (httpx, injected transport).

Every request is signed with the kiosk's Ed25519 key (:mod:`sync.protocol`).
When the server says the kiosk's clock is outside its window, the client
adopts the server's clock offset (from ``X-Gerbang-Server-Time``) and retries
once. Feed pages are verified against the server key pinned at registration
before they are parsed.

Tests pass ``transport=httpx.MockTransport(handler)``; production passes none.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models.audit import ChainHead
from models.errors import SecurityError
from models.store.outbox import OutboxItem
from sync import params, protocol
from sync.errors import (
    AuthenticationError,
    FeedIntegrityError,
    KioskRevokedError,
    NotRegisteredError,
    ProtocolError,
    RegistrationRefusedError,
    RequestRefusedError,
    ServerBusyError,
    ServerFailedError,
    ServerUnreachableError,
)

Clock = Callable[[], datetime]
log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Registration:
    kiosk_id: str
    office_id: str
    server_public_key: bytes
    server_key_fingerprint: str
    registered_at: datetime


class SyncClient:
    def __init__(
        self,
        base_url: str,
        *,
        kiosk_id: str,
        signing_key: Ed25519PrivateKey,
        server_public_key: bytes | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = utc_now,
        clock_offset_s: float = 0.0,
        timeout_s: float = params.HTTP_TIMEOUT_S,
    ) -> None:
        if not base_url:
            raise NotRegisteredError("no central server configured (sync.server_url)")
        self.kiosk_id = kiosk_id
        self.server_public_key = server_public_key
        self.clock_offset_s = clock_offset_s
        self._key = signing_key
        self._clock = clock
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            transport=transport,
            timeout=httpx.Timeout(timeout_s, connect=params.HTTP_CONNECT_TIMEOUT_S),
            headers={"User-Agent": "gerbang-kiosk/1"},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------ transport
    def _timestamp(self) -> int:
        return int(self._clock().timestamp() + self.clock_offset_s)

    def _send(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        key: Ed25519PrivateKey | None = None,
    ) -> tuple[httpx.Response, str]:
        qs = urlencode(sorted((k, str(v)) for k, v in (query or {}).items()))
        target = protocol.API_PREFIX + path
        # Attempt 2 happens once, after either a clock-skew refusal (with the server's
        # clock adopted) or a dropped keep-alive connection (the server closed an idle
        # connection as we reused it). Every request is safe to repeat: pushes are
        # idempotent and each attempt is signed afresh with a new nonce.
        for attempt in (1, 2):
            auth = protocol.sign_request(
                key or self._key,
                kiosk_id=self.kiosk_id,
                method=method,
                path=target,
                query=qs,
                body=body,
                timestamp=self._timestamp(),
            )
            try:
                response = self._http.request(
                    method,
                    target + (f"?{qs}" if qs else ""),
                    content=body,
                    headers={**(headers or {}), **auth},
                )
            except httpx.DecodingError as exc:
                raise ProtocolError(f"{path}: answer could not be decoded") from exc
            except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
                if attempt == 1:
                    log.debug("connection dropped; retrying once", extra={"attempt": attempt})
                    continue
                raise ServerUnreachableError(
                    f"central server unreachable ({type(exc).__name__})"
                ) from exc
            except httpx.RequestError as exc:
                raise ServerUnreachableError(
                    f"central server unreachable ({type(exc).__name__})"
                ) from exc
            if attempt == 1 and self._adopt_server_clock(response):
                continue
            self._raise_for_error(response, path)
            return response, auth[protocol.H_NONCE]
        raise AssertionError("unreachable")  # pragma: no cover

    def _adopt_server_clock(self, response: httpx.Response) -> bool:
        if response.status_code != 401 or _error_code(response) != "auth.clock_skew":
            return False
        raw = response.headers.get(protocol.H_SERVER_TIME, "")
        if not raw.isdigit():
            return False
        self.clock_offset_s = int(raw) - self._clock().timestamp()
        return True

    @staticmethod
    def _raise_for_error(response: httpx.Response, path: str) -> None:
        status = response.status_code
        if status < 400:
            return
        code = _error_code(response) or f"http.{status}"
        if status == 429:
            retry = response.headers.get("Retry-After", "")
            raise ServerBusyError(
                f"{path}: rate limited by the server ({code})",
                retry_after_s=float(retry) if retry.isdigit() else 60.0,
            )
        if status >= 500:
            raise ServerFailedError(f"{path}: server failed ({code})", status=status)
        if code == "kiosk.revoked":
            raise KioskRevokedError("this kiosk has been revoked by the central server")
        if code.startswith("registration."):
            raise RegistrationRefusedError(f"registration refused: {code}", reason=code)
        if status in (401, 403):
            raise AuthenticationError(f"{path}: server refused the request ({code})", reason=code)
        raise RequestRefusedError(
            f"{path}: server answered {status} ({code})", status=status, reason=code
        )

    # ------------------------------------------------------------ API
    def register(self, code: str, *, office_id: str) -> Registration:
        body = json.dumps(
            {
                "code": code,
                "kiosk_id": self.kiosk_id,
                "office_id": office_id,
                "public_key": protocol.b64(protocol.public_key_bytes(self._key)),
            }
        ).encode()
        response, _ = self._send(
            "POST", "/register", body=body, headers={"Content-Type": "application/json"}
        )
        data = _json(response)
        try:
            key = protocol.unb64(str(data["server_public_key"]))
            registration = Registration(
                kiosk_id=str(data["kiosk_id"]),
                office_id=str(data["office_id"]),
                server_public_key=key,
                server_key_fingerprint=protocol.fingerprint(key),
                registered_at=datetime.fromisoformat(str(data["registered_at"])),
            )
        except (KeyError, ValueError) as exc:
            raise ProtocolError("register answer does not have the documented shape") from exc
        if registration.kiosk_id != self.kiosk_id or len(key) != 32:
            raise ProtocolError("register answer is for another kiosk")
        self.server_public_key = key
        return registration

    def whoami(self) -> dict[str, Any]:
        response, _ = self._send("GET", "/whoami")
        return _json(response)

    def push(self, items: Sequence[OutboxItem]) -> list[protocol.PushOutcome]:
        batch = [
            protocol.PushItem(
                key=i.idempotency_key,
                kind=i.kind,
                created_at=i.created_at.isoformat(),
                payload=i.payload.decode(),
            )
            for i in items
        ]
        body = protocol.encode_push(batch, level=params.PUSH_GZIP_LEVEL)
        response, _ = self._send(
            "POST",
            "/push",
            body=body,
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
        return protocol.parse_push_results(_json(response), batch)

    def fetch_page(self, since: int, *, limit: int = params.FEED_PAGE_SIZE) -> protocol.FeedPage:
        """One verified feed page after ``since``. Raises FeedIntegrityError if tampered."""
        if self.server_public_key is None:
            raise NotRegisteredError("no pinned server key: register this kiosk first")
        response, nonce = self._send("GET", "/feed", query={"since": since, "limit": limit})
        body = response.content
        signature = response.headers.get(protocol.H_FEED_SIGNATURE, "")
        if not protocol.verify_feed(self.server_public_key, body, signature):
            raise FeedIntegrityError("feed page signature does not verify; nothing applied")
        page = protocol.parse_feed_page(body)
        if page.kiosk_id != self.kiosk_id or page.nonce != nonce or page.since != since:
            raise FeedIntegrityError("feed page answers another request; nothing applied")
        return page

    def audit_heads(
        self, after: int = 0, *, limit: int = params.AUDIT_HEADS_PAGE
    ) -> tuple[list[ChainHead], bool]:
        """The audit-chain heads the centre holds for this kiosk after ``after``, oldest
        first, and whether more follow. The answer is verified like a feed page."""
        if self.server_public_key is None:
            raise NotRegisteredError("no pinned server key: register this kiosk first")
        response, nonce = self._send("GET", "/audit/heads", query={"after": after, "limit": limit})
        signature = response.headers.get(protocol.H_FEED_SIGNATURE, "")
        if not protocol.verify_feed(self.server_public_key, response.content, signature):
            raise FeedIntegrityError("audit heads answer: signature does not verify")
        data = _json(response)
        if data.get("kiosk_id") != self.kiosk_id or data.get("nonce") != nonce:
            raise FeedIntegrityError("audit heads answer is for another request")
        raw = data.get("heads")
        if not isinstance(raw, list):
            raise ProtocolError("audit heads answer: no heads list")
        try:
            heads = [ChainHead.from_json(item) for item in raw]
        except SecurityError as exc:
            raise ProtocolError("audit heads answer: a malformed head") from exc
        return heads, bool(data.get("more"))

    def report_status(self, report: dict[str, Any]) -> None:
        body = json.dumps(report, separators=(",", ":")).encode()
        self._send("POST", "/status", body=body, headers={"Content-Type": "application/json"})


def _error_code(response: httpx.Response) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return None
    error = data.get("error") if isinstance(data, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError as exc:
        raise ProtocolError("server answer is not JSON") from exc
    if not isinstance(data, dict):
        raise ProtocolError("server answer is not a JSON object")
    return data

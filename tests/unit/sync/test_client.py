"""The sync client against httpx.MockTransport: signing, clock skew, errors, feed checks."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models.store.outbox import OutboxItem
from sync import protocol
from sync.client import SyncClient
from sync.errors import (
    AuthenticationError,
    FeedIntegrityError,
    KioskRevokedError,
    NotRegisteredError,
    ProtocolError,
    RegistrationRefusedError,
    ServerBusyError,
    ServerFailedError,
    ServerUnreachableError,
)

KIOSK_KEY = Ed25519PrivateKey.generate()
SERVER_KEY = Ed25519PrivateKey.generate()
SERVER_PUBLIC = protocol.public_key_bytes(SERVER_KEY)
T = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)

Handler = Callable[[httpx.Request], httpx.Response]


def _client(
    handler: Handler, *, clock: datetime = T, pinned: bytes | None = SERVER_PUBLIC
) -> SyncClient:
    return SyncClient(
        "http://central.test/api",
        kiosk_id="K-1",
        signing_key=KIOSK_KEY,
        server_public_key=pinned,
        transport=httpx.MockTransport(handler),
        clock=lambda: clock,
    )


def _check_signature(request: httpx.Request) -> int:
    """What the server does: returns the signed timestamp; fails the test on a bad signature."""
    h = request.headers
    body = request.content
    assert h[protocol.H_CONTENT_SHA256] == protocol.sha256_hex(body)
    path = request.url.path.removeprefix("/api")
    message = protocol.string_to_sign(
        method=request.method,
        path=path,
        query=request.url.query.decode(),
        kiosk_id=h[protocol.H_KIOSK],
        timestamp=int(h[protocol.H_TIMESTAMP]),
        nonce=h[protocol.H_NONCE],
        body_sha256=h[protocol.H_CONTENT_SHA256],
    )
    assert protocol.verify_request(
        protocol.public_key_bytes(KIOSK_KEY), h[protocol.H_SIGNATURE], message
    )
    return int(h[protocol.H_TIMESTAMP])


def _error(status: int, code: str, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": code}}, headers=headers)


def test_requests_are_signed_over_the_api_relative_path() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        _check_signature(request)
        seen.append(request.url.path)
        return httpx.Response(200, json={"kiosk_id": "K-1", "office_id": "O", "status": "active"})

    with _client(handler) as client:
        assert client.whoami()["office_id"] == "O"
    assert seen == ["/api/v1/whoami"]


def test_clock_skew_is_corrected_from_the_server_time_and_retried_once() -> None:
    server_now = int(T.timestamp()) + 7200  # the kiosk's clock is two hours slow
    stamps: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        stamp = _check_signature(request)
        stamps.append(stamp)
        if abs(stamp - server_now) > 300:
            return _error(401, "auth.clock_skew", **{protocol.H_SERVER_TIME: str(server_now)})
        return httpx.Response(200, json={"kiosk_id": "K-1", "office_id": "O", "status": "active"})

    client = _client(handler)
    client.whoami()
    assert stamps == [int(T.timestamp()), server_now]
    assert client.clock_offset_s == 7200
    client.whoami()  # the offset is kept: no second refusal
    assert len(stamps) == 3


def test_a_second_skew_refusal_is_an_authentication_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return _error(401, "auth.clock_skew", **{protocol.H_SERVER_TIME: "1"})

    with pytest.raises(AuthenticationError) as info:
        _client(handler).whoami()
    assert info.value.reason == "auth.clock_skew"


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (_error(403, "kiosk.revoked"), KioskRevokedError),
        (_error(403, "registration.used_code"), RegistrationRefusedError),
        (_error(401, "auth.replay"), AuthenticationError),
        (_error(503, "server.database"), ServerFailedError),
        (httpx.Response(500, text="boom"), ServerFailedError),
        (_error(400, "push.malformed"), ProtocolError),
        (httpx.Response(200, text="not json"), ProtocolError),
    ],
)
def test_answers_map_to_the_error_tree(response: httpx.Response, error: type[Exception]) -> None:
    with pytest.raises(error):
        _client(lambda _r: response).whoami()


def test_network_failure_is_unreachable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ServerUnreachableError):
        _client(handler).whoami()


def test_register_pins_the_server_key_and_proves_possession() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        _check_signature(request)
        body = json.loads(request.content)
        assert protocol.unb64(body["public_key"]) == protocol.public_key_bytes(KIOSK_KEY)
        return httpx.Response(
            200,
            json={
                "kiosk_id": body["kiosk_id"],
                "office_id": body["office_id"],
                "server_public_key": protocol.b64(SERVER_PUBLIC),
                "server_key_fingerprint": protocol.fingerprint(SERVER_PUBLIC),
                "registered_at": T.isoformat(),
            },
        )

    client = _client(handler, pinned=None)
    registration = client.register("ABCD-EFGH", office_id="O")
    assert client.server_public_key == SERVER_PUBLIC
    assert registration.server_key_fingerprint == protocol.fingerprint(SERVER_PUBLIC)


def test_push_sends_a_gzip_batch_and_reads_per_item_results() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        _check_signature(request)
        assert request.headers["content-encoding"] == "gzip"
        import gzip

        items = json.loads(gzip.decompress(request.content))["items"]
        return httpx.Response(
            200, json={"results": [{"key": i["key"], "status": "accepted"} for i in items]}
        )

    item = OutboxItem(1, "key-1", "referral", T, b"{}", 0, None)
    outcomes = _client(handler).push([item])
    assert [(o.key, o.status.value) for o in outcomes] == [("key-1", "accepted")]


def _feed_handler(
    mutate: Callable[[dict[str, object]], None] = lambda _p: None, sign: bool = True
) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        _check_signature(request)
        page: dict[str, object] = {
            "kiosk_id": "K-1",
            "office_id": "O",
            "nonce": request.headers[protocol.H_NONCE],
            "since": int(request.url.params["since"]),
            "next": 1,
            "more": False,
            "server_time": 0,
            "items": [
                {"seq": 1, "kind": "policy", "id": "global", "deleted": False, "payload": {}}
            ],
        }
        mutate(page)
        body = json.dumps(page).encode()
        signature = protocol.sign_feed(SERVER_KEY, body) if sign else ""
        return httpx.Response(200, content=body, headers={protocol.H_FEED_SIGNATURE: signature})

    return handler


def test_feed_page_verifies() -> None:
    page = _client(_feed_handler()).fetch_page(0)
    assert page.next_since == 1 and page.items[0].kind == "policy"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: p.update(kiosk_id="K-2"),  # another kiosk's page
        lambda p: p.update(nonce="0" * 32),  # a page answering another request (replay)
    ],
)
def test_feed_page_for_another_request_is_refused(
    mutate: Callable[[dict[str, object]], None],
) -> None:
    with pytest.raises(FeedIntegrityError):
        _client(_feed_handler(mutate)).fetch_page(0)


def test_unsigned_or_foreign_signed_feed_is_refused() -> None:
    with pytest.raises(FeedIntegrityError):
        _client(_feed_handler(sign=False)).fetch_page(0)
    other = protocol.public_key_bytes(Ed25519PrivateKey.generate())
    with pytest.raises(FeedIntegrityError):
        _client(_feed_handler(), pinned=other).fetch_page(0)
    with pytest.raises(NotRegisteredError):
        _client(_feed_handler(), pinned=None).fetch_page(0)
    with pytest.raises(NotRegisteredError):
        SyncClient("", kiosk_id="K", signing_key=KIOSK_KEY)


def _heads_answer(
    request: httpx.Request, heads: list[dict[str, object]], **changes: object
) -> bytes:
    answer = {
        "kiosk_id": "K-1",
        "nonce": request.headers[protocol.H_NONCE],
        "key_id": "ab" * 32,
        "heads": heads,
        "more": False,
        **changes,
    }
    return json.dumps(answer).encode()


def test_held_audit_heads_are_verified_like_feed_pages() -> None:
    head = {"seq": 7, "entry_hash": "aa" * 32, "signature": "bb" * 64, "received_at": "x"}
    mode = {"value": "good"}

    def handler(request: httpx.Request) -> httpx.Response:
        _check_signature(request)
        assert request.url.path == "/api/v1/audit/heads"
        assert dict(request.url.params) == {"after": "3", "limit": "1000"}
        if mode["value"] == "other_nonce":
            body = _heads_answer(request, [head], nonce="0" * 32)
        elif mode["value"] == "malformed":
            body = _heads_answer(request, [{"seq": "x"}])
        else:
            body = _heads_answer(request, [head])
        key = Ed25519PrivateKey.generate() if mode["value"] == "forged" else SERVER_KEY
        return httpx.Response(
            200, content=body, headers={protocol.H_FEED_SIGNATURE: protocol.sign_feed(key, body)}
        )

    client = _client(handler)
    heads, more = client.audit_heads(3)
    assert [(h.seq, h.entry_hash.hex()) for h in heads] == [(7, "aa" * 32)] and not more
    mode["value"] = "forged"
    with pytest.raises(FeedIntegrityError, match="signature"):
        client.audit_heads(3)
    mode["value"] = "other_nonce"
    with pytest.raises(FeedIntegrityError, match="another request"):
        client.audit_heads(3)
    mode["value"] = "malformed"
    with pytest.raises(ProtocolError, match="malformed head"):
        client.audit_heads(3)
    with pytest.raises(NotRegisteredError):
        _client(handler, pinned=None).audit_heads()


def test_a_rate_limited_request_is_a_retry_later_error() -> None:
    client = _client(lambda _r: _error(429, "rate.kiosk", **{"Retry-After": "5"}))
    with pytest.raises(ServerBusyError) as busy:
        client.whoami()
    assert busy.value.retry_after_s == 5.0 and busy.value.code == "sync.busy"
    client = _client(lambda _r: _error(429, "rate.client"))
    with pytest.raises(ServerBusyError) as default:
        client.whoami()
    assert default.value.retry_after_s == 60.0

from __future__ import annotations

import contextlib
import gzip
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from sync import protocol
from sync.errors import ProtocolError

KEY = Ed25519PrivateKey.generate()
PUBLIC = protocol.public_key_bytes(KEY)


def _signed(**overrides: object) -> tuple[dict[str, str], dict[str, object]]:
    request: dict[str, object] = {
        "kiosk_id": "K-1",
        "method": "POST",
        "path": "/v1/push",
        "query": "b=2&a=1",
        "body": b'{"items":[]}',
        "timestamp": 1_790_000_000,
    }
    headers = protocol.sign_request(KEY, **request)  # type: ignore[arg-type]
    request.update(overrides)
    return headers, request


def _verifies(headers: dict[str, str], request: dict[str, object]) -> bool:
    message = protocol.string_to_sign(
        method=str(request["method"]),
        path=str(request["path"]),
        query=str(request["query"]),
        kiosk_id=str(request["kiosk_id"]),
        timestamp=int(str(request["timestamp"])),
        nonce=headers[protocol.H_NONCE],
        body_sha256=protocol.sha256_hex(request["body"]),  # type: ignore[arg-type]
    )
    return protocol.verify_request(PUBLIC, headers[protocol.H_SIGNATURE], message)


def test_signed_request_verifies_and_query_order_does_not_matter() -> None:
    headers, request = _signed(query="a=1&b=2")
    assert _verifies(headers, request)
    assert headers[protocol.H_CONTENT_SHA256] == protocol.sha256_hex(b'{"items":[]}')
    assert len(headers[protocol.H_NONCE]) == 32


@pytest.mark.parametrize(
    "change",
    [
        {"method": "GET"},
        {"path": "/v1/feed"},
        {"query": "a=1&b=3"},
        {"kiosk_id": "K-2"},
        {"timestamp": 1_790_000_001},
        {"body": b'{"items":[1]}'},
    ],
)
def test_changing_any_signed_part_breaks_the_signature(change: dict[str, object]) -> None:
    headers, request = _signed(**change)
    assert not _verifies(headers, request)


def test_signature_of_another_key_or_garbage_is_refused() -> None:
    headers, request = _signed()
    other = protocol.sign_request(
        Ed25519PrivateKey.generate(), **{**request, "nonce": headers[protocol.H_NONCE]}
    )  # type: ignore[arg-type]
    assert not _verifies(other, request)
    assert not _verifies({**headers, protocol.H_SIGNATURE: "not base64!"}, request)


def test_feed_signature_covers_every_byte() -> None:
    body = b'{"items":[],"kiosk_id":"K"}'
    signature = protocol.sign_feed(KEY, body)
    assert protocol.verify_feed(PUBLIC, body, signature)
    assert not protocol.verify_feed(PUBLIC, body.replace(b"K", b"L"), signature)
    assert not protocol.verify_feed(PUBLIC, body, "")
    assert not protocol.verify_feed(b"\0" * 31, body, signature)


def _page(**overrides: object) -> dict[str, object]:
    page: dict[str, object] = {
        "kiosk_id": "K",
        "office_id": "O",
        "nonce": "n" * 32,
        "since": 4,
        "next": 6,
        "more": False,
        "server_time": 1,
        "items": [
            {"seq": 5, "kind": "policy", "id": "global", "deleted": False, "payload": {}},
            {"seq": 6, "kind": "watchlist", "id": "w", "deleted": True, "payload": None},
        ],
    }
    page.update(overrides)
    return page


def test_feed_page_parses() -> None:
    page = protocol.parse_feed_page(json.dumps(_page()).encode())
    assert page.next_since == 6 and [i.seq for i in page.items] == [5, 6]
    assert page.items[1].deleted and page.items[1].payload is None


@pytest.mark.parametrize(
    "page",
    [
        _page(next=7),  # last item is not the checkpoint announced
        _page(since=5),  # an item at or before `since`
        _page(items=[{"seq": 6, "kind": "x", "id": "a", "deleted": False}] * 2),
        _page(more="yes"),
        _page(since=True),
        _page(items=[3]),
        [],
        _page(items=[], next=4, more=True),  # "more" with nothing: the kiosk would loop
        _page(items=[], next=3),  # an empty page moving the checkpoint back
        _page(items=[], next=9),  # ... or skipping changes it does not carry
    ],
)
def test_inconsistent_pages_are_refused(page: object) -> None:
    with pytest.raises(ProtocolError):
        protocol.parse_feed_page(json.dumps(page).encode())


@given(st.binary(max_size=300))
def test_page_parser_raises_only_protocol_errors_on_any_bytes(raw: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        protocol.parse_feed_page(raw)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(JSON)
def test_page_parser_raises_only_protocol_errors_on_any_json(value: object) -> None:
    with contextlib.suppress(ProtocolError):
        protocol.parse_feed_page(json.dumps(value).encode())


def test_push_batch_is_gzip_json_and_results_must_match() -> None:
    items = [protocol.PushItem("k1", "referral", "2026-11-25T00:00:00+00:00", "{}")]
    body = protocol.encode_push(items, level=6)
    assert json.loads(gzip.decompress(body))["items"][0]["key"] == "k1"
    ok = protocol.parse_push_results({"results": [{"key": "k1", "status": "duplicate"}]}, items)
    assert ok[0].status is protocol.ItemStatus.DUPLICATE
    with pytest.raises(ProtocolError, match="do not match"):
        protocol.parse_push_results({"results": []}, items)
    with pytest.raises(ProtocolError, match="unknown status"):
        protocol.parse_push_results({"results": [{"key": "k1", "status": "maybe"}]}, items)
    with pytest.raises(ProtocolError):
        protocol.parse_push_results([], items)


def test_fingerprint_is_stable_and_short() -> None:
    assert protocol.fingerprint(PUBLIC) == protocol.fingerprint(PUBLIC)
    assert len(protocol.fingerprint(PUBLIC).split(":")) == 8
    with pytest.raises(ProtocolError):
        protocol.unb64("***")

"""The wire protocol shared by the sync client and the central server.

Request authentication (``GERBANG-ED25519-V1``): every kiosk request carries

* ``X-Gerbang-Kiosk``: the kiosk id;
* ``X-Gerbang-Timestamp``: Unix seconds;
* ``X-Gerbang-Nonce``: 32 hex characters, never reused;
* ``X-Gerbang-Content-SHA256``: hex SHA-256 of the body bytes as sent (compressed);
* ``X-Gerbang-Signature``: base64 Ed25519 signature, by the kiosk's key, over
  :func:`string_to_sign` of method, API-relative path, canonical query, kiosk id,
  timestamp, nonce and body hash.

Feed pages are signed by the server's key: ``X-Gerbang-Feed-Signature`` is a
base64 Ed25519 signature over :func:`feed_signing_input` of the exact body
bytes. The page names the kiosk and the request nonce, so a page cannot be
replayed to another kiosk or as the answer to another request.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl, urlencode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from sync.errors import ProtocolError

SCHEME = "GERBANG-ED25519-V1"
API_PREFIX = "/v1"

H_KIOSK = "X-Gerbang-Kiosk"
H_TIMESTAMP = "X-Gerbang-Timestamp"
H_NONCE = "X-Gerbang-Nonce"
H_CONTENT_SHA256 = "X-Gerbang-Content-SHA256"
H_SIGNATURE = "X-Gerbang-Signature"
H_FEED_SIGNATURE = "X-Gerbang-Feed-Signature"
H_SERVER_TIME = "X-Gerbang-Server-Time"  # Unix seconds, on every answer


class FeedKind(StrEnum):
    WATCHLIST = "watchlist"  # WatchlistBundle, scope "*"
    TRAVELLER = "traveller"  # EnrollmentBundle, scope: the enrolling office
    TRUST_ANCHOR = "trust_anchor"  # TrustAnchor (CSCA certificates, master lists, CRLs)
    POLICY = "policy"  # PolicyDocument; id "global" (scope "*") or an office id


class PushKind(StrEnum):
    VERIFICATION_EVENT = "verification_event"
    ENROLLMENT = "enrollment"
    REFERRAL = "referral"
    AUDIT_HEAD = "audit_head"  # opaque JSON object (the audit chain of issue #11)
    DEVICE_STATUS = "device_status"


class ItemStatus(StrEnum):
    ACCEPTED = "accepted"  # stored now
    DUPLICATE = "duplicate"  # stored before (same key, same payload): done
    REJECTED = "rejected"  # never will be stored as sent; ``code`` says why


GLOBAL_SCOPE = "*"


# ---------------------------------------------------------------- hashing and keys
def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def new_nonce() -> str:
    return secrets.token_hex(16)


def public_key_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def fingerprint(public_key: bytes) -> str:
    """A short, readable fingerprint of a raw public key (for officers to compare)."""
    digest = hashlib.sha256(public_key).hexdigest()[:32]
    return ":".join(digest[i : i + 4] for i in range(0, 32, 4))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProtocolError("bad base64") from exc


def _verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


# ---------------------------------------------------------------- request signatures
def canonical_query(query: str) -> str:
    """Sorted, re-encoded query string, so encoding differences do not break signatures."""
    return urlencode(sorted(parse_qsl(query, keep_blank_values=True)))


def string_to_sign(
    *,
    method: str,
    path: str,
    query: str,
    kiosk_id: str,
    timestamp: int,
    nonce: str,
    body_sha256: str,
) -> bytes:
    return "\n".join(
        (
            SCHEME,
            method.upper(),
            path,
            canonical_query(query),
            kiosk_id,
            str(timestamp),
            nonce,
            body_sha256,
        )
    ).encode()


def sign_request(
    key: Ed25519PrivateKey,
    *,
    kiosk_id: str,
    method: str,
    path: str,
    query: str,
    body: bytes,
    timestamp: int,
    nonce: str | None = None,
) -> dict[str, str]:
    """The authentication headers of one request."""
    nonce = nonce or new_nonce()
    digest = sha256_hex(body)
    message = string_to_sign(
        method=method,
        path=path,
        query=query,
        kiosk_id=kiosk_id,
        timestamp=timestamp,
        nonce=nonce,
        body_sha256=digest,
    )
    return {
        H_KIOSK: kiosk_id,
        H_TIMESTAMP: str(timestamp),
        H_NONCE: nonce,
        H_CONTENT_SHA256: digest,
        H_SIGNATURE: b64(key.sign(message)),
    }


def verify_request(public_key: bytes, signature_b64: str, message: bytes) -> bool:
    try:
        signature = unb64(signature_b64)
    except ProtocolError:
        return False
    return _verify(public_key, signature, message)


# ---------------------------------------------------------------- feed signatures
def feed_signing_input(body: bytes) -> bytes:
    return b"gerbang-feed-v1\n" + hashlib.sha256(body).digest()


def sign_feed(key: Ed25519PrivateKey, body: bytes) -> str:
    return b64(key.sign(feed_signing_input(body)))


def verify_feed(public_key: bytes, body: bytes, signature_b64: str) -> bool:
    try:
        signature = unb64(signature_b64)
    except ProtocolError:
        return False
    return _verify(public_key, signature, feed_signing_input(body))


# ---------------------------------------------------------------- feed pages
@dataclass(frozen=True, slots=True)
class FeedItem:
    seq: int
    kind: str
    record_id: str
    deleted: bool
    payload: Any  # the record's JSON value; None for a tombstone


@dataclass(frozen=True, slots=True)
class FeedPage:
    kiosk_id: str
    office_id: str
    nonce: str
    since: int
    next_since: int  # the checkpoint to store once this page is applied
    more: bool
    server_time: int
    items: tuple[FeedItem, ...]


def _field(data: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = data.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ProtocolError(f"feed page: field {name!r} missing or of the wrong type")
    return value


def parse_feed_page(body: bytes) -> FeedPage:
    """Parse a page whose signature has been checked already."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError("feed page is not JSON") from exc
    if not isinstance(data, dict):
        raise ProtocolError("feed page is not an object")
    raw_items = _field(data, "items", list)
    items = []
    for raw in raw_items:
        if not isinstance(raw, dict):
            raise ProtocolError("feed item is not an object")
        items.append(
            FeedItem(
                seq=_field(raw, "seq", int),
                kind=_field(raw, "kind", str),
                record_id=_field(raw, "id", str),
                deleted=_field(raw, "deleted", bool),
                payload=raw.get("payload"),
            )
        )
    page = FeedPage(
        kiosk_id=_field(data, "kiosk_id", str),
        office_id=_field(data, "office_id", str),
        nonce=_field(data, "nonce", str),
        since=_field(data, "since", int),
        next_since=_field(data, "next", int),
        more=_field(data, "more", bool),
        server_time=_field(data, "server_time", int),
        items=tuple(items),
    )
    seqs = [i.seq for i in page.items]
    if seqs != sorted(set(seqs)) or (
        seqs and (seqs[0] <= page.since or seqs[-1] != page.next_since)
    ):
        raise ProtocolError("feed page: sequence numbers out of order or outside the page")
    if not seqs and (page.more or page.next_since != page.since):
        # An empty page ends the feed where it started: "more" would make the kiosk
        # ask for the same page forever, another checkpoint would skip or go back.
        raise ProtocolError("feed page: an empty page must end the feed at 'since'")
    return page


# ---------------------------------------------------------------- push batches
@dataclass(frozen=True, slots=True)
class PushItem:
    key: str  # idempotency key, unique per kiosk
    kind: str
    created_at: str  # ISO 8601
    payload: str  # the record's canonical JSON text


def encode_push(items: list[PushItem], *, level: int) -> bytes:
    """A gzip-compressed JSON batch."""
    body = json.dumps(
        {
            "items": [
                {"key": i.key, "kind": i.kind, "created_at": i.created_at, "payload": i.payload}
                for i in items
            ]
        },
        separators=(",", ":"),
    ).encode()
    return gzip.compress(body, compresslevel=level, mtime=0)


@dataclass(frozen=True, slots=True)
class PushOutcome:
    key: str
    status: ItemStatus
    code: str | None = None


def parse_push_results(data: Any, sent: list[PushItem]) -> list[PushOutcome]:
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ProtocolError("push answer: no results list")
    outcomes: list[PushOutcome] = []
    for raw in data["results"]:
        if not isinstance(raw, dict):
            raise ProtocolError("push answer: result is not an object")
        try:
            status = ItemStatus(str(raw.get("status")))
        except ValueError as exc:
            raise ProtocolError(f"push answer: unknown status {raw.get('status')!r}") from exc
        code = raw.get("code")
        outcomes.append(
            PushOutcome(str(raw.get("key")), status, code if isinstance(code, str) else None)
        )
    if sorted(o.key for o in outcomes) != sorted(i.key for i in sent):
        raise ProtocolError("push answer: results do not match the items sent")
    return outcomes

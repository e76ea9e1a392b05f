"""Request and answer bodies of the API (they make the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

_ID = r"^[A-Za-z0-9._-]+$"


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


class Health(BaseModel):
    status: str
    revision: str | None = None


class ServerKey(BaseModel):
    public_key: str = Field(description="raw Ed25519 public key, base64")
    fingerprint: str


class RegisterRequest(BaseModel):
    code: str = Field(min_length=4, max_length=64)
    kiosk_id: str = Field(min_length=1, max_length=64, pattern=_ID)
    office_id: str = Field(min_length=1, max_length=64, pattern=_ID)
    public_key: str = Field(description="the kiosk's raw Ed25519 public key, base64")


class Registration(BaseModel):
    kiosk_id: str
    office_id: str
    server_public_key: str
    server_key_fingerprint: str
    registered_at: str


class WhoAmI(BaseModel):
    kiosk_id: str
    office_id: str
    status: str


class PushResult(BaseModel):
    key: str
    status: str = Field(description="accepted, duplicate or rejected")
    code: str | None = None


class PushResults(BaseModel):
    results: list[PushResult]


PUSH_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["items"],
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["key", "kind", "created_at", "payload"],
                "properties": {
                    "key": {"type": "string", "maxLength": 128},
                    "kind": {
                        "type": "string",
                        "enum": [
                            "verification_event",
                            "enrollment",
                            "referral",
                            "audit_head",
                            "device_status",
                        ],
                    },
                    "created_at": {"type": "string", "format": "date-time"},
                    "payload": {"type": "string", "description": "the record's canonical JSON"},
                },
            },
        }
    },
}

STATUS_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["checkpoint", "outbox_depth", "offline"],
    "properties": {
        "checkpoint": {"type": "integer"},
        "outbox_depth": {"type": "integer"},
        "offline": {"type": "object"},
        "last_push_at": {"type": ["string", "null"]},
        "last_pull_at": {"type": ["string", "null"]},
        "version": {"type": "string"},
    },
}

FEED_PAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["kiosk_id", "office_id", "nonce", "since", "next", "more", "server_time", "items"],
    "properties": {
        "kiosk_id": {"type": "string"},
        "office_id": {"type": "string"},
        "nonce": {"type": "string", "description": "the request's nonce"},
        "since": {"type": "integer"},
        "next": {"type": "integer", "description": "checkpoint to store after applying"},
        "more": {"type": "boolean"},
        "server_time": {"type": "integer"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["seq", "kind", "id", "deleted", "payload"],
                "properties": {
                    "seq": {"type": "integer"},
                    "kind": {
                        "type": "string",
                        "enum": ["watchlist", "traveller", "trust_anchor", "policy"],
                    },
                    "id": {"type": "string"},
                    "deleted": {"type": "boolean"},
                    "payload": {"description": "the record, or null for a tombstone"},
                },
            },
        },
    },
}


class CodeRequest(BaseModel):
    office_id: str = Field(min_length=1, max_length=64, pattern=_ID)
    kiosk_id: str | None = Field(default=None, max_length=64, pattern=_ID)
    ttl_hours: float = Field(default=24.0, gt=0, le=24 * 30)


class CodeIssued(BaseModel):
    code: str
    office_id: str
    expires_at: str


class RevokeRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=200)


class FeedChange(BaseModel):
    kind: str
    id: str = Field(min_length=1, max_length=128)
    scope: str = Field(default="*", max_length=64)
    payload: Any = None
    deleted: bool = False


class PublishRequest(BaseModel):
    changes: list[FeedChange] = Field(max_length=10_000)


class Published(BaseModel):
    published: int
    first_seq: int
    last_seq: int


class DedupRun(BaseModel):
    threshold: float = Field(default=0.92, gt=0, le=1)


class ResolveRequest(BaseModel):
    by: str = Field(min_length=1, max_length=64)

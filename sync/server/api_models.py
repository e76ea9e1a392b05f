"""Request and answer bodies of the API (they make the OpenAPI document).

Every request body is validated strictly: unknown fields are refused
(``extra="forbid"``), strings and lists are bounded. Kiosk bodies are parsed by
the handlers after the signature check (so an unauthenticated caller costs no
parsing); their OpenAPI schemas are written out below to match the models.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from sync import params
from sync.policy import KioskMode

_ID = r"^[A-Za-z0-9._-]+$"
ID_PATTERN = _ID
_CODE = r"^[a-z_]{1,32}$"


class Strict(BaseModel):
    """A request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


Code = Annotated[str, Field(pattern=_CODE)]


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


class RegisterRequest(Strict):
    code: str = Field(min_length=4, max_length=64)
    kiosk_id: str = Field(min_length=1, max_length=64, pattern=_ID)
    office_id: str = Field(min_length=1, max_length=64, pattern=_ID)
    public_key: str = Field(
        min_length=44, max_length=44, description="the kiosk's raw Ed25519 public key, base64"
    )


class PushItemIn(Strict):
    key: str = Field(min_length=1, max_length=128)
    kind: str = Field(min_length=1, max_length=32)
    created_at: str = Field(min_length=1, max_length=64)
    payload: str = Field(max_length=params.PUSH_MAX_PAYLOAD_CHARS)


class PushBatchIn(Strict):
    items: list[PushItemIn] = Field(max_length=params.PUSH_MAX_ITEMS)


class AuditHeadIn(Strict):
    """The payload of an ``audit_head`` push item: ``models.audit.ChainHead.to_json()``."""

    seq: int = Field(ge=1, strict=True)
    entry_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    signature: str = Field(pattern=r"^[0-9a-f]{128}$")


class OfflineIn(Strict):
    mode: KioskMode
    reasons: list[Code] = Field(max_length=16)
    warnings: list[Code] = Field(max_length=16)
    days_offline: float | None = None
    watchlist_age_hours: float | None = None
    outbox_depth: int = Field(ge=0)


class StatusIn(Strict):
    checkpoint: int = Field(ge=0)
    outbox_depth: int = Field(ge=0)
    offline: OfflineIn
    last_push_at: str | None = Field(default=None, max_length=64)
    last_pull_at: str | None = Field(default=None, max_length=64)
    version: str = Field(default="", max_length=64)


class AuditHeadOut(BaseModel):
    seq: int
    entry_hash: str
    signature: str
    received_at: str


class AuditHeads(BaseModel):
    kiosk_id: str
    nonce: str = Field(description="the request's nonce (the answer is signed)")
    key_id: str = Field(description="SHA-256 of the kiosk key these heads were verified with")
    heads: list[AuditHeadOut] = Field(description="held heads after ``after``, oldest first")
    more: bool


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
    "additionalProperties": False,
    "properties": {
        "items": {
            "type": "array",
            "maxItems": params.PUSH_MAX_ITEMS,
            "items": {
                "type": "object",
                "required": ["key", "kind", "created_at", "payload"],
                "additionalProperties": False,
                "properties": {
                    "key": {"type": "string", "minLength": 1, "maxLength": 128},
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
                    "created_at": {"type": "string", "format": "date-time", "maxLength": 64},
                    "payload": {
                        "type": "string",
                        "maxLength": params.PUSH_MAX_PAYLOAD_CHARS,
                        "description": "the record's canonical JSON; for audit_head "
                        '{"seq", "entry_hash", "signature"} (models.audit.ChainHead)',
                    },
                },
            },
        }
    },
}

_CODES: dict[str, Any] = {
    "type": "array",
    "maxItems": 16,
    "items": {"type": "string", "pattern": _CODE},
}
STATUS_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["checkpoint", "outbox_depth", "offline"],
    "additionalProperties": False,
    "properties": {
        "checkpoint": {"type": "integer", "minimum": 0},
        "outbox_depth": {"type": "integer", "minimum": 0},
        "offline": {
            "type": "object",
            "required": ["mode", "reasons", "warnings", "outbox_depth"],
            "additionalProperties": False,
            "properties": {
                "mode": {"type": "string", "enum": [m.value for m in KioskMode]},
                "reasons": _CODES,
                "warnings": _CODES,
                "days_offline": {"type": ["number", "null"]},
                "watchlist_age_hours": {"type": ["number", "null"]},
                "outbox_depth": {"type": "integer", "minimum": 0},
            },
        },
        "last_push_at": {"type": ["string", "null"], "maxLength": 64},
        "last_pull_at": {"type": ["string", "null"], "maxLength": 64},
        "version": {"type": "string", "maxLength": 64},
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


class CodeRequest(Strict):
    office_id: str = Field(min_length=1, max_length=64, pattern=_ID)
    kiosk_id: str | None = Field(default=None, max_length=64, pattern=_ID)
    ttl_hours: float = Field(default=24.0, gt=0, le=24 * 30)


class CodeIssued(BaseModel):
    code: str
    office_id: str
    expires_at: str


class RevokeRequest(Strict):
    reason: str = Field(min_length=1, max_length=200)


class FeedChange(Strict):
    kind: str = Field(min_length=1, max_length=32)
    id: str = Field(min_length=1, max_length=128)
    scope: str = Field(default="*", min_length=1, max_length=64, pattern=r"^(\*|[A-Za-z0-9._-]+)$")
    payload: Any = None
    deleted: bool = False


class PublishRequest(Strict):
    changes: list[FeedChange] = Field(max_length=10_000)


class Published(BaseModel):
    published: int
    first_seq: int
    last_seq: int


class DedupRun(Strict):
    threshold: float = Field(default=0.92, gt=0, le=1)

"""The central database schema (SQLAlchemy Core). Alembic migrations create it;
``tests/integration/sync/test_server_db.py`` checks that they agree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC times on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the central database holds UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


# Auto-incrementing 64-bit ids; SQLite only auto-increments "INTEGER PRIMARY KEY".
BigId = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

registration_codes = Table(
    "registration_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("office_id", String(64), nullable=False),
    Column("kiosk_id", String(64)),  # a code may be bound to one kiosk id
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    Column("used_by", String(64)),
)

kiosks = Table(
    "kiosks",
    metadata,
    Column("kiosk_id", String(64), primary_key=True),
    Column("office_id", String(64), nullable=False, index=True),
    Column("public_key", LargeBinary, nullable=False),
    Column("status", String(16), nullable=False),  # "active", "revoked"
    Column("registered_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("revoked_reason", String(200)),
)

request_nonces = Table(
    "request_nonces",
    metadata,
    Column("kiosk_id", String(64), nullable=False),
    Column("nonce", String(64), nullable=False),
    Column("seen_at", UTCDateTime, nullable=False, index=True),
    PrimaryKeyConstraint("kiosk_id", "nonce"),
    # the per-kiosk rate limit counts a kiosk's requests of the last minute
    Index("request_nonces_kiosk_seen", "kiosk_id", "seen_at"),
)

feed_counter = Table(
    "feed_counter",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_seq", BigInteger, nullable=False),
)

# One row per record (CouchDB's by-sequence index): a change moves the record to a
# new sequence number, so the feed holds each record's latest state once, and a
# delete leaves a tombstone (deleted=true, payload NULL).
feed_records = Table(
    "feed_records",
    metadata,
    Column("kind", String(32), nullable=False),
    Column("record_id", String(128), nullable=False),
    Column("scope", String(64), nullable=False),  # "*" or an office id
    Column("seq", BigInteger, nullable=False, unique=True),
    Column("deleted", Boolean, nullable=False),
    Column("payload", Text),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("kind", "record_id"),
    Index("feed_records_scope_seq", "scope", "seq"),
)

pushed_records = Table(
    "pushed_records",
    metadata,
    Column("row_id", BigId, primary_key=True, autoincrement=True),
    Column("kiosk_id", String(64), nullable=False),
    Column("office_id", String(64), nullable=False),
    Column("idempotency_key", String(128), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("record_id", String(128)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False, index=True),
    Column("payload_sha256", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    UniqueConstraint("kiosk_id", "idempotency_key", name="pushed_records_kiosk_key"),
    Index("pushed_records_kind_record", "kind", "record_id"),
)

central_enrollments = Table(
    "central_enrollments",
    metadata,
    Column("enrollment_id", String(128), primary_key=True),
    Column("kiosk_id", String(64), nullable=False),
    Column("office_id", String(64), nullable=False),
    Column("traveller_id", String(128), nullable=False),
    Column("doc_index", String(64), index=True),  # keyed HMAC of the document number
    Column("enrolled_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("status", String(32), nullable=False),
)

central_face_templates = Table(
    "central_face_templates",
    metadata,
    Column("row_id", BigId, primary_key=True, autoincrement=True),
    Column("template_id", String(128), nullable=False, unique=True),
    Column("enrollment_id", String(128), nullable=False, index=True),
    Column("algorithm", String(64), nullable=False),
    Column("dim", Integer, nullable=False),
    Column("vector", LargeBinary, nullable=False),
    Column("vector_sha256", String(64), nullable=False, index=True),
)

dedup_flags = Table(
    "dedup_flags",
    metadata,
    Column("flag_id", BigId, primary_key=True, autoincrement=True),
    Column("reason", String(32), nullable=False),
    Column("enrollment_id", String(128), nullable=False),
    Column("other_enrollment_id", String(128), nullable=False),
    Column("office_id", String(64), nullable=False),
    Column("other_office_id", String(64), nullable=False),
    Column("kiosk_id", String(64), nullable=False),
    Column("other_kiosk_id", String(64), nullable=False),
    Column("score", Float),
    Column("created_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),  # "open", "resolved"
    Column("resolved_by", String(64)),
    Column("resolved_at", UTCDateTime),
    UniqueConstraint("reason", "enrollment_id", "other_enrollment_id", name="dedup_flags_pair"),
)

dedup_state = Table(
    "dedup_state",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("watermark", BigInteger, nullable=False),
)

# Every accepted audit-chain head of every kiosk (history, not only the newest), per
# kiosk key: a kiosk re-keyed by an officer starts a new chain. Refused heads
# (rollback, fork, bad signature) never land here; they are security_alerts.
audit_heads = Table(
    "audit_heads",
    metadata,
    Column("row_id", BigId, primary_key=True, autoincrement=True),
    Column("kiosk_id", String(64), nullable=False),
    Column("key_id", String(64), nullable=False),  # SHA-256 (hex) of the kiosk's public key
    Column("seq", BigInteger, nullable=False),
    Column("entry_hash", String(64), nullable=False),  # hex
    Column("signature", String(128), nullable=False),  # hex Ed25519 over entry_hash
    Column("received_at", UTCDateTime, nullable=False),
    UniqueConstraint("kiosk_id", "key_id", "seq", name="audit_heads_kiosk_key_seq"),
)

# What the centre concluded is wrong: a replayed or older audit head (rollback), a
# rewritten history (fork), a head the kiosk key did not sign. One row per distinct
# finding; a finding seen again bumps ``count`` and ``last_seen_at``.
security_alerts = Table(
    "security_alerts",
    metadata,
    Column("alert_id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),  # audit_rollback, audit_fork, audit_bad_signature
    Column("kiosk_id", String(64), nullable=False),
    Column("office_id", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),  # the refused head's position
    Column("entry_hash", String(64), nullable=False),  # the refused head's hash
    Column("held_seq", BigInteger),  # the head the centre held then
    Column("held_hash", String(64)),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("count", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # open, acknowledged
    Column("acknowledged_by", String(64)),
    Column("acknowledged_at", UTCDateTime),
    UniqueConstraint("kiosk_id", "kind", "seq", "entry_hash", name="security_alerts_finding"),
    Index("security_alerts_status", "status", "kiosk_id"),
)

device_health = Table(
    "device_health",
    metadata,
    Column("kiosk_id", String(64), nullable=False),
    Column("device_id", String(128), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("observed_at", UTCDateTime, nullable=False),
    Column("payload", Text, nullable=False),
    PrimaryKeyConstraint("kiosk_id", "device_id"),
)

kiosk_status = Table(
    "kiosk_status",
    metadata,
    Column("kiosk_id", String(64), primary_key=True),
    Column("reported_at", UTCDateTime, nullable=False),
    Column("checkpoint", BigInteger, nullable=False),
    Column("outbox_depth", Integer, nullable=False),
    Column("mode", String(16), nullable=False),
    Column("payload", Text, nullable=False),
)

# Named API tokens of the admin API (SHA-256 of the token; the token is shown once).
# Names are unique for ever, so a log line's token name means one token.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),  # admin, viewer
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
)

# ---------------------------------------------------------------- dashboard (issue #12)
# Rollups of verification events, kept up to date in the push transaction by
# :mod:`sync.server.rollups` and rebuildable from ``pushed_records``. Every table is
# (key columns..., n): ``day`` is the UTC date 'YYYY-MM-DD' of the event's start,
# ``hour`` its UTC hour. Buckets are the fixed edges of :mod:`sync.server.rollups`.
rollup_traffic = Table(
    "rollup_traffic",
    metadata,
    Column("day", String(10), nullable=False),
    Column("hour", Integer, nullable=False),
    Column("office_id", String(64), nullable=False),
    Column("kiosk_id", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("n", BigInteger, nullable=False),
    PrimaryKeyConstraint("day", "hour", "office_id", "kiosk_id", "outcome"),
)

# Travellers per day by outcome: what the day and month views and the per-kiosk
# totals read (a year is ~1 % of the hourly table's rows).
rollup_daily = Table(
    "rollup_daily",
    metadata,
    Column("day", String(10), nullable=False),
    Column("office_id", String(64), nullable=False),
    Column("kiosk_id", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("n", BigInteger, nullable=False),
    PrimaryKeyConstraint("day", "office_id", "kiosk_id", "outcome"),
)

rollup_reasons = Table(
    "rollup_reasons",
    metadata,
    Column("day", String(10), nullable=False),
    Column("office_id", String(64), nullable=False),
    Column("kiosk_id", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("n", BigInteger, nullable=False),
    PrimaryKeyConstraint("day", "office_id", "kiosk_id", "outcome", "reason"),
)

rollup_step_times = Table(
    "rollup_step_times",
    metadata,
    Column("day", String(10), nullable=False),
    Column("office_id", String(64), nullable=False),
    Column("kiosk_id", String(64), nullable=False),
    Column("step", String(32), nullable=False),
    Column("bucket", Integer, nullable=False),
    Column("n", BigInteger, nullable=False),
    PrimaryKeyConstraint("day", "office_id", "kiosk_id", "step", "bucket"),
)

rollup_acquisition = Table(
    "rollup_acquisition",
    metadata,
    Column("day", String(10), nullable=False),
    Column("office_id", String(64), nullable=False),
    Column("kiosk_id", String(64), nullable=False),
    Column("modality", String(16), nullable=False),  # document, face, fingerprint
    Column("result", String(16), nullable=False),  # acquired, failed
    Column("n", BigInteger, nullable=False),
    PrimaryKeyConstraint("day", "office_id", "kiosk_id", "modality", "result"),
)

rollup_scores = Table(
    "rollup_scores",
    metadata,
    Column("day", String(10), nullable=False),
    Column("office_id", String(64), nullable=False),
    Column("kiosk_id", String(64), nullable=False),
    Column("name", String(32), nullable=False),  # face_1to1, fingerprint_1to1(_dual)
    Column("bucket", Integer, nullable=False),
    Column("n", BigInteger, nullable=False),
    PrimaryKeyConstraint("day", "office_id", "kiosk_id", "name", "bucket"),
)

rollup_watchlist = Table(
    "rollup_watchlist",
    metadata,
    Column("day", String(10), nullable=False),
    Column("office_id", String(64), nullable=False),
    Column("kiosk_id", String(64), nullable=False),
    Column("modality", String(16), nullable=False),  # face, fingerprint
    Column("n", BigInteger, nullable=False),
    PrimaryKeyConstraint("day", "office_id", "kiosk_id", "modality"),
)

rollup_survey = Table(
    "rollup_survey",
    metadata,
    Column("day", String(10), nullable=False),
    Column("office_id", String(64), nullable=False),
    Column("kiosk_id", String(64), nullable=False),
    Column("rating", Integer, nullable=False),  # 1-5
    Column("n", BigInteger, nullable=False),
    PrimaryKeyConstraint("day", "office_id", "kiosk_id", "rating"),
)

# Which pushed version of each event the rollups count (a later version — an
# officer's override, the survey answer — replaces the earlier one's contribution).
rollup_events = Table(
    "rollup_events",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("kiosk_id", String(64), nullable=False),
    Column("idempotency_key", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Event versions stored by ingest and not yet counted in the rollups: ingest only
# appends here (no contention on the hot rollup rows of the current hour); the
# folder (sync.server.rollups.fold) counts them in arrival order and deletes them.
rollup_queue = Table(
    "rollup_queue",
    metadata,
    Column("row_id", BigId, primary_key=True, autoincrement=True),
    Column("kiosk_id", String(64), nullable=False),
    Column("idempotency_key", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# People who sign in to the dashboard: supervisors and analysts (models.roles).
dashboard_users = Table(
    "dashboard_users",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("display_name", String(100), nullable=False),
    Column("role", String(16), nullable=False),  # supervisor, analyst
    Column("password_hash", String(200), nullable=False),  # argon2id (PHC string)
    Column("created_at", UTCDateTime, nullable=False),
    Column("failed_logins", Integer, nullable=False),
    Column("locked_until", UTCDateTime),
    Column("disabled_at", UTCDateTime),
)

# Server-side sessions: the cookie carries a random token, the table its SHA-256.
dashboard_sessions = Table(
    "dashboard_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("user_id", String(64), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
)

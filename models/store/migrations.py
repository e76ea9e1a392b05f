"""Named, transactional schema migrations of the kiosk store.

Each migration runs in its own transaction together with the row that records
it in ``_migrations``; ``PRAGMA user_version`` mirrors the count. A database
whose schema is newer than this code is refused rather than guessed at.

Released schema versions have a fixture database in ``tests/fixtures/store/``
that the upgrade test migrates to the current version. Never edit a released
migration: add a new one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Migration:
    name: str
    statements: tuple[str, ...]


def _sealed_table(name: str, *columns: str) -> str:
    """A record table: integer row id (the FAISS id for templates), public id, index columns, sealed payload."""
    extra = "".join(f",\n    {c}" for c in columns)
    return (
        f"CREATE TABLE {name} (\n"
        "    row_id INTEGER PRIMARY KEY,\n"
        "    id TEXT NOT NULL UNIQUE"
        f"{extra},\n"
        "    payload BLOB NOT NULL\n"
        ")"
    )


_INITIAL = Migration(
    "0001_initial",
    (
        _sealed_table("travellers", "category TEXT NOT NULL"),
        _sealed_table(
            "travel_documents",
            "lookup TEXT NOT NULL",
            "expiry_date TEXT NOT NULL",
        ),
        "CREATE INDEX travel_documents_lookup ON travel_documents(lookup)",
        _sealed_table("face_samples", "subject_id TEXT", "captured_at TEXT NOT NULL"),
        _sealed_table("fingerprint_samples", "subject_id TEXT", "captured_at TEXT NOT NULL"),
        _sealed_table("face_templates", "subject_id TEXT", "algorithm TEXT NOT NULL"),
        "CREATE INDEX face_templates_subject ON face_templates(subject_id)",
        _sealed_table(
            "fingerprint_templates",
            "subject_id TEXT",
            "position INTEGER NOT NULL",
            "format TEXT NOT NULL",
        ),
        "CREATE INDEX fingerprint_templates_subject ON fingerprint_templates(subject_id)",
        _sealed_table(
            "enrollments",
            "traveller_id TEXT NOT NULL",
            "enrolled_at TEXT NOT NULL",
            "status TEXT NOT NULL",
        ),
        _sealed_table(
            "watchlist_entries",
            "category TEXT NOT NULL",
            "source_agency TEXT NOT NULL",
            "valid_from TEXT NOT NULL",
            "valid_until TEXT",
        ),
        _sealed_table("verification_events", "started_at TEXT NOT NULL", "outcome TEXT NOT NULL"),
        "CREATE INDEX verification_events_started ON verification_events(started_at)",
        _sealed_table(
            "referrals",
            "event_id TEXT NOT NULL",
            "status TEXT NOT NULL",
            "created_at TEXT NOT NULL",
        ),
        _sealed_table(
            "device_status",
            "kind TEXT NOT NULL",
            "state TEXT NOT NULL",
            "observed_at TEXT NOT NULL",
        ),
        _sealed_table("kiosk_identity"),
        """CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    occurred_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    entry_hash BLOB NOT NULL,
    signature BLOB NOT NULL
)""",
        """CREATE TABLE outbox (
    row_id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    payload BLOB NOT NULL
)""",
    ),
)

_OUTBOX_DELIVERY = Migration(
    "0002_outbox_delivery_tracking",
    (
        "ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE outbox ADD COLUMN last_error TEXT",
        "ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT",
        "CREATE INDEX outbox_pending ON outbox(sent_at, next_attempt_at)",
    ),
)

_SYNC_STATE = Migration(
    "0003_sync_state",
    (
        """CREATE TABLE sync_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
)""",
        """CREATE TABLE feed_documents (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    payload BLOB NOT NULL,
    PRIMARY KEY (kind, id)
)""",
    ),
)

_STAFF_AND_HOLDS = Migration(
    "0004_staff_accounts_and_legal_holds",
    (
        _sealed_table(
            "staff_accounts",
            "failed_attempts INTEGER NOT NULL DEFAULT 0",
            "locked_until TEXT",
            "last_login_at TEXT",
        ),
        _sealed_table("legal_holds", "kind TEXT NOT NULL", "record_id TEXT NOT NULL"),
        "CREATE INDEX legal_holds_record ON legal_holds(kind, record_id)",
        "CREATE INDEX referrals_created ON referrals(created_at)",
        "CREATE INDEX face_samples_captured ON face_samples(captured_at)",
        "CREATE INDEX fingerprint_samples_captured ON fingerprint_samples(captured_at)",
    ),
)

MIGRATIONS: tuple[Migration, ...] = (_INITIAL, _OUTBOX_DELIVERY, _SYNC_STATE, _STAFF_AND_HOLDS)
SCHEMA_VERSION = len(MIGRATIONS)

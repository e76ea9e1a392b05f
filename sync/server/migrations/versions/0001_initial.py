"""Initial central schema: registration, nonces, the change feed, pushes, dedup.

Revision ID: 0001
Revises: -
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "registration_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("office_id", sa.String(64), nullable=False),
        sa.Column("kiosk_id", sa.String(64)),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("used_at", _TIME),
        sa.Column("used_by", sa.String(64)),
    )
    op.create_table(
        "kiosks",
        sa.Column("kiosk_id", sa.String(64), primary_key=True),
        sa.Column("office_id", sa.String(64), nullable=False),
        sa.Column("public_key", sa.LargeBinary, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("registered_at", _TIME, nullable=False),
        sa.Column("revoked_at", _TIME),
        sa.Column("revoked_reason", sa.String(200)),
    )
    op.create_index("ix_kiosks_office_id", "kiosks", ["office_id"])
    op.create_table(
        "request_nonces",
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("seen_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("kiosk_id", "nonce"),
    )
    op.create_index("ix_request_nonces_seen_at", "request_nonces", ["seen_at"])
    op.create_table(
        "feed_counter",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(
        sa.table("feed_counter", sa.column("id", sa.Integer), sa.column("last_seq", sa.BigInteger)),
        [{"id": 1, "last_seq": 0}],
    )
    op.create_table(
        "feed_records",
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("record_id", sa.String(128), nullable=False),
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False, unique=True),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("payload", sa.Text),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("kind", "record_id"),
    )
    op.create_index("feed_records_scope_seq", "feed_records", ["scope", "seq"])
    op.create_table(
        "pushed_records",
        sa.Column("row_id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("office_id", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("record_id", sa.String(128)),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("received_at", _TIME, nullable=False),
        sa.Column("payload_sha256", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.UniqueConstraint("kiosk_id", "idempotency_key", name="pushed_records_kiosk_key"),
    )
    op.create_index("ix_pushed_records_received_at", "pushed_records", ["received_at"])
    op.create_index("pushed_records_kind_record", "pushed_records", ["kind", "record_id"])
    op.create_table(
        "central_enrollments",
        sa.Column("enrollment_id", sa.String(128), primary_key=True),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("office_id", sa.String(64), nullable=False),
        sa.Column("traveller_id", sa.String(128), nullable=False),
        sa.Column("doc_index", sa.String(64)),
        sa.Column("enrolled_at", _TIME, nullable=False),
        sa.Column("received_at", _TIME, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
    )
    op.create_index("ix_central_enrollments_doc_index", "central_enrollments", ["doc_index"])
    op.create_table(
        "central_face_templates",
        sa.Column("row_id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("template_id", sa.String(128), nullable=False, unique=True),
        sa.Column("enrollment_id", sa.String(128), nullable=False),
        sa.Column("algorithm", sa.String(64), nullable=False),
        sa.Column("dim", sa.Integer, nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
        sa.Column("vector_sha256", sa.String(64), nullable=False),
    )
    op.create_index(
        "ix_central_face_templates_enrollment_id", "central_face_templates", ["enrollment_id"]
    )
    op.create_index(
        "ix_central_face_templates_vector_sha256", "central_face_templates", ["vector_sha256"]
    )
    op.create_table(
        "dedup_flags",
        sa.Column("flag_id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("enrollment_id", sa.String(128), nullable=False),
        sa.Column("other_enrollment_id", sa.String(128), nullable=False),
        sa.Column("office_id", sa.String(64), nullable=False),
        sa.Column("other_office_id", sa.String(64), nullable=False),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("other_kiosk_id", sa.String(64), nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("resolved_by", sa.String(64)),
        sa.Column("resolved_at", _TIME),
        sa.UniqueConstraint(
            "reason", "enrollment_id", "other_enrollment_id", name="dedup_flags_pair"
        ),
    )
    op.create_table(
        "dedup_state",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("watermark", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "audit_heads",
        sa.Column("kiosk_id", sa.String(64), primary_key=True),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("received_at", _TIME, nullable=False),
    )
    op.create_table(
        "device_health",
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("observed_at", _TIME, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("kiosk_id", "device_id"),
    )
    op.create_table(
        "kiosk_status",
        sa.Column("kiosk_id", sa.String(64), primary_key=True),
        sa.Column("reported_at", _TIME, nullable=False),
        sa.Column("checkpoint", sa.BigInteger, nullable=False),
        sa.Column("outbox_depth", sa.Integer, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_table(
        "admin_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("revoked_at", _TIME),
    )


def downgrade() -> None:
    for table in (
        "admin_tokens",
        "kiosk_status",
        "device_health",
        "audit_heads",
        "dedup_state",
        "dedup_flags",
        "central_face_templates",
        "central_enrollments",
        "pushed_records",
        "feed_records",
        "feed_counter",
        "request_nonces",
        "kiosks",
        "registration_codes",
    ):
        op.drop_table(table)

"""Server hardening: audit-head history, security alerts, named API tokens, the
per-kiosk rate-limit index.

* ``audit_heads`` held one opaque payload per kiosk; it becomes the history of
  verified heads. Old rows that are chain heads signed by the kiosk's registered
  key are carried over; anything else was never verified and is dropped.
* ``admin_tokens`` (label, hash) becomes ``api_tokens`` (unique name, role, last
  use). Existing tokens keep working as ``admin`` tokens named after their label.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _time(value: Any) -> datetime | None:
    """A time read by raw SQL (SQLite gives text) as the datetime bulk_insert expects."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _verified_head(payload: str, public_key: bytes) -> tuple[int, str, str] | None:
    """(seq, hash, signature) of an old payload that is a head the kiosk key signed."""
    try:
        data: Any = json.loads(payload)
        seq, digest, signature = int(data["seq"]), str(data["entry_hash"]), str(data["signature"])
        if seq < 1 or len(digest) != 64 or len(signature) != 128:
            return None
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            bytes.fromhex(signature), bytes.fromhex(digest)
        )
    except (ValueError, KeyError, TypeError, InvalidSignature):
        return None
    return seq, digest, signature


def upgrade() -> None:
    op.create_index("request_nonces_kiosk_seen", "request_nonces", ["kiosk_id", "seen_at"])

    # Read the old rows, then replace the table (PostgreSQL keeps a renamed table's
    # primary-key index name, so the new table cannot be created next to it).
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT h.kiosk_id, h.payload, h.received_at, k.public_key "
            "FROM audit_heads h JOIN kiosks k ON k.kiosk_id = h.kiosk_id"
        )
    ).all()
    op.drop_table("audit_heads")
    heads = op.create_table(
        "audit_heads",
        sa.Column("row_id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("received_at", _TIME, nullable=False),
        sa.UniqueConstraint("kiosk_id", "key_id", "seq", name="audit_heads_kiosk_key_seq"),
    )
    carried = []
    for kiosk_id, payload, received_at, public_key in rows:
        head = _verified_head(payload, bytes(public_key))
        if head is not None:
            carried.append(
                {
                    "kiosk_id": kiosk_id,
                    "key_id": hashlib.sha256(bytes(public_key)).hexdigest(),
                    "seq": head[0],
                    "entry_hash": head[1],
                    "signature": head[2],
                    "received_at": _time(received_at),
                }
            )
    if carried and heads is not None:
        op.bulk_insert(heads, carried)

    op.create_table(
        "security_alerts",
        sa.Column("alert_id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("office_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.Column("held_seq", sa.BigInteger),
        sa.Column("held_hash", sa.String(64)),
        sa.Column("first_seen_at", _TIME, nullable=False),
        sa.Column("last_seen_at", _TIME, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("acknowledged_by", sa.String(64)),
        sa.Column("acknowledged_at", _TIME),
        sa.UniqueConstraint(
            "kiosk_id", "kind", "seq", "entry_hash", name="security_alerts_finding"
        ),
    )
    op.create_index("security_alerts_status", "security_alerts", ["status", "kiosk_id"])

    tokens = op.create_table(
        "api_tokens",
        sa.Column("token_id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("last_used_at", _TIME),
        sa.Column("revoked_at", _TIME),
    )
    old = conn.execute(
        sa.text(
            "SELECT token_hash, label, created_at, revoked_at FROM admin_tokens "
            "ORDER BY created_at, token_hash"
        )
    ).all()
    names: set[str] = set()
    moved = []
    for token_hash, label, created_at, revoked_at in old:
        base = (str(label) or "token")[:56]
        name, n = base, 1
        while name in names:  # labels were not unique; names are
            n += 1
            name = f"{base}-{n}"
        names.add(name)
        moved.append(
            {
                "name": name,
                "role": "admin",
                "token_hash": token_hash,
                "created_at": _time(created_at),
                "revoked_at": _time(revoked_at),
            }
        )
    if moved and tokens is not None:
        op.bulk_insert(tokens, moved)
    op.drop_table("admin_tokens")


def downgrade() -> None:
    op.create_table(
        "admin_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("revoked_at", _TIME),
    )
    op.execute(
        "INSERT INTO admin_tokens (token_hash, label, created_at, revoked_at) "
        "SELECT token_hash, name, created_at, revoked_at FROM api_tokens WHERE role = 'admin'"
    )
    op.drop_table("api_tokens")
    op.drop_index("security_alerts_status", table_name="security_alerts")
    op.drop_table("security_alerts")
    op.drop_table("audit_heads")
    op.create_table(
        "audit_heads",
        sa.Column("kiosk_id", sa.String(64), primary_key=True),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("received_at", _TIME, nullable=False),
    )
    op.drop_index("request_nonces_kiosk_seen", table_name="request_nonces")

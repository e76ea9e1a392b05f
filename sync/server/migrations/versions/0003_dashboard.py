"""Dashboard: rollup tables of verification events, dashboard users and sessions.

The rollups start empty; ``gerbang server rollups rebuild`` fills them from the
events stored before this revision (new pushes update them as they arrive).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)
_SCOPE = ("day", "office_id", "kiosk_id")


def _scope() -> list[sa.Column[str]]:
    return [
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("office_id", sa.String(64), nullable=False),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
    ]


def _n() -> sa.Column[int]:
    return sa.Column("n", sa.BigInteger, nullable=False)


def upgrade() -> None:
    op.create_table(
        "rollup_traffic",
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("hour", sa.Integer, nullable=False),
        sa.Column("office_id", sa.String(64), nullable=False),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        _n(),
        sa.PrimaryKeyConstraint("day", "hour", "office_id", "kiosk_id", "outcome"),
    )
    op.create_table(
        "rollup_daily",
        *_scope(),
        sa.Column("outcome", sa.String(16), nullable=False),
        _n(),
        sa.PrimaryKeyConstraint(*_SCOPE, "outcome"),
    )
    op.create_table(
        "rollup_reasons",
        *_scope(),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        _n(),
        sa.PrimaryKeyConstraint(*_SCOPE, "outcome", "reason"),
    )
    op.create_table(
        "rollup_step_times",
        *_scope(),
        sa.Column("step", sa.String(32), nullable=False),
        sa.Column("bucket", sa.Integer, nullable=False),
        _n(),
        sa.PrimaryKeyConstraint(*_SCOPE, "step", "bucket"),
    )
    op.create_table(
        "rollup_acquisition",
        *_scope(),
        sa.Column("modality", sa.String(16), nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        _n(),
        sa.PrimaryKeyConstraint(*_SCOPE, "modality", "result"),
    )
    op.create_table(
        "rollup_scores",
        *_scope(),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("bucket", sa.Integer, nullable=False),
        _n(),
        sa.PrimaryKeyConstraint(*_SCOPE, "name", "bucket"),
    )
    op.create_table(
        "rollup_watchlist",
        *_scope(),
        sa.Column("modality", sa.String(16), nullable=False),
        _n(),
        sa.PrimaryKeyConstraint(*_SCOPE, "modality"),
    )
    op.create_table(
        "rollup_survey",
        *_scope(),
        sa.Column("rating", sa.Integer, nullable=False),
        _n(),
        sa.PrimaryKeyConstraint(*_SCOPE, "rating"),
    )
    op.create_table(
        "rollup_events",
        sa.Column("event_id", sa.String(128), primary_key=True),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
    )
    op.create_table(
        "dashboard_users",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("locked_until", _TIME),
        sa.Column("disabled_at", _TIME),
    )
    op.create_table(
        "dashboard_sessions",
        sa.Column("session_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
    )
    op.create_index("ix_dashboard_sessions_user_id", "dashboard_sessions", ["user_id"])
    op.create_index("ix_dashboard_sessions_expires_at", "dashboard_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_dashboard_sessions_expires_at", table_name="dashboard_sessions")
    op.drop_index("ix_dashboard_sessions_user_id", table_name="dashboard_sessions")
    for name in (
        "dashboard_sessions",
        "dashboard_users",
        "rollup_events",
        "rollup_survey",
        "rollup_watchlist",
        "rollup_scores",
        "rollup_acquisition",
        "rollup_step_times",
        "rollup_reasons",
        "rollup_daily",
        "rollup_traffic",
    ):
        op.drop_table(name)

"""Migration 0002 on a database at 0001 holding data: tokens and verified heads carried over."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import LargeBinary, column, table, text

from sync import protocol
from sync.server import tokens
from sync.server.apierror import ApiError
from sync.server.db import make_engine, migrate
from sync.server.schema import UTCDateTime, metadata

pytestmark = pytest.mark.integration

T = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def test_0002_keeps_tokens_and_verified_heads(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert migrate(engine, "0001") == ["0001"]
        key = Ed25519PrivateKey.generate()
        digest = hashlib.sha256(b"record 12").digest()
        signed = {"seq": 12, "entry_hash": digest.hex(), "signature": key.sign(digest).hex()}
        unsigned = {"seq": 3, "entry_hash": digest.hex(), "signature": "00" * 64}
        kiosks = table(
            "kiosks",
            column("kiosk_id"),
            column("office_id"),
            column("public_key", LargeBinary),
            column("status"),
            column("registered_at", UTCDateTime),
        )
        old_heads = table(
            "audit_heads",
            column("kiosk_id"),
            column("idempotency_key"),
            column("payload"),
            column("received_at", UTCDateTime),
        )
        admin_tokens = table(
            "admin_tokens",
            column("token_hash"),
            column("label"),
            column("created_at", UTCDateTime),
            column("revoked_at", UTCDateTime),
        )
        public = protocol.public_key_bytes(key)
        with engine.begin() as conn:
            conn.execute(
                kiosks.insert(),
                [
                    {"kiosk_id": k, "office_id": "W", "public_key": public}
                    | {"status": "active", "registered_at": T}
                    for k in ("K-1", "K-2")
                ],
            )
            conn.execute(
                old_heads.insert(),
                [
                    {"kiosk_id": k, "idempotency_key": "audit:x", "payload": json.dumps(p)}
                    | {"received_at": T}
                    # K-GONE: no such kiosk any more
                    for k, p in (("K-1", signed), ("K-2", unsigned), ("K-GONE", signed))
                ],
            )
            conn.execute(
                admin_tokens.insert(),
                [
                    {
                        "token_hash": hashlib.sha256(f"old-token-{n}".encode()).hexdigest(),
                        "label": label,
                        "created_at": T.replace(minute=n),
                        "revoked_at": revoked,
                    }
                    for n, (label, revoked) in enumerate(
                        (("dashboard", None), ("dashboard", T), ("ops", None))
                    )
                ],
            )
        assert migrate(engine) == ["0002", "0003", "0004"]  # 0003 and 0004 only add tables
        with engine.begin() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
            assert diff == []
            heads = conn.execute(text("SELECT kiosk_id, seq, entry_hash FROM audit_heads")).all()
            assert [tuple(h) for h in heads] == [("K-1", 12, digest.hex())]
            names = conn.execute(
                text("SELECT name, role, revoked_at IS NOT NULL FROM api_tokens ORDER BY name")
            ).all()
            assert [tuple(r) for r in names] == [
                ("dashboard", "admin", False),
                ("dashboard-2", "admin", True),
                ("ops", "admin", False),
            ]
            # the old tokens still open the admin API (same hash), revoked ones do not
            found = tokens.authenticate(conn, "Bearer old-token-0", now=T)
            assert found == tokens.Token("dashboard", tokens.Role.ADMIN)
            with pytest.raises(ApiError):
                tokens.authenticate(conn, "Bearer old-token-1", now=T)
    finally:
        engine.dispose()

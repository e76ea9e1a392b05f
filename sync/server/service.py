"""The central server's operations, shared by the admin API and ``gerbang server``."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from models.roles import Role
from sync import params, protocol
from sync.server import audit_heads, dedup, feeds, registry, rollups, tokens
from sync.server import schema as s
from sync.server.config import ServerConfig
from sync.server.db import current_revision, head_revision, make_engine, migrate, translate_errors


def _now() -> datetime:
    return datetime.now(UTC)


class Central:
    """One database and the server keys. Holds no state beyond the engine (a pool)."""

    def __init__(self, config: ServerConfig, engine: Engine | None = None) -> None:
        self.config = config
        self.engine = engine or make_engine(config.database_url)
        self.public_key = protocol.public_key_bytes(config.signing_key)

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------ schema
    def migrate(self) -> list[str]:
        return migrate(self.engine)

    def ready(self) -> tuple[bool, str | None]:
        with translate_errors("readiness"), self.engine.connect() as conn:
            current = current_revision(conn)
        return current == head_revision(), current

    # ------------------------------------------------------------ kiosks
    def issue_code(
        self, office_id: str, *, kiosk_id: str | None = None, ttl_hours: float | None = None
    ) -> dict[str, str]:
        kwargs: dict[str, Any] = {} if ttl_hours is None else {"ttl_hours": ttl_hours}
        with translate_errors("issue code"), self.engine.begin() as conn:
            code, expires = registry.issue_code(
                conn, office_id=office_id, kiosk_id=kiosk_id, now=_now(), **kwargs
            )
        return {"code": code, "office_id": office_id, "expires_at": expires.isoformat()}

    def kiosks(self, office_id: str | None = None) -> list[dict[str, object]]:
        with translate_errors("list kiosks"), self.engine.connect() as conn:
            return [k.as_json() for k in registry.list_kiosks(conn, office_id)]

    def revoke(self, kiosk_id: str, *, reason: str) -> dict[str, object]:
        with translate_errors("revoke"), self.engine.begin() as conn:
            return registry.revoke(conn, kiosk_id, reason=reason, now=_now()).as_json()

    # ------------------------------------------------------------ API tokens
    def create_token(self, name: str, role: tokens.Role = tokens.Role.ADMIN) -> str:
        """A named API token (returned once; only its hash is stored)."""
        with translate_errors("create token"), self.engine.begin() as conn:
            return tokens.create(conn, name=name, role=role, now=_now())

    def list_tokens(self) -> list[dict[str, Any]]:
        with translate_errors("list tokens"), self.engine.connect() as conn:
            return tokens.list_tokens(conn)

    def revoke_token(self, name: str) -> None:
        with translate_errors("revoke token"), self.engine.begin() as conn:
            tokens.revoke(conn, name, now=_now())

    def authenticate_token(self, authorization: str | None) -> tokens.Token:
        with translate_errors("token auth"), self.engine.begin() as conn:
            return tokens.authenticate(conn, authorization, now=_now())

    # ------------------------------------------------------------ audit heads and alerts
    def kiosk_audit_heads(
        self, kiosk_id: str, *, after: int = 0, limit: int = params.AUDIT_HEADS_PAGE
    ) -> list[dict[str, Any]]:
        """Held audit-chain heads of a kiosk's current key, oldest first."""
        with translate_errors("audit heads"), self.engine.connect() as conn:
            kiosk = registry.get_kiosk(conn, kiosk_id)
            if kiosk is None:
                return []
            key = audit_heads.key_id(kiosk.public_key)
            return audit_heads.history(conn, kiosk_id, key, after=after, limit=limit)

    def security_alerts(
        self, status: str | None = audit_heads.OPEN, *, kiosk_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Refused audit heads (rollback, fork, bad signature), newest first."""
        with translate_errors("security alerts"), self.engine.connect() as conn:
            return audit_heads.list_alerts(conn, status=status, kiosk_id=kiosk_id)

    def acknowledge_alert(self, alert_id: int, *, by: str) -> bool:
        with translate_errors("acknowledge alert"), self.engine.begin() as conn:
            return audit_heads.acknowledge(conn, alert_id, by=by, now=_now())

    # ------------------------------------------------------------ feeds
    def publish(self, changes: Iterable[dict[str, Any]]) -> dict[str, int]:
        """Validate and publish ``{"kind", "id", "scope"?, "payload"?, "deleted"?}`` changes."""
        prepared = []
        for c in changes:
            kind, record_id = str(c["kind"]), str(c["id"])
            scope = str(c.get("scope") or protocol.GLOBAL_SCOPE)
            if c.get("deleted"):
                prepared.append(feeds.Change(kind, record_id, scope, None))
            else:
                payload = feeds.validate(kind, record_id, scope, c.get("payload"))
                prepared.append(feeds.Change(kind, record_id, scope, payload))
        with translate_errors("publish"), self.engine.begin() as conn:
            for i, change in enumerate(prepared):
                if change.payload is None:  # a tombstone keeps the record's scope
                    stored = feeds.scope_of(conn, change.kind, change.record_id)
                    if stored is not None:
                        prepared[i] = feeds.Change(change.kind, change.record_id, stored, None)
            first, last = feeds.publish(conn, prepared, now=_now())
        return {"published": len(prepared), "first_seq": first, "last_seq": last}

    # ------------------------------------------------------------ de-duplication
    def run_dedup(self, threshold: float = dedup.DEFAULT_FACE_THRESHOLD) -> dict[str, int]:
        with translate_errors("dedup"), self.engine.begin() as conn:
            return dedup.run_face_dedup(conn, now=_now(), threshold=threshold)

    def flags(self, status: str | None = "open") -> list[dict[str, Any]]:
        with translate_errors("flags"), self.engine.connect() as conn:
            return dedup.list_flags(conn, status=status)

    def resolve_flag(self, flag_id: int, *, by: str) -> bool:
        with translate_errors("resolve flag"), self.engine.begin() as conn:
            return dedup.resolve_flag(conn, flag_id, by=by, now=_now())

    # ------------------------------------------------------------ web dashboard
    def create_dashboard_user(
        self, user_id: str, display_name: str, role: Role, password: str
    ) -> dict[str, str]:
        from sync.server.dashboard import users

        with translate_errors("dashboard user"), self.engine.begin() as conn:
            user = users.create_user(
                conn,
                user_id=user_id,
                display_name=display_name,
                role=role,
                password=password,
                now=_now(),
            )
        return {"user_id": user.user_id, "display_name": user.display_name, "role": user.role.value}

    def dashboard_users(self) -> list[dict[str, object]]:
        from sync.server.dashboard import users

        with translate_errors("dashboard users"), self.engine.connect() as conn:
            return users.list_users(conn)

    def fold_rollups(self, *, max_batches: int = 100) -> int:
        """Count queued event versions into the rollups (one transaction per batch);
        returns how many were counted."""
        total = 0
        for _ in range(max_batches):
            with translate_errors("rollup fold"), self.engine.begin() as conn:
                done = rollups.fold(conn)
            total += done
            if done < rollups.FOLD_BATCH:
                break
        return total

    def rebuild_rollups(self) -> int:
        """Recount the dashboard's rollups from the stored events; returns the events counted."""
        with translate_errors("rollup rebuild"), self.engine.begin() as conn:
            return rollups.rebuild(conn)

    # ------------------------------------------------------------ dashboard data
    def counts(self) -> dict[str, Any]:
        with translate_errors("counts"), self.engine.connect() as conn:
            p = s.pushed_records
            by_kind = {
                str(k): int(n)
                for k, n in conn.execute(select(p.c.kind, func.count()).group_by(p.c.kind))
            }
            distinct = conn.execute(
                select(func.count(func.distinct(p.c.record_id))).where(
                    p.c.kind == protocol.PushKind.VERIFICATION_EVENT.value
                )
            ).scalar_one()
            return {
                "pushed": by_kind,
                "distinct_events": int(distinct),
                "feed_head": feeds.head(conn),
                "feed_records": int(
                    conn.execute(select(func.count()).select_from(s.feed_records)).scalar_one()
                ),
                "kiosks": int(
                    conn.execute(select(func.count()).select_from(s.kiosks)).scalar_one()
                ),
                "audit_heads": int(
                    conn.execute(select(func.count()).select_from(s.audit_heads)).scalar_one()
                ),
            }

    def dashboard(self) -> dict[str, Any]:
        """Per-kiosk sync health for the central dashboard (issue #12)."""
        with translate_errors("dashboard"), self.engine.connect() as conn:
            head = feeds.head(conn)
            status = {r.kiosk_id: r for r in conn.execute(select(s.kiosk_status))}
            heads = audit_heads.newest_per_kiosk(conn)
            alerts = audit_heads.open_alerts_per_kiosk(conn)
            open_flags = conn.execute(
                select(func.count())
                .select_from(s.dedup_flags)
                .where(s.dedup_flags.c.status == "open")
            ).scalar_one()
            kiosks = []
            for k in registry.list_kiosks(conn):
                row = status.get(k.kiosk_id)
                report = json.loads(row.payload) if row is not None else None
                audit = heads.get(k.kiosk_id)
                kiosks.append(
                    {
                        **k.as_json(),
                        "last_report_at": row.reported_at.isoformat() if row else None,
                        "checkpoint": int(row.checkpoint) if row else None,
                        "feed_lag": head - int(row.checkpoint) if row else None,
                        "outbox_depth": int(row.outbox_depth) if row else None,
                        "mode": row.mode if row else None,
                        "offline": report.get("offline") if isinstance(report, dict) else None,
                        "audit_head_at": audit["received_at"] if audit else None,
                        "audit_head_seq": audit["seq"] if audit else None,
                        "open_security_alerts": alerts.get(k.kiosk_id, 0),
                    }
                )
        return {
            "feed_head": head,
            "open_dedup_flags": int(open_flags),
            "open_security_alerts": sum(alerts.values()),
            "kiosks": kiosks,
        }

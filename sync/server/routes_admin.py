"""Admin endpoints (officers' tools, dashboard data): named API tokens with a role.

``Authorization: Bearer <token>`` from ``gerbang server token create --name NAME
--role admin|viewer``. ``viewer`` tokens may read (GET); ``admin`` tokens may
also change things. Every admin request is logged with the token's name (never
the token), and an acknowledgement or resolution records that name.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from sync import params
from sync.server.api_models import (
    ID_PATTERN,
    CodeIssued,
    CodeRequest,
    DedupRun,
    Published,
    PublishRequest,
    RevokeRequest,
)
from sync.server.apierror import not_found
from sync.server.service import Central
from sync.server.tokens import Role, Token, check_name, require

log = logging.getLogger(__name__)
bearer = HTTPBearer(scheme_name="adminToken", auto_error=False)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def _central(request: Request) -> Central:
    c: Central = request.app.state.central
    return c


def _needs(
    role: Role,
) -> Callable[[Request, HTTPAuthorizationCredentials | None], Awaitable[Token]]:
    async def dependency(request: Request, credentials: Credentials) -> Token:
        header = f"Bearer {credentials.credentials}" if credentials else None
        token: Token = await run_in_threadpool(_central(request).authenticate_token, header)
        route = request.scope.get("route")
        command = f"{request.method} {getattr(route, 'path', '?')}"
        if not token.allows(role):
            log.warning(
                "admin request refused",
                extra={"actor": token.name, "command": command, "code": "admin.role"},
            )
        require(token, role)
        log.info("admin request", extra={"actor": token.name, "command": command})
        return token

    return dependency


Viewer = Annotated[Token, Depends(_needs(Role.VIEWER))]
Admin = Annotated[Token, Depends(_needs(Role.ADMIN))]
KioskId = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]
OfficeFilter = Annotated[str | None, Query(min_length=1, max_length=64, pattern=ID_PATTERN)]
router = APIRouter(prefix="/admin/v1", tags=["admin"])


@router.post("/registration-codes", response_model=CodeIssued)
def issue_code(request: Request, body: CodeRequest, _token: Admin) -> CodeIssued:
    """A one-time registration code for a kiosk of ``office_id``."""
    issued = _central(request).issue_code(
        body.office_id, kiosk_id=body.kiosk_id, ttl_hours=body.ttl_hours
    )
    return CodeIssued.model_validate(issued)


@router.get("/kiosks")
def kiosks(
    request: Request, _token: Viewer, office_id: OfficeFilter = None
) -> list[dict[str, Any]]:
    """Registered kiosks (of one office)."""
    return _central(request).kiosks(office_id)


@router.post("/kiosks/{kiosk_id}/revoke")
def revoke(
    request: Request, kiosk_id: KioskId, body: RevokeRequest, _token: Admin
) -> dict[str, Any]:
    """Revoke a kiosk: every later request of it is refused (403 ``kiosk.revoked``)."""
    return _central(request).revoke(kiosk_id, reason=body.reason)


@router.get("/kiosks/{kiosk_id}/audit-heads")
def kiosk_audit_heads(
    request: Request,
    kiosk_id: KioskId,
    _token: Viewer,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=params.AUDIT_HEADS_PAGE)] = params.AUDIT_HEADS_PAGE,
) -> list[dict[str, Any]]:
    """The audit-chain heads held for a kiosk's current key, oldest first."""
    return _central(request).kiosk_audit_heads(kiosk_id, after=after, limit=limit)


@router.post("/feed", response_model=Published)
def publish(request: Request, body: PublishRequest, _token: Admin) -> Published:
    """Publish changes (watchlist, traveller, trust_anchor, policy); ``deleted`` makes a tombstone."""
    result = _central(request).publish(c.model_dump() for c in body.changes)
    return Published.model_validate(result)


@router.post("/dedup/run")
def dedup_run(request: Request, body: DedupRun, _token: Admin) -> dict[str, int]:
    """Compare new face templates with all enrolled ones; flag near-duplicates."""
    return _central(request).run_dedup(body.threshold)


@router.get("/dedup/flags")
def flags(
    request: Request,
    _token: Viewer,
    status: Literal["open", "resolved", "all"] = "open",
) -> list[dict[str, Any]]:
    """Possible duplicate enrollments."""
    return _central(request).flags(None if status == "all" else status)


@router.post("/dedup/flags/{flag_id}/resolve")
def resolve(request: Request, flag_id: Annotated[int, Path(ge=1)], token: Admin) -> dict[str, bool]:
    """Close a de-duplication flag; it records the token's name."""
    if not _central(request).resolve_flag(flag_id, by=token.name):
        raise not_found("dedup.unknown_flag", f"no open flag {flag_id}")
    return {"resolved": True}


@router.get("/security/alerts")
def security_alerts(
    request: Request,
    _token: Viewer,
    status: Literal["open", "acknowledged", "all"] = "open",
    kiosk_id: Annotated[str | None, Query(max_length=64, pattern=ID_PATTERN)] = None,
) -> list[dict[str, Any]]:
    """Refused audit-chain heads: ``audit_rollback``, ``audit_fork``, ``audit_bad_signature``."""
    return _central(request).security_alerts(None if status == "all" else status, kiosk_id=kiosk_id)


@router.post("/security/alerts/{alert_id}/acknowledge")
def acknowledge_alert(
    request: Request, alert_id: Annotated[int, Path(ge=1)], token: Admin
) -> dict[str, bool]:
    """Mark an alert as seen; it records the token's name."""
    if not _central(request).acknowledge_alert(alert_id, by=token.name):
        raise not_found("security.unknown_alert", f"no open alert {alert_id}")
    return {"acknowledged": True}


@router.get("/tokens")
def list_tokens(request: Request, _token: Admin) -> list[dict[str, Any]]:
    """API tokens: name, role, created, last used, revoked (never the tokens)."""
    return _central(request).list_tokens()


@router.post("/tokens/{name}/revoke")
def revoke_token(
    request: Request, name: Annotated[str, Path(max_length=64)], _token: Admin
) -> dict[str, bool]:
    """Revoke an API token (it may be the caller's own)."""
    _central(request).revoke_token(check_name(name))
    return {"revoked": True}


@router.get("/dashboard")
def dashboard(request: Request, _token: Viewer) -> dict[str, Any]:
    """Per-kiosk sync health: last report, feed lag, outbox depth, offline mode, audit
    head, open security alerts."""
    return _central(request).dashboard()


@router.get("/counts")
def counts(request: Request, _token: Viewer) -> dict[str, Any]:
    """Stored counts per kind, feed head, kiosks."""
    return _central(request).counts()

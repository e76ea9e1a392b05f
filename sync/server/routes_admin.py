"""Admin endpoints (officers' tools, dashboard): bearer token.

Role-based access for officers and supervisors comes with issue #11; until then
an admin token (``gerbang server admin-token``) grants all of these.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from sync.server import registry
from sync.server.api_models import (
    CodeIssued,
    CodeRequest,
    DedupRun,
    Published,
    PublishRequest,
    ResolveRequest,
    RevokeRequest,
)
from sync.server.apierror import not_found
from sync.server.db import translate_errors
from sync.server.service import Central

bearer = HTTPBearer(scheme_name="adminToken", auto_error=False)


async def admin(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> str:
    c: Central = request.app.state.central
    header = f"Bearer {credentials.credentials}" if credentials else None

    def check() -> str:
        with translate_errors("admin auth"), c.engine.connect() as conn:
            return registry.check_admin_token(conn, header)

    return await run_in_threadpool(check)


Admin = Annotated[str, Depends(admin)]
router = APIRouter(prefix="/admin/v1", tags=["admin"])


def _central(request: Request) -> Central:
    c: Central = request.app.state.central
    return c


@router.post("/registration-codes", response_model=CodeIssued)
def issue_code(request: Request, body: CodeRequest, _admin: Admin) -> CodeIssued:
    """A one-time registration code for a kiosk of ``office_id``."""
    issued = _central(request).issue_code(
        body.office_id, kiosk_id=body.kiosk_id, ttl_hours=body.ttl_hours
    )
    return CodeIssued.model_validate(issued)


@router.get("/kiosks")
def kiosks(request: Request, _admin: Admin, office_id: str | None = None) -> list[dict[str, Any]]:
    return _central(request).kiosks(office_id)


@router.post("/kiosks/{kiosk_id}/revoke")
def revoke(request: Request, kiosk_id: str, body: RevokeRequest, _admin: Admin) -> dict[str, Any]:
    """Revoke a kiosk: every later request of it is refused (403 ``kiosk.revoked``)."""
    return _central(request).revoke(kiosk_id, reason=body.reason)


@router.post("/feed", response_model=Published)
def publish(request: Request, body: PublishRequest, _admin: Admin) -> Published:
    """Publish changes (watchlist, traveller, trust_anchor, policy); ``deleted`` makes a tombstone."""
    result = _central(request).publish(c.model_dump() for c in body.changes)
    return Published.model_validate(result)


@router.post("/dedup/run")
def dedup_run(request: Request, body: DedupRun, _admin: Admin) -> dict[str, int]:
    """Compare new face templates with all enrolled ones; flag near-duplicates."""
    return _central(request).run_dedup(body.threshold)


@router.get("/dedup/flags")
def flags(request: Request, _admin: Admin, status: str | None = "open") -> list[dict[str, Any]]:
    return _central(request).flags(status)


@router.post("/dedup/flags/{flag_id}/resolve")
def resolve(request: Request, flag_id: int, body: ResolveRequest, _admin: Admin) -> dict[str, bool]:
    if not _central(request).resolve_flag(flag_id, by=body.by):
        raise not_found("dedup.unknown_flag", f"no open flag {flag_id}")
    return {"resolved": True}


@router.get("/dashboard")
def dashboard(request: Request, _admin: Admin) -> dict[str, Any]:
    """Per-kiosk sync health: last report, feed lag, outbox depth, offline mode, audit head."""
    return _central(request).dashboard()


@router.get("/counts")
def counts(request: Request, _admin: Admin) -> dict[str, Any]:
    return _central(request).counts()

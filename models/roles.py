"""Roles and permissions, enforced on the kiosk and on the central server.

The traveller screen has no role at all: it can reach none of these
permissions. Technicians see devices and technical data, never personal or
biometric data. Supervisors approve what officers cannot decide alone
(quality overrides, de-duplication outcomes). Analysts read reports; only the
restricted ``VIEW_WATCHLIST_HITS`` permission shows who was hit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from models.errors import SecurityError


class Role(StrEnum):
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    TECHNICIAN = "technician"
    ANALYST = "analyst"
    ADMIN = "admin"


class Permission(StrEnum):
    ENROLL = "enroll"
    VIEW_PERSONAL_DATA = "view_personal_data"
    REVIEW_REFERRALS = "review_referrals"
    OVERRIDE_DECISION = "override_decision"  # open the gate for a referred traveller
    MANAGE_WATCHLIST = "manage_watchlist"
    VIEW_WATCHLIST_HITS = "view_watchlist_hits"
    APPROVE_QUALITY_OVERRIDE = "approve_quality_override"
    APPROVE_DEDUPLICATION = "approve_deduplication"
    VIEW_DEVICES = "view_devices"
    CONFIGURE_DEVICES = "configure_devices"
    CALIBRATE = "calibrate"
    VIEW_REPORTS = "view_reports"
    EXPORT_REPORTS = "export_reports"
    MANAGE_ACCOUNTS = "manage_accounts"
    MANAGE_KEYS = "manage_keys"
    BACKUP_RESTORE = "backup_restore"
    RUN_RETENTION = "run_retention"
    VIEW_AUDIT = "view_audit"


_OFFICER = {
    Permission.ENROLL,
    Permission.VIEW_PERSONAL_DATA,
    Permission.REVIEW_REFERRALS,
    Permission.OVERRIDE_DECISION,
    Permission.MANAGE_WATCHLIST,
    Permission.VIEW_WATCHLIST_HITS,
}
_TECHNICIAN = {
    Permission.VIEW_DEVICES,
    Permission.CONFIGURE_DEVICES,
    Permission.CALIBRATE,
    Permission.BACKUP_RESTORE,
    Permission.VIEW_AUDIT,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OFFICER: frozenset(_OFFICER),
    Role.SUPERVISOR: frozenset(
        _OFFICER
        | {
            Permission.APPROVE_QUALITY_OVERRIDE,
            Permission.APPROVE_DEDUPLICATION,
            Permission.VIEW_REPORTS,
            Permission.EXPORT_REPORTS,
            Permission.VIEW_AUDIT,
            Permission.RUN_RETENTION,
            Permission.CALIBRATE,  # sets the kiosk's operating points (gerbang calibrate)
        }
    ),
    Role.TECHNICIAN: frozenset(_TECHNICIAN),
    Role.ANALYST: frozenset({Permission.VIEW_REPORTS, Permission.EXPORT_REPORTS}),
    Role.ADMIN: frozenset(
        {
            Permission.MANAGE_ACCOUNTS,
            Permission.MANAGE_KEYS,
            Permission.BACKUP_RESTORE,
            Permission.VIEW_AUDIT,
        }
    ),
}

# Personal or biometric data: never for technicians, whatever else they are given.
PERSONAL = frozenset(
    {Permission.VIEW_PERSONAL_DATA, Permission.ENROLL, Permission.VIEW_WATCHLIST_HITS}
)


class ForbiddenError(SecurityError):
    code = "security.forbidden"

    def __init__(self, user_id: str, permission: Permission) -> None:
        super().__init__(f"{user_id} may not {permission.value.replace('_', ' ')}")
        self.user_id = user_id
        self.permission = permission


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: a logged-in staff member (the traveller screen has no principal)."""

    user_id: str
    roles: frozenset[Role]

    @property
    def permissions(self) -> frozenset[Permission]:
        return permissions_of(self.roles)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise ForbiddenError(self.user_id, permission)


def permissions_of(roles: Iterable[Role]) -> frozenset[Permission]:
    """The union of the roles' permissions; a technician never holds personal-data ones."""
    held = set(roles)
    granted: set[Permission] = set()
    for role in held:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted - PERSONAL if Role.TECHNICIAN in held else granted)


def require(principal: Principal | None, permission: Permission) -> Principal:
    """The principal, if it holds ``permission``; the traveller (None) holds none."""
    if principal is None:
        raise ForbiddenError("traveller", permission)
    principal.require(permission)
    return principal

"""Saving a calibration result: permission check, settings file update, audit record.

One function per kind of result. Each requires ``Permission.CALIBRATE`` (the
technician's and the supervisor's), writes the settings file through
:mod:`enrollment.technician.savefile` and appends an audit record naming the
old and new values (numbers and device ids only, never personal data).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from models.audit import AuditLog
from models.roles import Permission, Principal
from models.settings import (
    CameraCalibration,
    FaceOperatingPoint,
    FingerprintOperatingPoint,
    Settings,
)

from . import savefile

ACTION_FACE = "calibration.face_thresholds"
ACTION_FINGERPRINT = "calibration.fingerprint_thresholds"
ACTION_CAMERA = "calibration.camera"


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def save_face_point(
    path: Path, point: FaceOperatingPoint, *, by: Principal, audit: AuditLog
) -> Settings:
    """Make ``point`` the kiosk's face operating point."""
    by.require(Permission.CALIBRATE)
    point = point.model_copy(update={"calibrated_at": _now(), "calibrated_by": by.user_id})
    old = savefile.current(path)
    settings = savefile.save(path, old.model_copy(update={"face": point}))
    detail: dict[str, Any] = {
        "settings_file": path.name,
        "accept": point.accept,
        "reject": point.reject,
        "target_fmr": point.target_fmr,
        "dataset": point.dataset,
        "genuine_pairs": point.genuine_pairs,
        "impostor_pairs": point.impostor_pairs,
        "previous": None
        if old.face is None
        else {"accept": old.face.accept, "reject": old.face.reject},
    }
    audit.append(by.user_id, ACTION_FACE, "face", detail)
    return settings


def save_fingerprint_point(
    path: Path, point: FingerprintOperatingPoint, *, by: Principal, audit: AuditLog
) -> Settings:
    """Make ``point`` the kiosk's fingerprint operating points (one finger and two fused)."""
    by.require(Permission.CALIBRATE)
    point = point.model_copy(update={"calibrated_at": _now(), "calibrated_by": by.user_id})
    old = savefile.current(path)
    settings = savefile.save(path, old.model_copy(update={"fingerprint": point}))
    before = old.fingerprint
    detail: dict[str, Any] = {
        "settings_file": path.name,
        "accept": point.accept,
        "reject": point.reject,
        "fused_accept": point.fused_accept,
        "fused_reject": point.fused_reject,
        **_dual_points(point),
        "target_fmr": point.target_fmr,
        "dataset": point.dataset,
        "genuine_pairs": point.genuine_pairs,
        "impostor_pairs": point.impostor_pairs,
        "previous": None
        if before is None
        else {
            "accept": before.accept,
            "reject": before.reject,
            "fused_accept": before.fused_accept,
            "fused_reject": before.fused_reject,
            **_dual_points(before),
        },
    }
    audit.append(by.user_id, ACTION_FINGERPRINT, "fingerprint", detail)
    return settings


def _dual_points(point: FingerprintOperatingPoint) -> dict[str, float | None]:
    """gerbang_dual's points (None when the point was saved without them)."""
    return {
        "dual_accept": point.dual_accept,
        "dual_reject": point.dual_reject,
        "dual_fused_accept": point.dual_fused_accept,
        "dual_fused_reject": point.dual_fused_reject,
    }


def save_camera(
    path: Path, device_id: str, result: CameraCalibration, *, by: Principal, audit: AuditLog
) -> Settings:
    """Save the recommended settings of camera ``device_id``."""
    by.require(Permission.CALIBRATE)
    result = result.model_copy(update={"calibrated_at": _now(), "calibrated_by": by.user_id})
    old = savefile.current(path)
    cameras = {**old.camera, device_id: result}
    settings = savefile.save(path, old.model_copy(update={"camera": cameras}))
    before = old.camera.get(device_id)
    audit.append(
        by.user_id,
        ACTION_CAMERA,
        device_id,
        {
            "settings_file": path.name,
            "new": result.model_dump(mode="json", exclude={"calibrated_by", "calibrated_at"}),
            "previous": None
            if before is None
            else before.model_dump(mode="json", exclude={"calibrated_by", "calibrated_at"}),
        },
    )
    return settings

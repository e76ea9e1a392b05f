"""Diagnostic bundle: one zip of JSON files for support, with no personal or biometric data.

What goes in is chosen, not filtered: device states and checks, the settings
with every device's ``options`` reduced to their *names* (a virtual passport's
options hold MRZ lines, a folder path can hold a name), the calibration figures,
record *counts* of the store (never rows), the audit chain's verification and
its action counts (never details), sync and network diagnostics, versions.

As a second line of defence every file is scanned before the zip is written:
text that looks like an MRZ line, or any string the caller names (the current
documents' numbers and names, say), refuses the bundle
(:class:`PersonalDataInBundleError`) instead of shipping it.
"""

from __future__ import annotations

import io
import json
import platform
import re
import sys
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from models.audit import AuditLog
from models.errors import SecurityError
from models.settings import Settings
from models.store import Store

from .savefile import atomic_write

FORMAT = "gerbang-diagnostics/1"
# An MRZ line: 30/36/44 characters of A-Z, 0-9 and '<' with a run of fillers.
_MRZ = re.compile(r"[A-Z0-9<]{28,44}")
_COUNTED = (
    "travellers",
    "documents",
    "face_samples",
    "fingerprint_samples",
    "face_templates",
    "fingerprint_templates",
    "enrollments",
    "watchlist",
    "events",
    "referrals",
    "staff",
)


class PersonalDataInBundleError(SecurityError):
    code = "security.personal_data_in_bundle"

    def __init__(self, member: str, what: str) -> None:
        super().__init__(f"diagnostic bundle refused: {member} holds {what}")
        self.member = member


def settings_section(settings: Settings) -> dict[str, Any]:
    """The settings without option values (names only) and without device paths."""
    data: dict[str, Any] = json.loads(settings.model_dump_json())
    for device in data["devices"]["device"]:
        device["options"] = sorted(device.get("options", {}))
    data["documents"]["trust_paths"] = len(data["documents"]["trust_paths"])
    return data


def store_section(store: Store, audit: AuditLog | None) -> dict[str, Any]:
    counts = {name: getattr(store, name).count() for name in _COUNTED}
    result: dict[str, Any] = {
        "schema_version": store.schema_version,
        "counts": counts,
        "outbox_depth": store.outbox.depth(),
        "audit_records": store.audit.count(),
    }
    if audit is not None:
        report = audit.verify()
        first = report.first_break
        result["audit_chain"] = {
            "valid": report.valid,
            "first_break": None if first is None else {"seq": first.seq, "kind": first.kind.value},
        }
        actions: Counter[str] = Counter(r.action for r in store.audit)
        result["audit_actions"] = dict(sorted(actions.items()))
    return result


def versions() -> dict[str, Any]:
    def version(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    return {
        "gerbang": version("gerbang"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": {
            name: version(name)
            for name in (
                "numpy",
                "opencv-python-headless",
                "dlib-bin",
                "faiss-cpu",
                "PySide6_Essentials",
                "httpx",
                "pyscard",
            )
        },
    }


def _scan(member: str, text: str, forbidden: Iterable[str]) -> None:
    for needle in forbidden:
        if needle and needle.upper() in text.upper():
            raise PersonalDataInBundleError(member, "a string it must not hold")
    for match in _MRZ.finditer(text):
        if "<<" in match.group(0):
            raise PersonalDataInBundleError(member, "text that looks like an MRZ line")


def write_bundle(
    path: Path,
    sections: Mapping[str, Any],
    *,
    kiosk_id: str,
    forbidden: Iterable[str] = (),
) -> dict[str, Any]:
    """Write ``sections`` (name -> JSON-ready data) as ``<name>.json`` members of a zip."""
    needles = [s for s in forbidden if len(s) >= 3]
    manifest = {
        "format": FORMAT,
        "kiosk_id": kiosk_id,
        "created_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "members": sorted(f"{name}.json" for name in sections),
        "personal_data": "none: option values, records and audit details are left out",
    }
    members = {"manifest.json": manifest, **{f"{k}.json": v for k, v in sections.items()}}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str)
            _scan(name, text, needles)
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text + "\n")
    data = buffer.getvalue()
    atomic_write(path, data, new_mode=0o600)
    return {"path": str(path), "bytes": len(data), "members": sorted(members)}


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def personal_strings(store: Store | None, settings: Settings) -> list[str]:
    """Strings the bundle must not contain: the store's document numbers and names, and
    MRZ text (with the names in it) from device options. Used in memory only, for the scan."""
    found: set[str] = set()
    if store is not None:
        for doc in store.documents:
            found.update((doc.document_number, doc.surname, doc.given_names))
        for person in store.travellers:
            found.update((person.surname, person.given_names))
    for device in settings.devices.device:
        for text in _strings(device.options):
            if _MRZ.fullmatch(text) and "<<" in text:
                found.add(text)
                found.update(part for part in re.split(r"<+", text[5:]) if part.isalpha())
                if text[9].isdigit():  # TD3 line 2: document number, then its check digit
                    found.add(text[:9].rstrip("<"))
    return sorted(s for s in found if len(s) >= 3)

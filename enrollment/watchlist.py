"""Watchlist management on the kiosk (Qt-free): import, list, expire, remove, export.

Every change is one store transaction with its audit record; the face gallery
is updated after the commit through :class:`GalleryUpdate` (the index is
always rebuildable from the store, so a crash between the two is repaired
when the index is next opened).

Watchlists reach kiosks from the central server's feed (``sync/apply.py``);
entries imported here are local to this kiosk: the push protocol has no
watchlist kind, so they are not queued in the outbox (docs/officer.md).
Single-finger images and the fingertips segmented from slap images (positions
13-15, ``biometrics.fingerprint.slap``) get our matcher's template; imported
minutiae (Type-9, ISO/INCITS 378 records) are converted to it and stored in the
same ISO format, so the kiosk's finger step compares them. A Type-9 record that
converts to fewer minutiae than the matcher needs is kept as imported (not comparable).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from biometrics.fingerprint import record, slap
from biometrics.fingerprint.errors import FingerprintError
from enrollment.faces import FaceEngine
from enrollment.watchlist_files import (
    MINUTIAE_FORMAT,
    FileContents,
    FingerImageIn,
    MinutiaeIn,
    Rejection,
    SubjectIn,
    read_file,
)
from models import codec
from models.audit import AuditLog
from models.biometric import (
    FaceSample,
    FaceTemplate,
    FingerprintSample,
    FingerprintTemplate,
    SampleSource,
)
from models.bundles import WatchlistBundle
from models.errors import MalformedDataError, RecordNotFoundError, SecurityError
from models.roles import Permission, Principal
from models.sealed_export import read_sealed, write_sealed
from models.store import Store
from models.watchlist import WatchlistCategory, WatchlistEntry

T = TypeVar("T")
_NAMESPACE = uuid.UUID("6d1c3f0e-9a51-4c8e-8d5e-2f2b7f3a9c10")


class GalleryUpdate(Protocol):
    """Apply committed changes to the face gallery (see ``StoreGallerySource.changes``)."""

    def __call__(
        self,
        *,
        templates: Sequence[str] = (),
        removed_rows: Sequence[int] = (),
        watchlist: Sequence[WatchlistEntry] = (),
        removed_entries: Sequence[str] = (),
    ) -> None: ...


@dataclass
class FileReport:
    file: str
    persons: int = 0
    faces: int = 0
    fingerprints: int = 0  # finger images stored
    matchable: int = 0  # templates our matcher compares: single fingers, slap tips, minutiae
    segmented: int = 0  # of those, fingers segmented from slap images (positions 13-15)
    minutiae: int = 0  # minutiae records stored (Type-9, ISO/INCITS 378 finger views)
    entry_ids: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "persons": self.persons,
            "faces": self.faces,
            "fingerprints": self.fingerprints,
            "matchable": self.matchable,
            "segmented": self.segmented,
            "minutiae": self.minutiae,
            "entry_ids": self.entry_ids,
            "rejected": [r.to_json() for r in self.rejected],
        }


def _finger_templates(
    fingers: Sequence[FingerImageIn], entry_id: str, now: datetime
) -> tuple[list[FingerprintTemplate], int]:
    """Our matcher's templates of the single-finger images and of the fingers segmented
    from slap images; and how many of them came from slaps."""
    out: list[FingerprintTemplate] = []
    segmented = 0
    for finger in fingers:
        if finger.pixels is None:
            continue
        gray = np.asarray(
            finger.pixels if finger.pixels.ndim == 2 else finger.pixels.mean(axis=2), np.uint8
        )
        if int(finger.position) in slap.SLAP_CODES:
            cut = _slap_templates(gray, finger, entry_id, now)
            out += cut
            segmented += len(cut)
            continue
        if not 1 <= int(finger.position) <= 10:
            continue
        try:
            # both minutiae sets and the ridge flow: a watchlist of such records is
            # searched with gerbang_dual (kiosk/traveller/watchlist_fingers.py)
            extraction = record.extract_pixels(gray, ppi=finger.ppi, enhanced=True)
        except FingerprintError:
            continue  # the image stays stored; only a template could not be made
        if not extraction.too_few_minutiae:
            out.append(
                record.stored(
                    extraction,
                    finger.position,
                    subject_id=entry_id,
                    created_at=now,
                    source=SampleSource.IMPORT,
                )
            )
    return out, segmented


def _slap_templates(
    gray: npt.NDArray[np.uint8], finger: FingerImageIn, entry_id: str, now: datetime
) -> list[FingerprintTemplate]:
    """Templates of the fingertips of a slap (``slap.segment_slap``): every tip whose
    position is known and that has enough minutiae; the slap image stays stored as sent."""
    result = slap.segment_slap(
        gray, slap.SLAP_CODES[int(finger.position)], finger.ppi, enhanced=True
    )
    return [
        record.stored(
            tip.extraction,
            tip.position,
            subject_id=entry_id,
            created_at=now,
            source=SampleSource.IMPORT,
        )
        for tip in result.fingers
        if tip.position is not None
        and tip.extraction is not None
        and not tip.extraction.too_few_minutiae
    ]


def _minutiae_templates(
    minutiae: Sequence[MinutiaeIn], entry_id: str, now: datetime
) -> tuple[list[FingerprintTemplate], int]:
    """Stored templates of imported minutiae, and how many of them our matcher compares:
    converted ones in our ISO format, the others (too few minutiae) as imported."""
    out: list[FingerprintTemplate] = []
    matchable = 0
    for m in minutiae:
        if m.template is not None and record.enough_minutiae(m.template):
            out.append(
                record.stored_template(
                    m.template,
                    m.position,
                    subject_id=entry_id,
                    created_at=now,
                    source=SampleSource.IMPORT,
                )
            )
            matchable += 1
        elif m.data:
            out.append(
                FingerprintTemplate(
                    str(uuid.uuid4()),
                    entry_id,
                    m.position,
                    MINUTIAE_FORMAT,
                    m.data,
                    m.count,
                    now,
                    SampleSource.IMPORT,
                )
            )
    return out, matchable


def totals(reports: Sequence[FileReport]) -> dict[str, int]:
    return {
        "files": len(reports),
        "persons": sum(r.persons for r in reports),
        "faces": sum(r.faces for r in reports),
        "fingerprints": sum(r.fingerprints for r in reports),
        "matchable": sum(r.matchable for r in reports),
        "segmented": sum(r.segmented for r in reports),
        "minutiae": sum(r.minutiae for r in reports),
        "rejected": sum(len(r.rejected) for r in reports),
    }


@dataclass(frozen=True, slots=True)
class ImportOptions:
    source_agency: str
    category: WatchlistCategory = WatchlistCategory.OTHER
    reason: str | None = None  # default: the record's own reason, else "imported from ..."
    valid_until: datetime | None = None


class WatchlistManager:
    def __init__(
        self,
        store: Store,
        audit: AuditLog,
        faces: FaceEngine,
        *,
        gallery: GalleryUpdate | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.audit = audit
        self.faces = faces
        self.gallery = gallery
        self.clock = clock

    # ------------------------------------------------------------------ import
    def import_file(
        self,
        path: Path,
        options: ImportOptions,
        actor: Principal,
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> FileReport:
        """Import one file; ``progress(done, total)`` is called after each subject."""
        actor.require(Permission.MANAGE_WATCHLIST)
        if not options.source_agency.strip():
            raise SecurityError("a watchlist import needs the source agency")
        report = FileReport(str(path))
        contents: FileContents = read_file(path)
        report.rejected.extend(contents.rejected)
        digest = _digest(path) if contents.subjects else ""
        for done, subject in enumerate(contents.subjects, start=1):
            self._import_subject(subject, digest, options, actor, report)
            if progress is not None:
                progress(done, len(contents.subjects))
        self.audit.append(
            actor.user_id,
            "watchlist.import_file",
            digest[:16] or path.name,
            {
                "source": options.source_agency,
                "persons": report.persons,
                "faces": report.faces,
                "fingerprints": report.fingerprints,
                "minutiae": report.minutiae,
                "rejected": len(report.rejected),
            },
        )
        return report

    def _import_subject(
        self,
        subject: SubjectIn,
        digest: str,
        options: ImportOptions,
        actor: Principal,
        report: FileReport,
    ) -> None:
        now = self.clock()
        entry_id = str(uuid.uuid5(_NAMESPACE, f"{options.source_agency}|{digest}|{subject.record}"))
        if self.store.watchlist.exists(entry_id):
            report.rejected.append(
                Rejection(subject.record, f"already imported as entry {entry_id}")
            )
            return
        face_templates: list[FaceTemplate] = []
        face_samples: list[FaceSample] = []
        for face in subject.faces:
            analysis = self.faces.analyse(face.pixels)
            if not analysis.found:
                report.rejected.append(Rejection(face.record, "no face found in the image"))
                continue
            template_id = str(uuid.uuid4())
            face_templates.append(
                analysis.template(template_id, entry_id, now, SampleSource.IMPORT)
            )
            face_samples.append(
                FaceSample(
                    str(uuid.uuid4()),
                    entry_id,
                    now,
                    SampleSource.IMPORT,
                    face.image,
                    analysis.quality,
                )
            )
        minutiae, minutiae_matchable = _minutiae_templates(subject.minutiae, entry_id, now)
        matchable, segmented = _finger_templates(subject.fingers, entry_id, now)
        minutiae_stored = len(minutiae)
        minutiae += matchable
        if not (face_templates or subject.fingers or minutiae):
            report.rejected.append(
                Rejection(
                    subject.record, "no usable face or fingerprint: nothing to screen against"
                )
            )
            return
        entry = WatchlistEntry(
            entry_id=entry_id,
            source_agency=options.source_agency,
            category=subject.category or options.category,
            reason=options.reason
            or subject.reason
            or f"imported from {options.source_agency} ({subject.reference})",
            valid_from=now,
            valid_until=subject.valid_until or options.valid_until,
            created_at=now,
            updated_at=now,
            full_name=subject.full_name,
            nationality=subject.nationality,
            document_numbers=subject.document_numbers,
            face_template_ids=tuple(t.template_id for t in face_templates),
            fingerprint_template_ids=tuple(t.template_id for t in minutiae),
        )
        with self.store.atomic():
            self.store.watchlist.add(entry)
            for template in face_templates:
                self.store.face_templates.add(template)
            for sample in face_samples:
                self.store.face_samples.add(sample)
            for minutia in minutiae:
                self.store.fingerprint_templates.add(minutia)
            for finger in subject.fingers:
                self.store.fingerprint_samples.add(
                    FingerprintSample(
                        str(uuid.uuid4()),
                        entry_id,
                        now,
                        SampleSource.IMPORT,
                        finger.position,
                        finger.image,
                        finger.ppi,
                    )
                )
            self.audit.append(
                actor.user_id,
                "watchlist.add",
                entry_id,
                {
                    "source": options.source_agency,
                    "category": entry.category.value,
                    "faces": len(face_templates),
                    "fingerprints": len(subject.fingers),
                    "matchable": len(matchable) + minutiae_matchable,
                    "segmented": segmented,
                    "minutiae": minutiae_stored,
                },
            )
        if self.gallery is not None:
            self.gallery(templates=list(entry.face_template_ids), watchlist=[entry])
        report.persons += 1
        report.faces += len(face_templates)
        report.fingerprints += len(subject.fingers)
        report.matchable += len(matchable) + minutiae_matchable
        report.segmented += segmented
        report.minutiae += minutiae_stored
        report.entry_ids.append(entry_id)

    # ------------------------------------------------------------------ reading
    def entries(self, *, active_at: datetime | None = None) -> list[WatchlistEntry]:
        if active_at is not None:
            return self.store.watchlist.active(active_at)
        return list(self.store.watchlist)

    def get(self, entry_id: str) -> WatchlistEntry:
        return self.store.watchlist.get(entry_id)

    def fingerprint_images(self, entry_id: str) -> int:
        return len(self.store.fingerprint_samples.ids_for_subject(entry_id))

    # ------------------------------------------------------------------ changes
    def edit(
        self,
        entry_id: str,
        actor: Principal,
        *,
        category: WatchlistCategory | None = None,
        reason: str | None = None,
        valid_until: datetime | None = None,
        full_name: str | None = None,
        nationality: str | None = None,
        document_numbers: tuple[str, ...] | None = None,
    ) -> WatchlistEntry:
        """Change an entry's fields (those given); its biometrics stay as imported."""
        actor.require(Permission.MANAGE_WATCHLIST)
        if reason is not None and not reason.strip():
            raise SecurityError("a watchlist entry's reason cannot be empty")
        changes: dict[str, Any] = {
            name: value
            for name, value in (
                ("category", category),
                ("reason", reason.strip() if reason else None),
                ("valid_until", valid_until),
                ("full_name", full_name.strip().upper() if full_name else None),
                ("nationality", nationality.strip().upper() if nationality else None),
                ("document_numbers", document_numbers),
            )
            if value is not None
        }
        with self.store.atomic():
            entry = self.store.watchlist.get(entry_id)
            if not changes:
                return entry
            updated = dataclasses.replace(entry, **changes, updated_at=self.clock())
            self.store.watchlist.put(updated)
            self.audit.append(
                actor.user_id, "watchlist.edit", entry_id, {"fields": sorted(changes)}
            )
        if self.gallery is not None:
            self.gallery(watchlist=[updated])
        return updated

    def expire(
        self, entry_id: str, actor: Principal, *, at: datetime | None = None
    ) -> WatchlistEntry:
        """End an entry's validity (now, or at ``at``); it stays stored and listed."""
        actor.require(Permission.MANAGE_WATCHLIST)
        moment = at or self.clock()
        with self.store.atomic():
            entry = self.store.watchlist.get(entry_id)
            if moment < entry.valid_from:
                moment = entry.valid_from
            updated = dataclasses.replace(entry, valid_until=moment, updated_at=self.clock())
            self.store.watchlist.put(updated)
            self.audit.append(
                actor.user_id, "watchlist.expire", entry_id, {"valid_until": moment.isoformat()}
            )
        if self.gallery is not None:
            self.gallery(watchlist=[updated])
        return updated

    def remove(self, entry_id: str, actor: Principal, *, reason: str) -> None:
        """Delete an entry with its templates and images."""
        actor.require(Permission.MANAGE_WATCHLIST)
        if not reason.strip():
            raise SecurityError("removing a watchlist entry needs a reason")
        with self.store.atomic():
            entry = self.store.watchlist.get(entry_id)
            face_rows = [self.store.face_templates.row_id(t) for t in entry.face_template_ids]
            for template_id in entry.face_template_ids:
                self.store.face_templates.delete(template_id)
            for template_id in entry.fingerprint_template_ids:
                self.store.fingerprint_templates.delete(template_id)
            self.store.face_samples.delete_ids(self.store.face_samples.ids_for_subject(entry_id))
            self.store.fingerprint_samples.delete_ids(
                self.store.fingerprint_samples.ids_for_subject(entry_id)
            )
            self.store.watchlist.delete(entry_id)
            self.audit.append(actor.user_id, "watchlist.remove", entry_id, {"reason_given": True})
        if self.gallery is not None:
            self.gallery(removed_rows=face_rows, removed_entries=[entry_id])

    # ------------------------------------------------------------------ export
    def export(self, out: Path, actor: Principal, passphrase: str) -> int:
        """Write every entry with its templates (``WatchlistBundle``s as JSON), sealed with
        ``passphrase`` (:mod:`models.sealed_export`): names, document numbers and templates
        never leave the kiosk in clear."""
        actor.require(Permission.MANAGE_WATCHLIST)
        bundles = []
        for entry in self.store.watchlist:
            faces = tuple(_existing(self.store.face_templates.get, entry.face_template_ids))
            fingers = tuple(
                _existing(self.store.fingerprint_templates.get, entry.fingerprint_template_ids)
            )
            bundles.append(codec.to_json_value(WatchlistBundle(entry, faces, fingers)))
        payload = json.dumps(
            {"format": "gerbang-watchlist-v1", "entries": bundles}, ensure_ascii=False
        ).encode()
        write_sealed(out, payload, passphrase, kind=EXPORT_KIND)
        self.audit.append(actor.user_id, "watchlist.export", out.name, {"entries": len(bundles)})
        return len(bundles)


EXPORT_KIND = "watchlist"


def read_export(path: Path, passphrase: str) -> dict[str, Any]:
    """The JSON document of a sealed watchlist export (for the receiving side)."""
    doc = json.loads(read_sealed(path, passphrase, kind=EXPORT_KIND))
    if not isinstance(doc, dict) or doc.get("format") != "gerbang-watchlist-v1":
        raise MalformedDataError("the sealed export holds no gerbang-watchlist-v1 document")
    return doc


def _existing(get: Callable[[str], T], ids: Sequence[str]) -> list[T]:
    found: list[T] = []
    for record_id in ids:
        try:
            found.append(get(record_id))
        except RecordNotFoundError:
            continue
    return found


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()

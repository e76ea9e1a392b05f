"""The kiosk's local store: SQLite (through sqlite-utils) in WAL mode.

Usage::

    store = Store.open(settings.store_path, KeyStore(settings.key_dir).store_key())
    with store.atomic():
        store.events.add(event)
        store.outbox.enqueue("verification_event", event.event_id, codec.dumps(event))

Tests use ``Store.open(":memory:", key)``. Opening applies pending migrations.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from models.biometric import FaceSample, FaceTemplate, FingerprintSample, FingerprintTemplate
from models.enrollment import Enrollment
from models.events import Referral, ReferralStatus, VerificationEvent
from models.identity import TravelDocument, Traveller
from models.operations import DeviceStatus, KioskIdentity
from models.staff import LegalHold, StaffAccount
from models.store.audit import AuditTable
from models.store.database import Database
from models.store.migrations import SCHEMA_VERSION
from models.store.outbox import Outbox, OutboxItem
from models.store.repository import Repository, TableSpec
from models.store.sealing import Sealer
from models.store.syncstate import FeedDocument, FeedDocuments, SyncState
from models.store.timefmt import utc_text
from models.watchlist import WatchlistEntry

__all__ = [
    "SCHEMA_VERSION",
    "FeedDocument",
    "FeedDocuments",
    "Outbox",
    "OutboxItem",
    "Repository",
    "Sealer",
    "Store",
    "SyncState",
    "document_id",
]


def document_id(issuing_state: str, document_number: str) -> str:
    """The natural key of a travel document (personal: only ever stored blinded or sealed)."""
    return f"{issuing_state}:{document_number}"


TRAVELLERS: TableSpec[Traveller] = TableSpec(
    "travellers",
    "traveller",
    Traveller,
    lambda r, s: r.traveller_id,
    lambda r, s: {"category": r.category.value},
)
# A travel document's public id is a blind index (keyed HMAC) of issuing state +
# number, so no column carries the document number in clear.
DOCUMENTS: TableSpec[TravelDocument] = TableSpec(
    "travel_documents",
    "travel document",
    TravelDocument,
    lambda r, s: s.blind_index(document_id(r.issuing_state, r.document_number)),
    lambda r, s: {
        "lookup": s.blind_index(document_id(r.issuing_state, r.document_number)),
        "expiry_date": r.expiry_date.isoformat(),
    },
)
FACE_SAMPLES: TableSpec[FaceSample] = TableSpec(
    "face_samples",
    "face sample",
    FaceSample,
    lambda r, s: r.sample_id,
    lambda r, s: {"subject_id": r.subject_id, "captured_at": utc_text(r.captured_at)},
)
FINGERPRINT_SAMPLES: TableSpec[FingerprintSample] = TableSpec(
    "fingerprint_samples",
    "fingerprint sample",
    FingerprintSample,
    lambda r, s: r.sample_id,
    lambda r, s: {"subject_id": r.subject_id, "captured_at": utc_text(r.captured_at)},
)
FACE_TEMPLATES: TableSpec[FaceTemplate] = TableSpec(
    "face_templates",
    "face template",
    FaceTemplate,
    lambda r, s: r.template_id,
    lambda r, s: {"subject_id": r.subject_id, "algorithm": r.algorithm},
)
FINGERPRINT_TEMPLATES: TableSpec[FingerprintTemplate] = TableSpec(
    "fingerprint_templates",
    "fingerprint template",
    FingerprintTemplate,
    lambda r, s: r.template_id,
    lambda r, s: {"subject_id": r.subject_id, "position": int(r.position), "format": r.format},
)
ENROLLMENTS: TableSpec[Enrollment] = TableSpec(
    "enrollments",
    "enrollment",
    Enrollment,
    lambda r, s: r.enrollment_id,
    lambda r, s: {
        "traveller_id": r.traveller_id,
        "enrolled_at": utc_text(r.enrolled_at),
        "status": r.status.value,
    },
)
WATCHLIST: TableSpec[WatchlistEntry] = TableSpec(
    "watchlist_entries",
    "watchlist entry",
    WatchlistEntry,
    lambda r, s: r.entry_id,
    lambda r, s: {
        "category": r.category.value,
        "source_agency": r.source_agency,
        "valid_from": utc_text(r.valid_from),
        "valid_until": utc_text(r.valid_until) if r.valid_until else None,
    },
)
EVENTS: TableSpec[VerificationEvent] = TableSpec(
    "verification_events",
    "verification event",
    VerificationEvent,
    lambda r, s: r.event_id,
    lambda r, s: {"started_at": utc_text(r.started_at), "outcome": r.decision.outcome.value},
)
REFERRALS: TableSpec[Referral] = TableSpec(
    "referrals",
    "referral",
    Referral,
    lambda r, s: r.referral_id,
    lambda r, s: {
        "event_id": r.event_id,
        "status": r.status.value,
        "created_at": utc_text(r.created_at),
    },
)
DEVICES: TableSpec[DeviceStatus] = TableSpec(
    "device_status",
    "device status",
    DeviceStatus,
    lambda r, s: r.device_id,
    lambda r, s: {
        "kind": r.kind.value,
        "state": r.state.value,
        "observed_at": utc_text(r.observed_at),
    },
)
KIOSK: TableSpec[KioskIdentity] = TableSpec(
    "kiosk_identity", "kiosk identity", KioskIdentity, lambda r, s: r.kiosk_id, lambda r, s: {}
)


STAFF: TableSpec[StaffAccount] = TableSpec(
    "staff_accounts", "staff account", StaffAccount, lambda r, s: r.user_id, lambda r, s: {}
)
HOLDS: TableSpec[LegalHold] = TableSpec(
    "legal_holds",
    "legal hold",
    LegalHold,
    lambda r, s: r.hold_id,
    lambda r, s: {"kind": r.kind, "record_id": r.record_id},
)


class StaffAccounts(Repository[StaffAccount]):
    """Accounts; the lockout counters are plain columns updated on every login attempt."""

    def lockout(self, user_id: str) -> tuple[int, datetime | None]:
        rows = self._db.query(
            "SELECT failed_attempts, locked_until FROM staff_accounts WHERE id = ?", (user_id,)
        )
        if not rows:
            return 0, None
        until = rows[0]["locked_until"]
        return int(rows[0]["failed_attempts"]), datetime.fromisoformat(until) if until else None

    def set_lockout(self, user_id: str, failed: int, locked_until: datetime | None) -> None:
        with self._db.atomic():
            self._db.execute(
                "UPDATE staff_accounts SET failed_attempts = ?, locked_until = ? WHERE id = ?",
                (failed, utc_text(locked_until) if locked_until else None, user_id),
            )

    def record_login(self, user_id: str, at: datetime) -> None:
        with self._db.atomic():
            self._db.execute(
                "UPDATE staff_accounts SET failed_attempts = 0, locked_until = NULL, last_login_at = ? "
                "WHERE id = ?",
                (utc_text(at), user_id),
            )


class LegalHolds(Repository[LegalHold]):
    def held_ids(self, kind: str) -> set[str]:
        rows = self._db.query("SELECT record_id FROM legal_holds WHERE kind = ?", (kind,))
        return {str(r["record_id"]) for r in rows}


class TravelDocuments(Repository[TravelDocument]):
    """Documents are keyed by a blind index of (issuing state, number)."""

    def key(self, issuing_state: str, document_number: str) -> str:
        return self._sealer.blind_index(document_id(issuing_state, document_number))

    def find(self, issuing_state: str, document_number: str) -> TravelDocument | None:
        found = self._select("lookup = ?", (self.key(issuing_state, document_number),))
        return found[0] if found else None


class FaceSamples(Repository[FaceSample]):
    def for_subject(self, subject_id: str) -> list[FaceSample]:
        return self._select("subject_id = ?", (subject_id,))

    def ids_for_subject(self, subject_id: str) -> list[str]:
        """Sample ids of one subject, without opening their payloads."""
        rows = self._db.query("SELECT id FROM face_samples WHERE subject_id = ?", (subject_id,))
        return [str(r["id"]) for r in rows]


class FingerprintSamples(Repository[FingerprintSample]):
    def for_subject(self, subject_id: str) -> list[FingerprintSample]:
        return self._select("subject_id = ?", (subject_id,))

    def ids_for_subject(self, subject_id: str) -> list[str]:
        """Sample ids of one subject, without opening their payloads."""
        rows = self._db.query(
            "SELECT id FROM fingerprint_samples WHERE subject_id = ?", (subject_id,)
        )
        return [str(r["id"]) for r in rows]


class FaceTemplates(Repository[FaceTemplate]):
    def for_subject(self, subject_id: str) -> list[FaceTemplate]:
        return self._select("subject_id = ?", (subject_id,))

    def algorithm_stats(self, algorithm: str) -> tuple[int, int]:
        """(count, highest row id) of the templates of one algorithm: a face gallery's size."""
        return self._row_stats("algorithm = ?", (algorithm,))

    def algorithm_row_ids(self, algorithm: str) -> list[int]:
        return self._row_ids("algorithm = ?", (algorithm,))

    def iter_algorithm(self, algorithm: str) -> Iterator[tuple[int, FaceTemplate]]:
        """(row id, template) of one algorithm's templates in row-id order (the FAISS ids)."""
        return self._iter_where("algorithm = ?", (algorithm,))


class FingerprintTemplates(Repository[FingerprintTemplate]):
    def for_subject(self, subject_id: str) -> list[FingerprintTemplate]:
        return self._select("subject_id = ?", (subject_id,))

    def format_stats(self, template_format: str) -> tuple[int, int]:
        """(count, highest row id) of the templates of one format: a fingerprint gallery's size."""
        return self._row_stats("format = ?", (template_format,))

    def format_row_ids(self, template_format: str) -> list[int]:
        return self._row_ids("format = ?", (template_format,))

    def iter_format(self, template_format: str) -> Iterator[tuple[int, FingerprintTemplate]]:
        """(row id, template) of one format's templates in row-id order (the FAISS ids)."""
        return self._iter_where("format = ?", (template_format,))


class Watchlist(Repository[WatchlistEntry]):
    def active(self, at: datetime) -> list[WatchlistEntry]:
        moment = utc_text(at)
        return self._select(
            "valid_from <= ? AND (valid_until IS NULL OR valid_until >= ?)", (moment, moment)
        )


class Events(Repository[VerificationEvent]):
    def between(self, start: datetime, end: datetime) -> list[VerificationEvent]:
        return self._select(
            "started_at >= ? AND started_at < ?",
            (utc_text(start), utc_text(end)),
            order="started_at",
        )


class Referrals(Repository[Referral]):
    def open_referrals(self) -> list[Referral]:
        return self._select("status = ?", (ReferralStatus.OPEN.value,), order="created_at")


class Enrollments(Repository[Enrollment]):
    def for_traveller(self, traveller_id: str) -> list[Enrollment]:
        return self._select("traveller_id = ?", (traveller_id,))

    def active_for_document(self, document_number: str) -> list[Enrollment]:
        """Active enrollments made with this document number. The number is sealed, so
        every active enrollment is opened (no blind-index column yet: linear in the
        number of enrollments on this kiosk)."""
        active = self._select("status = ?", ("active",), order="enrolled_at")
        return [e for e in active if e.document_number == document_number]


class Store:
    """All repositories of the kiosk database over one connection."""

    def __init__(self, database: Database, sealer: Sealer) -> None:
        self.database = database
        self.travellers = Repository(database, sealer, TRAVELLERS)
        self.documents = TravelDocuments(database, sealer, DOCUMENTS)
        self.face_samples = FaceSamples(database, sealer, FACE_SAMPLES)
        self.fingerprint_samples = FingerprintSamples(database, sealer, FINGERPRINT_SAMPLES)
        self.face_templates = FaceTemplates(database, sealer, FACE_TEMPLATES)
        self.fingerprint_templates = FingerprintTemplates(database, sealer, FINGERPRINT_TEMPLATES)
        self.enrollments = Enrollments(database, sealer, ENROLLMENTS)
        self.watchlist = Watchlist(database, sealer, WATCHLIST)
        self.events = Events(database, sealer, EVENTS)
        self.referrals = Referrals(database, sealer, REFERRALS)
        self.devices = Repository(database, sealer, DEVICES)
        self.kiosk = Repository(database, sealer, KIOSK)
        self.staff = StaffAccounts(database, sealer, STAFF)
        self.holds = LegalHolds(database, sealer, HOLDS)
        self.audit = AuditTable(database)
        self.outbox = Outbox(database, sealer)
        self.sync_state = SyncState(database)
        self.feed_documents = FeedDocuments(database)

    @classmethod
    def open(cls, path: Path | str, key: bytes, *, migrate: bool = True) -> Store:
        if isinstance(path, Path):
            path.parent.mkdir(parents=True, exist_ok=True)
        database = Database(path)
        if migrate:
            database.migrate()
        return cls(database, Sealer(key))

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self.database.atomic():
            yield

    @property
    def schema_version(self) -> int:
        return self.database.schema_version

    def close(self) -> None:
        self.database.close()

"""What each step of a traveller transaction found out (inputs of the decision)."""

from __future__ import annotations

from dataclasses import dataclass, field

from models.biometric import FingerPosition
from models.events import CheckOutcome
from models.identity import TravelDocument


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    document: TravelDocument | None  # None when the MRZ could not be read
    mrz_valid: bool
    chip_present: bool
    chip_read: CheckOutcome = CheckOutcome.NOT_RUN
    passive_authentication: CheckOutcome = CheckOutcome.NOT_RUN
    # AA or CA. NOT_OFFERED only when the PA-verified DG14/DG15 show neither is
    # supported; NOT_RUN (the default) means nobody ran it, which never passes.
    chip_authentication: CheckOutcome = CheckOutcome.NOT_RUN
    dg1_matches_mrz: CheckOutcome = CheckOutcome.NOT_RUN
    has_chip_photo: bool = False
    traveller_id: str | None = None  # when this document belongs to an enrolled traveller
    enrolled_fingers: tuple[FingerPosition, ...] = ()
    detail: str = ""  # machine-readable detail of a failure (error code), never personal data


@dataclass(frozen=True, slots=True)
class FaceFacts:
    captured: bool  # a usable face was captured within the retries
    liveness: CheckOutcome
    match: CheckOutcome  # 1:1 against the chip photo (or enrolled template)
    score: float | None = None
    threshold: float | None = None
    quality: float | None = None


@dataclass(frozen=True, slots=True)
class FingerprintFacts:
    captured: bool
    match: CheckOutcome  # against enrolled fingers; NOT_RUN when none are enrolled
    score: float | None = None
    threshold: float | None = None
    qualities: tuple[float, ...] = ()
    matcher: str | None = None  # "gerbang" (raw sets) or "gerbang_dual" (both sets)


@dataclass(frozen=True, slots=True)
class WatchlistFacts:
    searched: CheckOutcome  # PASSED: searched, no hit; FAILED: a hit; UNAVAILABLE/ERROR otherwise
    best_score: float | None = None
    threshold: float | None = None
    hit_entry_ids: tuple[str, ...] = field(default=())  # for the officer's restricted view only
    matcher: str | None = None  # fingerprints: "gerbang" or "gerbang_dual" (own score scale)


@dataclass(frozen=True, slots=True)
class TransactionFacts:
    document: DocumentFacts | None = None
    face: FaceFacts | None = None
    fingerprint: FingerprintFacts | None = None
    watchlist_face: WatchlistFacts | None = None
    watchlist_fingerprint: WatchlistFacts | None = None

"""The ports of a traveller transaction: what the flow asks the outside world to do.

The Qt shell calls these on worker threads (each call may block for seconds:
a chip read, a face capture) and turns the results into flow events. The
production implementation drives the configured devices and the biometric
pipelines; tests drive the shell with scripted implementations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from kiosk.traveller.facts import DocumentFacts, FaceFacts, FingerprintFacts, WatchlistFacts
from kiosk.traveller.flow import Transaction
from models.biometric import FingerPosition

Progress = Callable[[int, int], None]  # bytes done, bytes total
Guidance = Callable[[tuple[str, ...]], None]  # face guidance codes for the prompt
Cancelled = Callable[[], bool]
Preview = Callable[[npt.NDArray[np.uint8]], None]  # a BGR frame for the live preview


@dataclass(frozen=True, slots=True)
class FaceOutcome:
    face: FaceFacts
    watchlist: WatchlistFacts


@dataclass(frozen=True, slots=True)
class FingerprintOutcome:
    fingerprint: FingerprintFacts | None  # None with ``retry`` set: the traveller must try again
    watchlist: WatchlistFacts | None
    retry: str | None = None  # RetryReason value


class TransactionServices(Protocol):
    def begin(self) -> None:
        """A new traveller: forget everything about the previous one (chip photo, captures)."""
        ...

    def read_document(self, progress: Progress, cancelled: Cancelled) -> DocumentFacts:
        """MRZ then chip. Raises CardRemovedError when the card leaves, DeviceError on failures."""
        ...

    def capture_face(
        self, guidance: Guidance, preview: Preview, cancelled: Cancelled
    ) -> FaceOutcome:
        """Live capture, liveness, 1:1 against the chip photo read before, watchlist 1:N."""
        ...

    def capture_fingerprints(
        self, positions: tuple[FingerPosition, ...], attempt: int, cancelled: Cancelled
    ) -> FingerprintOutcome: ...

    def open_gate(self) -> None: ...

    def record(self, transaction: Transaction) -> None:
        """Store the event (encrypted), the referral, the audit record and the outbox items."""
        ...

    def record_survey(self, transaction_id: str, score: int) -> None: ...

    def alert_staff(self, reason: str) -> None: ...

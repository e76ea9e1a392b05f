"""Scripted transaction services for driving the Qt shell in tests (not product code)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np

from kiosk.traveller.facts import DocumentFacts, FaceFacts, FingerprintFacts, WatchlistFacts
from kiosk.traveller.flow import Transaction
from kiosk.traveller.services import (
    Cancelled,
    FaceOutcome,
    FingerprintOutcome,
    Guidance,
    Preview,
    Progress,
)
from models.biometric import FingerPosition
from models.errors import CardRemovedError, DeviceTimeoutError
from models.events import CheckOutcome
from models.identity import MrzType, Sex, TravelDocument

P, F = CheckOutcome.PASSED, CheckOutcome.FAILED


def specimen(state: str = "IDN", expiry: date = date(2031, 1, 1)) -> TravelDocument:
    return TravelDocument(
        MrzType.TD3,
        "P",
        state,
        "X1234567",
        "DOE",
        "JANE",
        state,
        date(1990, 5, 1),
        Sex.FEMALE,
        expiry,
    )


GOOD_DOCUMENT = DocumentFacts(
    document=specimen(),
    mrz_valid=True,
    chip_present=True,
    chip_read=P,
    passive_authentication=P,
    chip_authentication=P,
    dg1_matches_mrz=P,
    has_chip_photo=True,
)


@dataclass
class Script:
    document: DocumentFacts = GOOD_DOCUMENT
    face: FaceFacts = field(default_factory=lambda: FaceFacts(True, P, P, 0.8, 0.6))
    watchlist: WatchlistFacts = field(default_factory=lambda: WatchlistFacts(P, 0.2, 0.7))
    remove_card_at: int | None = None  # bytes read when the card is pulled out
    hang_face: bool = False  # the camera never delivers: only a timeout ends the step
    step_delay_s: float = 0.05


class ScriptedServices:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.recorded: list[Transaction] = []
        self.surveys: list[tuple[str, int]] = []
        self.gate_openings = 0
        self.alerts: list[str] = []
        self.begun = 0
        self.lock = threading.Lock()

    def begin(self) -> None:
        self.begun += 1

    def read_document(self, progress: Progress, cancelled: Cancelled) -> DocumentFacts:
        total = 20_000
        for done in range(0, total + 1, 4_000):
            if self.script.remove_card_at is not None and done >= self.script.remove_card_at:
                raise CardRemovedError("card left the field", device_id="reader-0")
            progress(done, total)
            time.sleep(self.script.step_delay_s)
        return self.script.document

    def capture_face(
        self, guidance: Guidance, preview: Preview, cancelled: Cancelled
    ) -> FaceOutcome:
        frame = np.full((480, 640, 3), 90, dtype=np.uint8)
        deadline = time.monotonic() + 30
        guidance(("come_closer",))
        while self.script.hang_face and not cancelled():
            if time.monotonic() > deadline:
                raise DeviceTimeoutError("camera hung", device_id="camera-0", timeout_s=30)
            preview(frame)
            time.sleep(0.02)
        for _ in range(3):
            preview(frame)
            time.sleep(self.script.step_delay_s)
        return FaceOutcome(self.script.face, self.script.watchlist)

    def capture_fingerprints(
        self, positions: tuple[FingerPosition, ...], attempt: int, cancelled: Cancelled
    ) -> FingerprintOutcome:
        return FingerprintOutcome(FingerprintFacts(True, CheckOutcome.NOT_RUN), WatchlistFacts(P))

    def open_gate(self) -> None:
        with self.lock:
            self.gate_openings += 1

    def record(self, transaction: Transaction) -> None:
        with self.lock:
            self.recorded.append(transaction)

    def record_survey(self, transaction_id: str, score: int) -> None:
        self.surveys.append((transaction_id, score))

    def alert_staff(self, reason: str) -> None:
        self.alerts.append(reason)


def with_document(**changes: object) -> Script:
    return Script(document=replace(GOOD_DOCUMENT, **changes))  # type: ignore[arg-type]

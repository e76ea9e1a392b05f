"""The document step of a traveller transaction (Qt-free, runs on the worker thread).

1. The data page on the document scanner: the MRZ is read and its check digits
   checked (scanning again while the traveller adjusts the page);
2. the chip on the card reader, opened with the MRZ (PACE, else BAC), read with
   progress, then inspected: Passive Authentication, Chip/Active
   Authentication, DG1 against the printed MRZ, the DG2 photo.

User-correctable outcomes (no page yet, no card yet) are waited for until the
step is cancelled or times out. The chip read gets the step's own deadline and
cancel check (looked at before every APDU): a read the step stops ends with
``chip_read_cancelled`` or ``chip_read_timeout`` facts, not an error. Device
failures raise from the error tree and the flow refers the traveller.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from devices.base import CardChannel, CardReader, DocumentScanner
from devices.epassport.access_key import MRZKey
from devices.epassport.errors import ReadStoppedError
from devices.epassport.inspection import DocumentInspection, inspect
from devices.epassport.reading import ReadProgress
from devices.epassport.session import ReadOptions, read_document
from devices.epassport.trust import TrustStore
from devices.mrz.parser import MrzReading
from devices.mrz.scan import scan_mrz
from kiosk.traveller.facts import DocumentFacts
from kiosk.traveller.services import Cancelled, Progress
from models.events import CheckOutcome

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class DocumentOutcome:
    facts: DocumentFacts
    chip_photo: npt.NDArray[np.uint8] | None  # the DG2 face, for the 1:1 comparison
    inspection: DocumentInspection | None


class DocumentStep:
    def __init__(
        self,
        scanner: DocumentScanner,
        reader: CardReader,
        trust: TrustStore,
        *,
        timeout_s: float = 60.0,
        poll_s: float = 1.0,
        extended_length: bool = True,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self.scanner = scanner
        self.timings: dict[str, float] = {}  # ms by stage of the last run (bench, events)
        self.reader = reader
        self.trust = trust
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        self.extended_length = extended_length
        self.clock = clock

    def _scan_mrz(self, cancelled: Cancelled, deadline: float) -> MrzReading | None:
        return scan_mrz(
            self.scanner,
            cancelled=cancelled,
            deadline=deadline,
            poll_s=self.poll_s,
            reference_date=self.clock().date(),
        )

    def _wait_card(self, cancelled: Cancelled, deadline: float) -> CardChannel | None:
        while not cancelled() and time.monotonic() < deadline:
            channel = self.reader.wait_for_card(self.poll_s)
            if isinstance(channel, CardChannel):
                return channel
        return None

    def _lap(self, name: str, started: float) -> None:
        self.timings[name] = (time.perf_counter() - started) * 1000

    def run(self, progress: Progress, cancelled: Cancelled) -> DocumentOutcome:
        self.timings = {}
        deadline = time.monotonic() + self.timeout_s
        started = time.perf_counter()
        mrz = self._scan_mrz(cancelled, deadline)
        self._lap("mrz_scan", started)
        if mrz is None:
            return DocumentOutcome(
                DocumentFacts(None, False, False, detail="mrz_not_read"), None, None
            )
        document, lines = mrz.document, mrz.lines
        if not mrz.valid:
            return DocumentOutcome(
                DocumentFacts(document, False, False, detail="mrz_check_digits"), None, None
            )
        started = time.perf_counter()
        channel = self._wait_card(cancelled, deadline)
        self._lap("card_wait", started)
        if channel is None:
            return DocumentOutcome(
                DocumentFacts(document, True, False, detail="no_chip"), None, None
            )
        files: dict[str, tuple[int, int]] = {}

        def on_progress(step: ReadProgress) -> None:
            files[step.file] = (step.read, step.total)
            progress(sum(r for r, _ in files.values()), sum(t for _, t in files.values()))

        started = time.perf_counter()
        try:
            result = read_document(
                channel,
                MRZKey.from_mrz(list(lines)),
                ReadOptions(extended_length=self.extended_length),
                atr=self.reader.atr,
                progress=on_progress,
                deadline=deadline,
                cancelled=cancelled,
            )
        except ReadStoppedError as exc:
            detail = "chip_read_cancelled" if exc.reason == "cancelled" else "chip_read_timeout"
            facts = DocumentFacts(
                document, True, True, chip_read=CheckOutcome.NOT_RUN, detail=detail
            )
            return DocumentOutcome(facts, None, None)
        self._lap("chip_read", started)
        started = time.perf_counter()
        found = inspect(
            result,
            self.trust,
            self.clock(),
            printed_mrz=list(lines),
            issuing_country=document.issuing_state,
        )
        self._lap("chip_checks", started)
        facts = DocumentFacts(
            document=document,
            mrz_valid=True,
            chip_present=True,
            chip_read=CheckOutcome.PASSED,
            passive_authentication=found.passive_authentication,
            chip_authentication=found.chip_authentication,
            dg1_matches_mrz=found.dg1_matches_printed,
            has_chip_photo=found.face is not None,
            detail=found.face_problem,
        )
        return DocumentOutcome(facts, found.face.pixels if found.face else None, found)

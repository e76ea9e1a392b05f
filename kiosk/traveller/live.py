"""The production transaction services: the configured devices and the biometric pipelines.

Implements :class:`kiosk.traveller.services.TransactionServices` over the
document step (scanner + chip), the face step (camera, 1:1 with the chip
portrait, 1:N against the watchlist), the gate and the recorder. Steps this
version cannot perform report ``unavailable`` — and an unavailable check never
lets a traveller through.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from biometrics.face import api
from devices.base import GateController
from kiosk.traveller.document_step import DocumentStep
from kiosk.traveller.face_step import FaceStep
from kiosk.traveller.facts import DocumentFacts, FingerprintFacts, WatchlistFacts
from kiosk.traveller.finger_step import Enrolled, FingerStep
from kiosk.traveller.flow import Transaction
from kiosk.traveller.recording import TransactionRecorder
from kiosk.traveller.services import (
    Cancelled,
    FaceOutcome,
    FingerprintOutcome,
    Guidance,
    Preview,
    Progress,
)
from models.biometric import FaceSample, FingerPosition, SampleSource
from models.events import CheckOutcome, Outcome

log = logging.getLogger(__name__)


class LiveServices:
    def __init__(
        self,
        *,
        document: DocumentStep,
        face: FaceStep,
        gate: GateController,
        recorder: TransactionRecorder,
        alert: Callable[[str], object] | None = None,
        finger: FingerStep | None = None,
    ) -> None:
        self.document = document
        self.face = face
        self.finger = finger  # None: no scanner at this kiosk (fingerprints unavailable)
        self.gate = gate
        self.recorder = recorder
        self._alert = alert
        self.timings: dict[str, float] = {}  # ms of the last transaction's work, by step
        self.begin()

    def begin(self) -> None:
        self._enrolled = Enrolled()
        self._reference: api.StillResult | None = None
        self._evidence: list[FaceSample] = []
        self.timings = {}

    def _timed(self, name: str, started: float) -> None:
        self.timings[name] = self.timings.get(name, 0.0) + (time.perf_counter() - started) * 1000

    def _stages(self, step: str, timings: dict[str, float]) -> None:
        for name, ms in timings.items():
            self.timings[f"{step}.{name}"] = ms

    def read_document(self, progress: Progress, cancelled: Cancelled) -> DocumentFacts:
        started = time.perf_counter()
        outcome = self.document.run(progress, cancelled)
        self._timed("document", started)
        self._stages("document", self.document.timings)
        if outcome.chip_photo is not None:
            started = time.perf_counter()
            chip = _as_rgb(outcome.chip_photo)
            self._reference = self.face.reference(chip)
            self._evidence.append(self.face.sample(chip, SampleSource.CHIP, None))
            self._timed("chip_portrait_embedding", started)
        facts = outcome.facts
        if self.finger is not None and facts.document is not None:
            started = time.perf_counter()
            doc = facts.document
            self._enrolled = self.finger.enrolled(doc.issuing_state, doc.document_number)
            self._timed("enrollment_lookup", started)
            facts = dataclasses.replace(
                facts,
                traveller_id=self._enrolled.traveller_id,
                enrolled_fingers=tuple(self._enrolled.fingers),
            )
        return facts

    def capture_face(
        self, guidance: Guidance, preview: Preview, cancelled: Cancelled
    ) -> FaceOutcome:
        started = time.perf_counter()
        result = self.face.run(self._reference, guidance, preview, cancelled)
        self._evidence.extend(result.evidence)
        self._timed("face", started)
        self._stages("face", self.face.timings)
        return result.outcome

    def capture_fingerprints(
        self, positions: tuple[FingerPosition, ...], attempt: int, cancelled: Cancelled
    ) -> FingerprintOutcome:
        if self.finger is None:  # no scanner configured: say so, never pretend
            return FingerprintOutcome(
                FingerprintFacts(captured=False, match=CheckOutcome.UNAVAILABLE),
                WatchlistFacts(CheckOutcome.UNAVAILABLE),
            )
        started = time.perf_counter()
        outcome = self.finger.run(positions, self._enrolled, cancelled)
        self._timed("fingerprint", started)
        self._stages("fingerprint", self.finger.timings)
        return outcome

    def open_gate(self) -> None:
        self.gate.open_gate()

    def record(self, transaction: Transaction) -> None:
        started = time.perf_counter()
        keep = transaction.decision.outcome is not Outcome.PASS
        self.recorder.record(transaction, evidence=self._evidence if keep else ())
        self._timed("store", started)

    def record_survey(self, transaction_id: str, score: int) -> None:
        self.recorder.record_survey(transaction_id, score)

    def alert_staff(self, reason: str) -> None:
        log.warning("staff alert", extra={"code": reason})
        if self._alert is not None:
            self._alert(reason)


def _as_rgb(pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    if pixels.ndim == 2:
        return np.ascontiguousarray(np.stack([pixels] * 3, axis=-1))
    return np.ascontiguousarray(pixels[:, :, :3])

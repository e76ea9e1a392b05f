"""The document step on virtual devices: scanner page -> MRZ -> chip -> inspection -> facts."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from devices.epassport.certinfo import CertInfo
from devices.epassport.emulator.applet import epassport_applet
from devices.epassport.trust import TrustStore
from devices.virtual.document import VirtualDocumentScanner
from devices.virtual.loopback import LoopbackCardReader
from kiosk.traveller.document_step import DocumentStep
from models.events import CheckOutcome

REPO = Path(__file__).resolve().parents[3]
PAGES = REPO / "config" / "virtual-media" / "documents"


def _step(tmp_path: Path, **applet: object) -> tuple[DocumentStep, LoopbackCardReader]:
    chip = epassport_applet(pki_dir=str(tmp_path / "pki"), **applet)  # type: ignore[arg-type]
    trust = TrustStore()
    trust.add_certificate(
        CertInfo.load((tmp_path / "pki" / "UT" / "csca.der").read_bytes()), source="test"
    )
    scanner = VirtualDocumentScanner("document", source=PAGES)
    reader = LoopbackCardReader("reader", applet=chip)
    scanner.open()
    reader.open()
    # the specimen expired in 2012: inspect as of a date inside its validity
    step = DocumentStep(scanner, reader, trust, timeout_s=20, clock=lambda: datetime.now(UTC))
    return step, reader


@pytest.mark.slow
def test_a_genuine_passport_gives_passing_document_facts(tmp_path: Path) -> None:
    step, reader = _step(tmp_path)
    progress: list[tuple[int, int]] = []
    outcome = step.run(lambda d, t: progress.append((d, t)), lambda: False)
    facts = outcome.facts
    assert facts.document is not None and facts.document.document_number == "L898902C3"
    assert facts.mrz_valid and facts.chip_present
    assert facts.passive_authentication is CheckOutcome.PASSED
    assert facts.chip_authentication is CheckOutcome.PASSED
    assert facts.dg1_matches_mrz is CheckOutcome.PASSED
    assert outcome.chip_photo is not None and outcome.chip_photo.shape[:2] == (480, 360)
    assert progress and progress[-1][0] == progress[-1][1]
    reader.close()


def test_no_card_within_the_time_is_no_chip(tmp_path: Path) -> None:
    step, reader = _step(tmp_path)
    reader.remove()
    step.timeout_s = 3
    outcome = step.run(lambda d, t: None, lambda: False)
    assert (
        outcome.facts.mrz_valid
        and not outcome.facts.chip_present
        and outcome.facts.detail == "no_chip"
    )
    reader.close()


def test_a_tampered_chip_fails_passive_authentication(tmp_path: Path) -> None:
    step, reader = _step(tmp_path, faults=["tamper-dg2"])
    facts = step.run(lambda d, t: None, lambda: False).facts
    assert facts.passive_authentication is CheckOutcome.FAILED
    reader.close()


def test_the_chip_read_stops_at_the_steps_cancel(tmp_path: Path) -> None:
    step, reader = _step(tmp_path, faults=["slow"])  # 50 ms per APDU: a read of seconds
    reading: list[int] = []
    outcome = step.run(lambda d, t: reading.append(d), lambda: len(reading) >= 2)
    assert outcome.facts.chip_present and outcome.facts.detail == "chip_read_cancelled"
    assert outcome.facts.chip_read is CheckOutcome.NOT_RUN and outcome.inspection is None
    assert len(reading) == 2  # not one APDU after the cancel
    reader.close()


def test_the_chip_read_stops_at_the_steps_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    step, reader = _step(tmp_path, faults=["slow"])
    mrz = step._scan_mrz(lambda: False, time.monotonic() + 20)
    monkeypatch.setattr(step, "_scan_mrz", lambda cancelled, deadline: mrz)
    # The slow chip answers every APDU after 50 ms; PACE alone takes six of them.
    step.timeout_s = 0.12
    started = time.monotonic()
    outcome = step.run(lambda d, t: None, lambda: False)
    assert outcome.facts.detail == "chip_read_timeout"
    assert time.monotonic() - started < 5  # stopped, not read to the end
    reader.close()

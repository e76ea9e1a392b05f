"""The APDU trace: off by default; when on, headers and status words only, announced loudly."""

from __future__ import annotations

import logging

import pytest

from devices import apdu_trace
from devices.epassport.emulator.chip import VirtualPassport
from devices.epassport.emulator.issuer import IssuedDocument
from devices.epassport.session import ReadOptions, read_document

from .scripted import LoopbackChannel


def _read(document: IssuedDocument) -> None:
    chip = VirtualPassport(document)
    read_document(LoopbackChannel(chip), document.access_key, ReadOptions(), atr=chip.atr())


def _trace(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == apdu_trace.LOGGER]


def test_off_by_default(document: IssuedDocument, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(1)
    _read(document)
    assert _trace(caplog) == []


def test_on_it_logs_headers_and_status_words_only(
    document: IssuedDocument, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(apdu_trace.ENV, "1")
    monkeypatch.setattr(apdu_trace, "_announced", False)
    caplog.set_level(1)
    _read(document)
    _read(document)
    records = _trace(caplog)
    warnings = [r for r in records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "APDU TRACE IS ON" in warnings[0].getMessage()  # once
    traffic = [r for r in records if r.levelno == apdu_trace.APDU]
    assert traffic and all(r.levelname == "APDU" for r in traffic)
    commands = [r.getMessage() for r in traffic if r.getMessage().startswith("C-APDU")]
    answers = [r.getMessage() for r in traffic if r.getMessage().startswith("R-APDU")]
    assert len(commands) == len(answers) > 20
    assert commands[:2] == ["C-APDU 00 B0 9C 00, 5 bytes", "C-APDU 00 22 C1 A4, 20 bytes"]
    assert any(c.startswith("C-APDU 0C B0 ") for c in commands)  # protected READ BINARY
    assert any(a.startswith("R-APDU SW 9000") for a in answers)
    # Nothing of the data: no 8-byte run of any file, no MRZ field, in any message.
    text = "\n".join(r.getMessage() + repr(r.args) for r in records)
    for data in document.files.values():
        for i in range(0, len(data) - 8, 8):
            assert data[i : i + 8].hex() not in text.replace(" ", "").lower()
    assert document.access_key.document_number not in text
    assert apdu_trace.log.level == apdu_trace.APDU

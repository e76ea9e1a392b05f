"""The document inspection: chip read + Passive Authentication + DG1 + clone checks + face."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from devices.epassport.certinfo import CertInfo
from devices.epassport.emulator.chip import VirtualPassport
from devices.epassport.emulator.faults import ChipFaults
from devices.epassport.emulator.issuer import IssuedDocument, issue
from devices.epassport.emulator.pki import TestPKI
from devices.epassport.inspection import DocumentInspection, inspect
from devices.epassport.session import ReadOptions, read_document
from devices.epassport.trust import TrustStore
from models.events import CheckOutcome

from .conftest import ISSUED_AT, TD3
from .scripted import LoopbackChannel

AT = ISSUED_AT + timedelta(days=30)


def _trust(pki: TestPKI) -> TrustStore:
    trust = TrustStore()
    trust.add_certificate(CertInfo.load(pki.csca_der), source="test CSCA")
    return trust


def _inspect(
    document: IssuedDocument,
    pki: TestPKI,
    *,
    faults: ChipFaults | None = None,
    printed: list[str] = TD3,
    trust: TrustStore | None = None,
) -> DocumentInspection:
    chip = VirtualPassport(document, faults=faults)
    result = read_document(
        LoopbackChannel(chip), document.access_key, ReadOptions(), atr=chip.atr()
    )
    return inspect(result, trust or _trust(pki), AT, printed_mrz=printed, issuing_country="UTO")


def test_a_genuine_document_passes_every_check(document: IssuedDocument, pki: TestPKI) -> None:
    found = _inspect(document, pki)
    assert found.passive_authentication is CheckOutcome.PASSED
    assert found.chip_authentication is CheckOutcome.PASSED
    assert found.dg1_matches_printed is CheckOutcome.PASSED
    assert found.face is not None and (found.face.width, found.face.height) == (360, 480)


def test_a_tampered_data_group_fails_passive_authentication(
    document: IssuedDocument, pki: TestPKI
) -> None:
    found = _inspect(document, pki, faults=ChipFaults(tamper_dg=2))
    assert found.passive_authentication is CheckOutcome.FAILED
    assert found.passive is not None and found.passive.dg_hashes_valid[2] is False


def test_an_unknown_issuer_fails(document: IssuedDocument, pki: TestPKI) -> None:
    other = TestPKI.generate(not_before=ISSUED_AT - timedelta(days=400))
    found = _inspect(document, pki, trust=_trust(other))
    assert found.passive_authentication is CheckOutcome.FAILED
    # and the clone checks do not count with keys from an unverified document
    assert found.chip_authentication is CheckOutcome.FAILED


def test_a_cloned_chip_is_caught(document: IssuedDocument, pki: TestPKI) -> None:
    assert (
        _inspect(document, pki, faults=ChipFaults(ca_clone=True)).chip_authentication
        is CheckOutcome.FAILED
    )
    assert (
        _inspect(document, pki, faults=ChipFaults(aa_clone=True)).chip_authentication
        is CheckOutcome.FAILED
    )


def test_dg1_must_match_the_printed_page(document: IssuedDocument, pki: TestPKI) -> None:
    printed = [TD3[0].replace("ANNA", "ANNE"), TD3[1]]
    assert _inspect(document, pki, printed=printed).dg1_matches_printed is CheckOutcome.FAILED


def test_a_chip_without_aa_or_ca_is_not_offered_not_passed(pki: TestPKI, face: bytes) -> None:
    plain = issue(TD3, pki=pki, issued_at=ISSUED_AT, face_jpeg=face)
    found = _inspect(plain, pki)
    assert found.passive_authentication is CheckOutcome.PASSED
    assert found.chip_authentication is CheckOutcome.NOT_OFFERED


def test_skipped_clone_checks_are_not_run(document: IssuedDocument, pki: TestPKI) -> None:
    chip = VirtualPassport(document)
    options = dataclasses.replace(
        ReadOptions(), chip_authentication=False, active_authentication=False
    )
    result = read_document(LoopbackChannel(chip), document.access_key, options, atr=chip.atr())
    found = inspect(result, _trust(pki), AT, printed_mrz=TD3)
    assert found.chip_authentication is CheckOutcome.NOT_RUN


def test_chip_authentication_that_fails_when_re_established_fails_the_clone_check(
    document: IssuedDocument, pki: TestPKI
) -> None:
    # A wrong MAC in the middle of the read makes the reader run access control and CA
    # again; the chip answering the second CA is a clone (another static key).
    faults = ChipFaults(wrong_mac=1, wrong_mac_after=10)
    chip = VirtualPassport(document, faults=faults)
    runs = []
    process = chip.process

    def watched(apdu: bytes) -> bytes:
        if len(apdu) > 4 and apdu[1] == 0x22 and apdu[2] == 0x41 and apdu[3] == 0xA4:
            runs.append(apdu)  # MSE:Set AT for Chip Authentication (protected)
            if len(runs) == 2:
                faults.ca_clone = True
        return process(apdu)

    chip.process = watched  # type: ignore[method-assign]
    result = read_document(
        LoopbackChannel(chip), document.access_key, ReadOptions(), atr=chip.atr()
    )
    assert result.retries == 1 and len(runs) == 2
    assert result.chip_authentication.performed is True
    assert result.chip_authentication.valid is False
    assert result.chip_authentication.reason.startswith("reestablish:")
    assert result.files["DG2"] == document.files["DG2"]  # the read itself went on
    found = inspect(result, _trust(pki), AT, printed_mrz=TD3, issuing_country="UTO")
    assert found.passive_authentication is CheckOutcome.PASSED
    assert found.chip_authentication is CheckOutcome.FAILED

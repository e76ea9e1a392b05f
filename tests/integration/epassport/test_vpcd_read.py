"""Full reads of the virtual ePassport through the real stack: pyscard -> pcscd -> vpcd -> our chip."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from devices.backends.pcsc import PcscCardReader
from devices.base import Capability, CardChannel
from devices.epassport.access_key import MRZKey
from devices.epassport.certinfo import CertInfo
from devices.epassport.emulator.applet import epassport_applet
from devices.epassport.emulator.virtual import SPECIMEN_TD3
from devices.epassport.inspection import DocumentInspection, inspect
from devices.epassport.session import ReadOptions, read_document
from devices.epassport.trust import TrustStore
from devices.virtual.pcsc_harness import PcscHarness
from devices.virtual.vpcd import VpcdBridge
from models.errors import CardRemovedError
from models.events import CheckOutcome
from tests.integration.conftest import settle

pytestmark = pytest.mark.integration


@pytest.fixture
def reader(harness: PcscHarness) -> Iterator[PcscCardReader]:
    with PcscCardReader(
        "passport-reader",
        reader=harness.slot_name(0),
        allow_virtual_readers=True,
        extended_length=True,
        transmit_timeout_s=5.0,
    ) as device:
        yield device


def _read(
    harness: PcscHarness, reader: PcscCardReader, tmp_path: Path, **applet: object
) -> DocumentInspection:
    chip = epassport_applet(pki_dir=str(tmp_path / "pki"), **applet)  # type: ignore[arg-type]
    bridge = VpcdBridge(chip, port=harness.port)
    bridge.insert()
    try:
        channel = reader.wait_for_card(10.0)
        assert isinstance(channel, CardChannel), channel
        extended = Capability.EXTENDED_LENGTH in reader.capabilities
        result = read_document(
            channel,
            MRZKey.from_mrz(list(SPECIMEN_TD3)),
            ReadOptions(extended_length=extended),
            atr=reader.atr,
        )
        trust = TrustStore()
        trust.add_certificate(
            CertInfo.load((tmp_path / "pki" / "UT" / "csca.der").read_bytes()), source="test"
        )
        return inspect(
            result, trust, datetime.now(UTC) + timedelta(minutes=1), printed_mrz=list(SPECIMEN_TD3)
        )
    finally:
        bridge.remove()
        settle(harness)


@pytest.mark.parametrize("profile", ["pace", "bac"])
def test_full_read_through_pcscd_and_vpcd(
    harness: PcscHarness, reader: PcscCardReader, tmp_path: Path, profile: str
) -> None:
    inspection = _read(harness, reader, tmp_path, profile=profile)
    result = inspection.read
    assert result.access.protocol == profile.upper()
    assert {"EF.COM", "EF.SOD", "DG1", "DG2", "DG14", "DG15"} <= set(result.files)
    assert inspection.passive_authentication is CheckOutcome.PASSED
    assert inspection.chip_authentication is CheckOutcome.PASSED
    assert inspection.dg1_matches_printed is CheckOutcome.PASSED
    assert inspection.face is not None


def test_tampered_chip_through_the_stack(
    harness: PcscHarness, reader: PcscCardReader, tmp_path: Path
) -> None:
    inspection = _read(harness, reader, tmp_path, faults=["tamper-dg2"])
    assert inspection.passive_authentication is CheckOutcome.FAILED


def test_card_pulled_out_mid_read(
    harness: PcscHarness, reader: PcscCardReader, tmp_path: Path
) -> None:
    with pytest.raises(CardRemovedError):
        _read(harness, reader, tmp_path, faults=["removed"])

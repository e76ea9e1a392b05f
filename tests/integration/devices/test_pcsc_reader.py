"""The pyscard backend against a real pcscd with vsmartcard's vpcd reader and a software card."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.backends.pcsc import CardEvent, PcscCardReader, list_readers
from devices.base import Capability, CardChannel, Retry, RetryReason
from devices.errors import ReaderNotFoundError, ReaderServiceError
from devices.virtual.applets import ECHO_AID, EchoApplet, build_atr
from devices.virtual.pcsc_harness import PcscHarness
from devices.virtual.vpcd import VpcdBridge
from devices.virtual.vpcd_reader import VpcdCardReader
from models.errors import (
    CardRemovedError,
    DeviceError,
    DeviceTimeoutError,
    DeviceUnavailableError,
)
from models.operations import DeviceState

from .conftest import settle

pytestmark = pytest.mark.integration

SELECT = bytes([0, 0xA4, 4, 0x0C, len(ECHO_AID)]) + ECHO_AID
Card = tuple[EchoApplet, VpcdBridge]


@pytest.fixture
def reader(harness: PcscHarness, card: Card) -> Iterator[PcscCardReader]:
    # depends on `card` so that it closes first: disconnecting from a card that is
    # still there resets it cleanly (vpcd cannot reset a card that already left)
    device = PcscCardReader(
        "reader",
        reader=harness.slot_name(0),
        allow_virtual_readers=True,
        extended_length=True,
        transmit_timeout_s=1.0,
    )
    with device:
        yield device


def connect(reader: PcscCardReader, timeout_s: float = 5.0) -> CardChannel:
    channel = reader.wait_for_card(timeout_s)
    assert isinstance(channel, CardChannel), channel
    return channel


def eventually(check: object, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_readers_are_listed_and_virtual_ones_refused_by_default(harness: PcscHarness) -> None:
    assert harness.slot_name(0) in list_readers()
    with PcscCardReader("strict", reader=harness.slot_name(0)) as strict:
        with pytest.raises(ReaderNotFoundError, match="virtual"):
            strict.wait_for_card(0.5)
        health = strict.health()
        assert health.state is DeviceState.ABSENT and health.detail == "virtual_reader_refused"


def test_atr_protocol_and_apdus(reader: PcscCardReader, card: Card) -> None:
    applet, bridge = card
    assert reader.wait_for_card(0.3) == Retry(RetryReason.NO_CARD, "no card within the timeout")
    bridge.insert()
    channel = connect(reader)
    assert reader.atr == applet.atr()
    assert reader.active_protocol == "T=1"
    assert reader.card_present() and Capability.EXTENDED_LENGTH in reader.capabilities
    assert channel.transmit(SELECT) == b"\x90\x00"
    assert channel.transmit(bytes.fromhex("8010000003AABBCC")) == bytes.fromhex("AABBCC9000")
    # extended length both ways: 1000 bytes out, 1000 back
    payload = bytes(range(250)) * 4
    command = bytes([0x80, 0x10, 0, 0, 0]) + len(payload).to_bytes(2, "big") + payload + b"\0\0"
    assert channel.transmit(command) == payload + b"\x90\x00"
    # T=0 style answers are resolved by the channel (61xx, 6Cxx)
    command = bytes([0x80, 0x12, 0, 0, 0]) + len(payload).to_bytes(2, "big") + payload
    assert channel.transmit(command) == payload + b"\x90\x00"
    assert channel.transmit(bytes.fromhex("8014070000")) == bytes(range(7)) + b"\x90\x00"
    assert reader.info.model == reader.reader_name


def test_card_pulled_out_mid_apdu(reader: PcscCardReader, card: Card) -> None:
    _, bridge = card
    events: list[CardEvent] = []
    reader.subscribe(events.append)
    bridge.insert()
    channel = connect(reader)
    started = time.monotonic()
    with pytest.raises(CardRemovedError):
        channel.transmit(bytes.fromhex("80300000"))  # the card leaves during this command
    assert time.monotonic() - started < 2.0
    assert reader.wait_for_removal(3.0)
    with pytest.raises(CardRemovedError):
        channel.transmit(SELECT)  # the session died with the card
    assert eventually(lambda: events[-2:] == [CardEvent.INSERTED, CardEvent.REMOVED])
    bridge.insert()  # put it back: a new session works
    assert connect(reader).transmit(SELECT) == b"\x90\x00"


def test_a_raising_subscriber_does_not_stop_card_observation(
    reader: PcscCardReader, card: Card, caplog: pytest.LogCaptureFixture
) -> None:
    _, bridge = card
    events: list[CardEvent] = []

    def broken(event: CardEvent) -> None:
        raise RuntimeError("subscriber bug")

    reader.subscribe(broken)
    reader.subscribe(events.append)
    bridge.insert()
    assert eventually(lambda: events == [CardEvent.INSERTED])
    bridge.remove()
    assert eventually(lambda: events == [CardEvent.INSERTED, CardEvent.REMOVED])
    assert reader.health().state is DeviceState.READY  # the observer is alive
    assert any(getattr(r, "code", "") == "subscriber_failed" for r in caplog.records)


def test_card_removed_between_commands(reader: PcscCardReader, card: Card) -> None:
    _, bridge = card
    bridge.insert()
    channel = connect(reader)
    bridge.remove()
    assert reader.wait_for_removal(3.0) and not reader.card_present()
    with pytest.raises(CardRemovedError):
        channel.transmit(SELECT)


def test_a_mute_card_times_out_and_the_reader_recovers(reader: PcscCardReader, card: Card) -> None:
    _, bridge = card
    bridge.insert()
    channel = connect(reader)
    started = time.monotonic()
    with pytest.raises(DeviceTimeoutError):
        channel.transmit(bytes.fromhex("80200F00"))  # the card answers after 1.5 s; timeout 1 s
    assert time.monotonic() - started < 1.4
    # SCardTransmit is still running on the IO worker: health says so until it returns
    health = reader.health()
    assert (health.state, health.detail) == (DeviceState.ERROR, "io_stuck")
    with pytest.raises(DeviceTimeoutError, match="session has ended"):
        channel.transmit(SELECT)
    assert eventually(lambda: reader.health().detail != "io_stuck", 3.0)
    assert connect(reader).transmit(SELECT) == b"\x90\x00"


def test_pcscd_restart_gives_a_typed_error_then_recovers(
    harness: PcscHarness, reader: PcscCardReader, card: Card
) -> None:
    _, bridge = card
    bridge.insert()
    channel = connect(reader)
    harness.restart()
    with pytest.raises(ReaderServiceError):
        channel.transmit(SELECT)
    # the bridge reconnects to the new vpcd, the observer to the new pcscd
    assert eventually(lambda: reader.health().state is DeviceState.READY and reader.card_present())
    assert connect(reader).transmit(SELECT) == b"\x90\x00"


def test_pcscd_crash_and_reader_unplugged(
    harness: PcscHarness, reader: PcscCardReader, card: Card
) -> None:
    _, bridge = card
    bridge.insert()
    connect(reader)
    harness.kill()
    assert eventually(lambda: reader.health().detail == "pcsc_service")
    with pytest.raises(ReaderServiceError):
        reader.wait_for_card(1.0)
    harness.start(with_reader=False)  # pcscd back, but without the reader
    assert eventually(lambda: reader.health().detail == "reader_absent")
    with pytest.raises(ReaderNotFoundError):
        reader.wait_for_card(1.0)
    harness.restart()  # the reader is plugged back
    assert eventually(lambda: reader.health().state is DeviceState.READY and reader.card_present())
    assert connect(reader).transmit(SELECT) == b"\x90\x00"


def test_waiting_for_a_card_that_comes_later(
    harness: PcscHarness, reader: PcscCardReader, card: Card
) -> None:
    _, bridge = card
    assert not reader.card_present()
    threading.Timer(0.3, bridge.insert).start()
    started = time.monotonic()
    channel = connect(reader, timeout_s=5.0)
    assert 0.25 <= time.monotonic() - started < 5.0
    assert channel.transmit(SELECT) == b"\x90\x00"


def test_close_is_quick_and_final(harness: PcscHarness) -> None:
    device = PcscCardReader("r", reader=harness.slot_name(0), allow_virtual_readers=True)
    device.open()
    started = time.monotonic()
    device.close()
    assert time.monotonic() - started < 1.0
    with pytest.raises(DeviceError):
        device.wait_for_card(0.1)


def test_protocol_t0_and_reader_listing(harness: PcscHarness) -> None:
    t0_card = EchoApplet(atr=build_atr(b"GERBNG", t1=False))  # offers T=0 only
    bridge = VpcdBridge(t0_card, port=harness.port)
    device = PcscCardReader(
        "t0", reader=harness.slot_name(0), protocol="t0", allow_virtual_readers=True
    )
    try:
        with device:
            assert harness.slot_name(1) in device.readers()
            bridge.insert()
            channel = connect(device)
            assert device.active_protocol == "T=0" and device.atr == t0_card.atr()
            payload = bytes(range(40))
            command = bytes([0x80, 0x12, 0, 0, len(payload)]) + payload
            assert channel.transmit(command) == payload + b"\x90\x00"  # via GET RESPONSE
    finally:
        bridge.remove()
        settle(harness)


def test_virtual_vpcd_reader_needs_a_fresh_process(harness: PcscHarness, tmp_path: Path) -> None:
    """This process is bound to the session's pcscd: a second private pcscd is unreachable.

    The reader says so (instead of waiting for a card forever) and leaves nothing
    behind; `gerbang devices` runs it in its own process (test_cli_virtual_config).
    """
    before = os.environ.get("PCSCLITE_CSOCK_NAME")
    device = VpcdCardReader("v", applet=EchoApplet(), workdir=tmp_path / "pcscd")
    try:
        with pytest.raises(DeviceUnavailableError, match="first PC/SC user"):
            device.open()
    finally:
        device.close()
    assert os.environ.get("PCSCLITE_CSOCK_NAME") == before
    assert not device.is_open and device.harness is None
    assert not device.card_present() and device.atr is None
    with pytest.raises(DeviceUnavailableError):
        device.insert_card()

from __future__ import annotations

import threading
import time

import pytest

from devices.base import CardChannel, Retry, RetryReason
from devices.virtual.applets import ECHO_AID, EchoApplet
from devices.virtual.loopback import LoopbackCardReader
from devices.worker import Worker
from models.errors import CardRemovedError, DeviceTimeoutError, DeviceUnavailableError

SELECT = bytes([0, 0xA4, 4, 0x0C, len(ECHO_AID)]) + ECHO_AID


def test_loopback_reader_drives_an_applet() -> None:
    card = EchoApplet()
    with LoopbackCardReader("rdr", applet=card) as reader:
        channel = reader.wait_for_card(1.0)
        assert isinstance(channel, CardChannel)
        assert reader.atr == card.atr() and reader.card_present()
        assert channel.transmit(SELECT) == b"\x90\x00"
        big = bytes(range(256)) * 3
        command = bytes([0x80, 0x12, 0, 0, 0]) + len(big).to_bytes(2, "big") + big
        assert channel.transmit(command) == big + b"\x90\x00"  # 61xx resolved
        assert card.resets == 1


def test_card_pulled_mid_command_and_reinserted() -> None:
    with LoopbackCardReader("rdr", applet=EchoApplet()) as reader:
        channel = reader.wait_for_card(1.0)
        assert isinstance(channel, CardChannel)
        with pytest.raises(CardRemovedError):
            channel.transmit(bytes.fromhex("80300000"))
        assert not reader.card_present() and reader.wait_for_removal(0.1)
        with pytest.raises(CardRemovedError):
            channel.transmit(SELECT)
        assert reader.wait_for_card(0.1) == Retry(RetryReason.NO_CARD, "no card within the timeout")
        threading.Timer(0.1, reader.insert).start()
        again = reader.wait_for_card(2.0)
        assert isinstance(again, CardChannel)
        assert again.transmit(SELECT) == b"\x90\x00"
        with pytest.raises(CardRemovedError):
            channel.transmit(SELECT)  # the old channel died with its card


def test_a_slow_card_times_out_without_hanging_the_caller() -> None:
    with LoopbackCardReader("rdr", applet=EchoApplet(), transmit_timeout_s=0.2) as reader:
        channel = reader.wait_for_card(1.0)
        assert isinstance(channel, CardChannel)
        started = time.monotonic()
        with pytest.raises(DeviceTimeoutError) as info:
            channel.transmit(bytes.fromhex("80200500"))  # the card answers after 0.5 s
        assert time.monotonic() - started < 0.5
        assert info.value.timeout_s == 0.2


def test_scripted_reader_and_closed_reader() -> None:
    reader = LoopbackCardReader("rdr", applet=EchoApplet(), script=["retry:no_card", "sample"])
    with pytest.raises(DeviceUnavailableError):
        reader.wait_for_card(0.1)
    with reader:
        assert reader.wait_for_card(0.1) == Retry(RetryReason.NO_CARD, "scripted")
        assert isinstance(reader.wait_for_card(0.1), CardChannel)


def test_worker_runs_calls_with_a_timeout() -> None:
    worker = Worker("w", "dev")
    with pytest.raises(DeviceUnavailableError):
        worker.call(lambda: 1, 1.0)
    worker.start()
    try:
        assert worker.call(lambda: 41 + 1, 1.0) == 42
        with pytest.raises(ZeroDivisionError):
            worker.call(lambda: 1 / 0, 1.0)
        release = threading.Event()
        started = time.monotonic()
        with pytest.raises(DeviceTimeoutError):
            worker.call(lambda: release.wait(5), 0.1, "stuck call")
        assert time.monotonic() - started < 0.5
        assert worker.stuck
        with pytest.raises(DeviceTimeoutError):
            worker.call(lambda: 1, 0.05)  # queued behind the stuck call
        release.set()
        time.sleep(0.05)
        assert not worker.stuck
        assert worker.call(lambda: 2, 1.0) == 2
    finally:
        worker.stop()
    assert not worker.running

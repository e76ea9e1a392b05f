from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices import t0
from devices.apdu import CommandAPDU
from devices.errors import CardProtocolError
from devices.virtual.applets import ECHO_AID, EchoApplet, build_atr, make_applet, parse_command
from models.errors import CardRemovedError, ConfigError


@given(
    cla=st.integers(0, 255),
    ins=st.integers(0, 255),
    data=st.binary(max_size=600),
    le=st.one_of(st.none(), st.integers(1, 65536)),
    extended=st.booleans(),
)
def test_parse_command_inverts_encode(
    cla: int, ins: int, data: bytes, le: int | None, extended: bool
) -> None:
    apdu = CommandAPDU(cla, ins, 1, 2, data, le, extended)
    raw = apdu.encode()
    header, body, parsed_le = parse_command(raw)
    assert header == bytes([cla, ins, 1, 2])
    assert body == data
    assert parsed_le == le


def test_atr_has_a_correct_check_byte() -> None:
    atr = build_atr(b"\x80\x73\x00\x00\x40")
    check = 0
    for b in atr[1:]:
        check ^= b
    assert check == 0 and atr[0] == 0x3B
    assert build_atr(b"AB", t1=False) == b"\x3b\x02AB"
    with pytest.raises(ValueError, match="historical"):
        build_atr(bytes(16))


def test_echo_applet_answers_its_commands() -> None:
    card = EchoApplet()
    assert card.process(bytes([0, 0xA4, 4, 0x0C, len(ECHO_AID)]) + ECHO_AID) == b"\x90\x00"
    assert card.process(bytes.fromhex("00A4040C02AAAA")) == b"\x6a\x82"
    assert card.process(bytes.fromhex("8010000003010203")) == b"\x01\x02\x03\x90\x00"
    assert card.process(bytes.fromhex("801000000301020302")) == b"\x01\x02\x90\x00"
    assert card.process(bytes.fromhex("8014030000")) == b"\x6c\x03"
    assert card.process(bytes.fromhex("8014030003")) == b"\x00\x01\x02\x90\x00"
    assert card.process(bytes.fromhex("80FF0000")) == b"\x6d\x00"
    assert card.process(bytes.fromhex("90100000")) == b"\x6e\x00"
    assert card.process(bytes.fromhex("0010")) == b"\x67\x00"
    with pytest.raises(CardRemovedError):
        card.process(bytes.fromhex("80300000"))
    card.reset()
    assert card.commands == 0 and card.resets == 1


def test_echo_applet_can_be_pulled_after_n_commands() -> None:
    card = EchoApplet(remove_after=2)
    card.process(bytes.fromhex("80100000"))
    with pytest.raises(CardRemovedError):
        card.process(bytes.fromhex("80100000"))


def test_transport_follows_get_response_and_wrong_le() -> None:
    card = EchoApplet()
    payload = bytes(range(200)) * 2  # 400 bytes: two GET RESPONSE rounds
    command = bytes([0x80, 0x12, 0, 0, 0]) + len(payload).to_bytes(2, "big") + payload
    assert t0.resolve(card.process, command) == payload + b"\x90\x00"
    assert t0.resolve(card.process, bytes.fromhex("8014050000")) == bytes(range(5)) + b"\x90\x00"
    # no short Le to fix: the 6Cxx is handed back as it is
    assert t0.resolve(card.process, bytes.fromhex("80140500")) == b"\x6c\x05"


def test_transport_gives_up_on_endless_get_response() -> None:
    with pytest.raises(CardProtocolError):
        t0.resolve(lambda apdu: b"\x61\x01", bytes.fromhex("00C0000001"))


def test_applets_are_made_by_name() -> None:
    card = make_applet("echo", {"atr": "3B0141", "delay_s": 0})
    assert card.atr() == bytes.fromhex("3B0141")
    with pytest.raises(ConfigError):
        make_applet("unknown")
    with pytest.raises(ConfigError):
        make_applet("echo", {"colour": "red"})

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.apdu import CardStatusError, CommandAPDU, ResponseAPDU
from devices.epassport import tlv
from models.errors import MalformedDataError


def test_nested_round_trip() -> None:
    inner = tlv.encode(0x5F1F, b"P<IDN") + tlv.encode(0x80, b"\x01" * 300)
    outer = tlv.encode(0x61, inner)
    (top,) = tlv.parse_all(outer)
    assert top.tag == 0x61 and top.constructed
    mrz, big = top.children()
    assert (mrz.tag, mrz.value) == (0x5F1F, b"P<IDN")
    assert len(big.value) == 300
    assert top.require(0x80).value == b"\x01" * 300
    with pytest.raises(MalformedDataError, match="missing"):
        top.require(0x81)


def test_indefinite_length_only_when_allowed() -> None:
    data = bytes.fromhex("30800401AA0000")
    with pytest.raises(MalformedDataError, match="indefinite"):
        tlv.parse_all(data)
    (seq,) = tlv.parse_all(data, allow_indefinite=True)
    assert seq.value == bytes.fromhex("0401AA")
    assert seq.end == len(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (bytes.fromhex("5F"), "multi-byte tag"),
        (bytes.fromhex("04"), "length missing"),
        (bytes.fromhex("0485"), "length field of 5 bytes"),
        (bytes.fromhex("0482FF"), "length bytes"),
        (bytes.fromhex("0405AABB"), "runs past"),
        (bytes.fromhex("0480AA0000"), "not allowed"),
        (bytes.fromhex("5FFFFFFF01"), "longer than 4 bytes"),
    ],
)
def test_malformed_tlv_is_a_typed_error(data: bytes, message: str) -> None:
    with pytest.raises(MalformedDataError, match=message):
        tlv.parse_all(data)


def test_primitive_indefinite_and_unterminated_are_refused() -> None:
    with pytest.raises(MalformedDataError, match="primitive"):
        tlv.parse_all(bytes.fromhex("0480AA0000"), allow_indefinite=True)
    with pytest.raises(MalformedDataError, match="end-of-contents"):
        tlv.parse_all(bytes.fromhex("3080040100"), allow_indefinite=True)


def test_deep_nesting_is_bounded() -> None:
    data = bytes.fromhex("3080") * 40 + b"\x00\x00" * 40
    with pytest.raises(MalformedDataError, match="deeply"):
        tlv.parse_all(data, allow_indefinite=True)


@given(st.binary(max_size=300), st.booleans())
def test_arbitrary_bytes_parse_or_fail_cleanly(data: bytes, indefinite: bool) -> None:
    with contextlib.suppress(MalformedDataError):
        for item in tlv.iter_tlv(data, allow_indefinite=indefinite):
            assert item.end <= len(data)


@given(st.integers(0, 0xFFFF), st.binary(max_size=70000))
def test_encode_parse_round_trip(tag_low: int, value: bytes) -> None:
    tag = 0x04 if tag_low < 0x8000 else 0x5F1F
    (item,) = tlv.parse_all(tlv.encode(tag, value))
    assert (item.tag, item.value) == (tag, value)


@pytest.mark.parametrize(
    ("apdu", "hexed"),
    [
        (
            CommandAPDU(0x00, 0xA4, 0x04, 0x0C, bytes.fromhex("A0000002471001")),
            "00A4040C07A0000002471001",
        ),
        (CommandAPDU(0x00, 0xB0, 0x00, 0x00, le=256), "00B0000000"),
        (CommandAPDU(0x00, 0x84, 0x00, 0x00, le=8), "0084000008"),
        (CommandAPDU(0x0C, 0xB0, 0x00, 0x00, le=65536, extended=True), "0CB00000000000"),
        (
            CommandAPDU(0x00, 0xB1, 0x00, 0x01, b"\x54\x02\x00\x00", le=1000),
            "00B100010000045402000003E8",
        ),
    ],
)
def test_command_apdu_encoding(apdu: CommandAPDU, hexed: str) -> None:
    assert apdu.encode().hex().upper() == hexed


def test_response_apdu() -> None:
    response = ResponseAPDU.parse(bytes.fromhex("0102039000"))
    assert response.data == b"\x01\x02\x03" and response.ok
    assert response.check("read") == b"\x01\x02\x03"
    with pytest.raises(CardStatusError) as info:
        ResponseAPDU.parse(bytes.fromhex("6982")).check("select")
    assert info.value.sw == 0x6982
    with pytest.raises(MalformedDataError):
        ResponseAPDU.parse(b"\x90")

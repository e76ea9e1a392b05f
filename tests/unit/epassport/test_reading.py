"""FileReader against scripted chips: lengths from headers, status words, malformed files."""

from __future__ import annotations

import pytest

from devices.apdu import CardStatusError
from devices.epassport import atr
from devices.epassport.errors import FileTooLargeError
from devices.epassport.reading import (
    DATA_GROUPS,
    EF_COM,
    FileAbsentError,
    FileReader,
    ReadProgress,
    com_data_groups,
)
from models.errors import MalformedDataError

from .scripted import ScriptedChannel

COM = "60165F0104303130375F36063034303030305C04617563 6E".replace(" ", "")


def reader(script: list[tuple[str, str]], **kwargs: object) -> tuple[FileReader, ScriptedChannel]:
    channel = ScriptedChannel(script)
    return FileReader(channel, **kwargs), channel  # type: ignore[arg-type]


def test_short_file_in_one_sfi_read_with_end_of_file_warning() -> None:
    r, channel = reader([("00B09E0000", COM + "6282")])
    assert r.read(EF_COM).hex().upper() == COM
    assert channel.done and r.apdus == 1
    assert com_data_groups(bytes.fromhex(COM)) == {1, 2, 3, 14}


def test_long_file_is_read_in_chunks_and_reports_progress() -> None:
    body = bytes(range(256)) * 2
    dg = bytes.fromhex("75820200") + body
    seen: list[ReadProgress] = []
    r, _ = reader(
        [
            ("00B0820080", dg[:128].hex() + "9000"),
            ("00B0008080", dg[128:256].hex() + "9000"),
            ("00B0010080", dg[256:384].hex() + "9000"),
            ("00B0018080", dg[384:512].hex() + "9000"),
            ("00B0020004", dg[512:].hex() + "9000"),
        ],
        read_size=128,
        progress=seen.append,
    )
    assert r.read(DATA_GROUPS[2]) == dg
    assert [p.read for p in seen] == [128, 256, 384, 512, 516] and seen[-1].total == 516


def test_wrong_length_leads_to_a_header_read() -> None:
    r, _ = reader(
        [
            ("00B09E0000", "6700"),
            ("00B09E0008", COM[:16] + "9000"),
            ("00B0000810", COM[16:] + "9000"),
        ]
    )
    assert r.read(EF_COM).hex().upper() == COM


def test_6cxx_repeats_with_the_exact_length_and_61xx_fetches_the_rest() -> None:
    r, _ = reader(
        [
            ("00B09E0000", "6C18"),
            ("00B09E0018", COM[:20] + "6108"),
            ("00C0000008", COM[20:] + "9000"),
        ]
    )
    assert r.read(EF_COM).hex().upper() == COM


def test_chip_refusing_sfi_gets_select() -> None:
    r, _ = reader(
        [("00B09E0000", "6A86"), ("00A4020C02011E", "9000"), ("00B0000000", COM + "6282")]
    )
    assert r.read(EF_COM).hex().upper() == COM
    assert not r.short_file_ids


def test_absent_file() -> None:
    r, _ = reader([("00B08F0000", "6A82")])
    assert r.read_optional(DATA_GROUPS[15]) is None
    r, _ = reader([("00A4020C02010F", "6A82")], short_file_ids=False)
    with pytest.raises(FileAbsentError):
        r.read(DATA_GROUPS[15])


@pytest.mark.parametrize(
    ("answer", "error", "match"),
    [
        ("7780" + "00" * 10 + "9000", MalformedDataError, "indefinite"),
        ("7F" + "FF" * 5 + "9000", MalformedDataError, "longer than 4"),
        ("6103010203" + "9000", MalformedDataError, "starts with tag 61"),
        ("77" + "6282", MalformedDataError, "inside its header"),
        ("9000", MalformedDataError, "no data"),
        ("778504000000009000", MalformedDataError, "length field"),
        ("7784100000009000", FileTooLargeError, "more than the limit"),
        ("6982", CardStatusError, "6982"),
    ],
)
def test_malformed_or_refused_files_are_typed_errors(
    answer: str, error: type[Exception], match: str
) -> None:
    r, _ = reader([("00B09D0000", answer)])
    from devices.epassport.reading import EF_SOD

    with pytest.raises(error, match=match):
        r.read(EF_SOD)


def test_truncated_file_is_a_typed_error() -> None:
    r, _ = reader([("00B09D0000", "7710AABB6282"), ("00B000040E", "6B00")])
    from devices.epassport.reading import EF_SOD

    with pytest.raises(CardStatusError, match="6B00"):
        r.read(EF_SOD)


def test_atr_extended_length_bit() -> None:
    assert atr.supports_extended_length(atr.contactless_atr(bytes([0x80, 0x73, 0x80, 0x21, 0xC0])))
    assert not atr.supports_extended_length(
        atr.contactless_atr(bytes([0x80, 0x73, 0x80, 0x21, 0x80]))
    )
    assert not atr.supports_extended_length(atr.contactless_atr(b""))
    # a contact ATR with TA1/TB1/TC1 and category 00 (status bytes at the end)
    contact = bytes.fromhex("3BF81300008131FE45" + "0073C840C0009000" + "00")
    assert atr.historical_bytes(contact) == bytes.fromhex("0073C840C0009000")
    assert atr.supports_extended_length(contact)
    assert atr.historical_bytes(contact[:12]) == b""

"""EF.COM, DG1, DG7, DG11 and DG12 parsers: specimens, round trips, malformed input."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.epassport import tlv
from devices.epassport.dg_personal import parse_date, parse_dg11, parse_dg12
from devices.epassport.images import ImageFormat
from devices.epassport.lds import parse_dg1, parse_dg7, parse_ef_com
from models.errors import MalformedDataError
from tests.unit.epassport import pki


def ef_com(tags: bytes, lds: bytes = b"0108", uni: bytes = b"040000") -> bytes:
    body = tlv.encode(0x5F01, lds) + tlv.encode(0x5F36, uni) + tlv.encode(0x5C, tags)
    return tlv.encode(0x60, body)


def test_ef_com_lists_the_data_groups() -> None:
    com = parse_ef_com(ef_com(bytes.fromhex("6175636B6C6E6F")))
    assert (com.lds_version, com.unicode_version) == ("0108", "040000")
    assert com.data_groups == (1, 2, 3, 11, 12, 14, 15)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (ef_com(b"\x61\x99"), "unknown tag"),
        (ef_com(b"\x61", lds=b"01a8"), "digits"),
        (ef_com(b"\x61\x5f"), "multi-byte tag"),
        (tlv.encode(0x60, tlv.encode(0x5F01, b"0108")), "5F36 missing"),
        (ef_com(b"\x61") + b"\x01", "after its 60"),
    ],
)
def test_malformed_ef_com(data: bytes, message: str) -> None:
    with pytest.raises(MalformedDataError, match=message):
        parse_ef_com(data)


@pytest.mark.dataset
@pytest.mark.parametrize(
    ("name", "layout", "state"),
    [("dg1_tv1.bin", "TD1", "NLD"), ("dg1_tv2.bin", "TD2", "ATA"), ("dg1_tv3.bin", "TD3", "UTO")],
)
def test_dg1_specimens(gerbang_data: Path, name: str, layout: str, state: str) -> None:
    data = (gerbang_data / "icao9303" / "sod_testvectors_pymrtd" / name).read_bytes()
    dg1 = parse_dg1(data)
    assert dg1.layout == layout and dg1.issuing_state == state
    assert len({len(line) for line in dg1.lines}) == 1
    assert dg1.matches_printed([f" {line.lower()} " for line in dg1.lines])


def test_dg1_lines_and_printed_comparison() -> None:
    dg1 = parse_dg1(pki.dg1(pki.TD3_MRZ))
    assert dg1.layout == "TD3" and dg1.document_code == "P<" and dg1.issuing_state == "UTO"
    assert dg1.lines == (pki.TD3_MRZ[:44], pki.TD3_MRZ[44:])
    assert dg1.mrz == pki.TD3_MRZ
    assert not dg1.matches_printed([pki.TD3_MRZ[:44], pki.TD3_MRZ[44:-1] + "1"])
    td1 = parse_dg1(pki.dg1(pki.TD1_MRZ))
    assert td1.layout == "TD1" and len(td1.lines) == 3
    assert "ERIKSSON" not in repr(td1)  # the MRZ is personal data: kept out of reprs


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (pki.dg1(pki.TD3_MRZ[:-1]), "fits no layout"),
        (pki.dg1(pki.TD3_MRZ.replace("<", " ")), "outside"),
        (tlv.encode(0x61, tlv.encode(0x5F1F, "É".encode() * 44)), "ASCII"),
        (tlv.encode(0x61, tlv.encode(0x5F1E, b"x")), "5F1F missing"),
        (pki.dg1(pki.TD3_MRZ)[:-3], "runs past"),
        (b"\x61\x80\x00\x00", "indefinite"),
    ],
)
def test_malformed_dg1(data: bytes, message: str) -> None:
    with pytest.raises(MalformedDataError, match=message):
        parse_dg1(data)


def test_dg7_signature_images() -> None:
    jpeg = pki.image_bytes("JPEG", 60, 20)
    data = tlv.encode(0x67, tlv.encode(0x02, b"\x01") + tlv.encode(0x5F43, jpeg))
    (image,) = parse_dg7(data)
    assert image.format is ImageFormat.JPEG
    assert image.decode().pixels.shape == (20, 60, 3)
    with pytest.raises(MalformedDataError, match="count"):
        parse_dg7(tlv.encode(0x67, tlv.encode(0x02, b"\x02") + tlv.encode(0x5F43, jpeg)))
    with pytest.raises(MalformedDataError, match="count"):
        parse_dg7(tlv.encode(0x67, tlv.encode(0x5F43, jpeg)))


def dg11(fields: list[tuple[int, bytes]], names: list[bytes] | None = None) -> bytes:
    tags = b"".join(tlv.encode_tag(t) for t, _ in fields)
    body = tlv.encode(0x5C, tags) + b"".join(tlv.encode(t, v) for t, v in fields)
    if names is not None:
        inner = tlv.encode(0x02, bytes([len(names)])) + b"".join(
            tlv.encode(0x5F0F, n) for n in names
        )
        body += tlv.encode(0xA0, inner)
    return tlv.encode(0x6B, body)


def test_dg11_fields() -> None:
    data = dg11(
        [
            (0x5F0E, b"SIREGAR<<BUTET<ROMAULI"),
            (0x5F2B, b"19850317"),
            (0x5F11, b"MEDAN, SUMATERA UTARA"),
            (0x5F42, b"Jl. Merdeka 1<JAKARTA"),
            (0x5F10, b"3171234567890001"),
            (0x5F16, pki.image_bytes("JPEG2000", 16, 16)),
            (0x5F70, b"unknown tags are skipped"),
        ],
        names=[b"BUTET", "BÜTET".encode()],
    )
    parsed = parse_dg11(data)
    assert parsed.full_name == "SIREGAR<<BUTET<ROMAULI"
    assert parsed.other_names == ("BUTET", "BÜTET")
    assert parsed.date_of_birth is not None and parsed.date_of_birth.isoformat() == "1985-03-17"
    assert parsed.place_of_birth == "MEDAN, SUMATERA UTARA"
    assert parsed.personal_number == "3171234567890001"
    assert parsed.proof_of_citizenship is not None
    assert parsed.proof_of_citizenship.decode().pixels.shape == (16, 16, 3)
    assert parsed.telephone is None


def test_dg11_latin1_text_and_bcd_dates() -> None:
    parsed = parse_dg11(
        dg11([(0x5F0E, "MÜLLER<<JÖRG".encode("latin-1")), (0x5F2B, b"\x19\x85\x03\x17")])
    )
    assert parsed.full_name == "MÜLLER<<JÖRG"
    assert parsed.full_date_of_birth == "19850317"


def test_dg12_fields() -> None:
    body = [
        (0x5F19, b"KANTOR IMIGRASI JAKARTA"),
        (0x5F26, b"20240115"),
        (0x5F1B, b"NONE"),
        (0x5F55, b"20240115093000"),
        (0x5F56, b"SN-0042"),
        (0x5F1D, pki.image_bytes("JPEG", 20, 10)),
    ]
    tags = b"".join(tlv.encode_tag(t) for t, _ in body)
    persons = tlv.encode(0x02, b"\x01") + tlv.encode(0x5F1A, b"DOE<<JOHN")
    data = tlv.encode(
        0x6C,
        tlv.encode(0x5C, tags)
        + b"".join(tlv.encode(t, v) for t, v in body)
        + tlv.encode(0xA0, persons),
    )
    parsed = parse_dg12(data)
    assert parsed.issuing_authority == "KANTOR IMIGRASI JAKARTA"
    assert parsed.issue_date is not None and parsed.issue_date.isoformat() == "2024-01-15"
    assert parsed.other_persons == ("DOE<<JOHN",)
    assert parsed.personalized_at is not None and parsed.personalized_at.hour == 9
    assert parsed.image_front is not None and parsed.image_front.format is ImageFormat.JPEG
    assert parsed.image_rear is None


def test_partial_dates_stay_text() -> None:
    assert parse_date("19850000") is None
    assert parse_date("1985") is None
    assert parse_date(None) is None
    assert (
        parse_dg12(
            tlv.encode(0x6C, tlv.encode(0x5C, b"\x5f\x55") + tlv.encode(0x5F55, b"2024"))
        ).personalized_at
        is None
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (tlv.encode(0x6B, tlv.encode(0x5F0E, b"X")), "tag list"),
        (dg11([], names=[b"A"])[:-3] + b"\x5f\x0f\x00", "runs past|count"),
        (
            tlv.encode(0x6B, tlv.encode(0x5C, b"") + tlv.encode(0xA0, tlv.encode(0x02, b"\x02"))),
            "count",
        ),
        (tlv.encode(0x6C, b""), "tag list"),
    ],
)
def test_malformed_dg11(data: bytes, message: str) -> None:
    parse = parse_dg12 if data[0] == 0x6C else parse_dg11
    with pytest.raises(MalformedDataError, match=message):
        parse(data)


_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60
)


@settings(max_examples=80, deadline=timedelta(seconds=2))
@given(name=_text, place=_text, others=st.lists(_text, max_size=3))
def test_dg11_round_trip(name: str, place: str, others: list[str]) -> None:
    data = dg11(
        [(0x5F0E, name.encode()), (0x5F11, place.encode())], names=[o.encode() for o in others]
    )
    parsed = parse_dg11(data)
    assert (parsed.full_name, parsed.place_of_birth, parsed.other_names) == (
        name,
        place,
        tuple(others),
    )


@settings(max_examples=80, deadline=timedelta(seconds=2))
@given(mrz=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<", min_size=72, max_size=90))
def test_dg1_round_trip_or_typed_error(mrz: str) -> None:
    try:
        dg1 = parse_dg1(pki.dg1(mrz))
    except MalformedDataError:
        assert len(mrz) not in (72, 88, 90)
    else:
        assert dg1.mrz == mrz


PARSERS = [parse_ef_com, parse_dg1, parse_dg7, parse_dg11, parse_dg12]


@settings(max_examples=200, deadline=timedelta(seconds=2))
@given(data=st.binary(max_size=300), which=st.integers(0, len(PARSERS) - 1))
def test_random_bytes_give_only_typed_errors(data: bytes, which: int) -> None:
    with contextlib.suppress(MalformedDataError):
        PARSERS[which](data)


@pytest.mark.parametrize("parser", PARSERS)
def test_every_truncation_of_a_valid_file_is_a_typed_error(parser: object) -> None:
    files = {
        parse_ef_com: ef_com(b"\x61\x75"),
        parse_dg1: pki.dg1(pki.TD1_MRZ),
        parse_dg7: tlv.encode(
            0x67, tlv.encode(0x02, b"\x01") + tlv.encode(0x5F43, b"\xff\xd8\xff")
        ),
        parse_dg11: dg11([(0x5F0E, b"A<<B")], names=[b"C"]),
        parse_dg12: tlv.encode(0x6C, tlv.encode(0x5C, b"\x5f\x19") + tlv.encode(0x5F19, b"X")),
    }
    data = files[parser]  # type: ignore[index]
    parser(data)  # type: ignore[operator]
    for cut in range(len(data)):
        with pytest.raises(MalformedDataError):
            parser(data[:cut])  # type: ignore[operator]

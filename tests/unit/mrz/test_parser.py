from __future__ import annotations

import contextlib
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.mrz.compose import compose_mrz, encode_names
from devices.mrz.layout import LAYOUTS, CharClass
from devices.mrz.parser import check_digits, parse_mrz
from models.errors import MRZError
from models.identity import MrzType, Sex

TODAY = date(2025, 6, 1)

# ICAO Doc 9303 specimens (Part 4 TD3, Part 5 TD1, Part 6 TD2, Part 7 MRV-A and MRV-B).
TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)
TD1 = (
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
)
TD2 = (
    "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
    "D231458907UTO7408122F1204159<<<<<<<6",
)
MRVA = (
    "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L8988901C4XXX4009078F96121096ZE184226B<<<<<<",
)
MRVB = (
    "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
    "L8988901C4XXX4009078F9612109<<<<<<<<",
)


def test_td3_specimen() -> None:
    reading = parse_mrz("\n".join(TD3), reference_date=TODAY)
    doc = reading.document
    assert reading.mrz_type is MrzType.TD3 and reading.valid
    assert (doc.document_code, doc.issuing_state, doc.nationality) == ("P", "UTO", "UTO")
    assert (doc.surname, doc.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert doc.document_number == "L898902C3"
    assert doc.birth_date == date(1974, 8, 12) and doc.expiry_date == date(2012, 4, 15)
    assert doc.sex is Sex.FEMALE and doc.optional_data == "ZE184226B"
    assert [c.field for c in reading.checks] == [
        "document_number",
        "birth_date",
        "expiry_date",
        "personal_number",
        "composite",
    ]
    assert reading.fields()["personal_number"] == "ZE184226B"
    assert not reading.names_truncated


@pytest.mark.parametrize(
    ("lines", "kind", "number"),
    [(TD1, MrzType.TD1, "D23145890"), (TD2, MrzType.TD2, "D23145890")],
)
def test_id_card_specimens(lines: tuple[str, ...], kind: MrzType, number: str) -> None:
    reading = parse_mrz(lines, reference_date=TODAY)
    assert reading.mrz_type is kind and reading.valid
    assert reading.document.document_number == number
    assert reading.document.given_names == "ANNA MARIA"
    assert reading.checks[-1].field == "composite"


@pytest.mark.parametrize(("lines", "kind"), [(MRVA, MrzType.MRVA), (MRVB, MrzType.MRVB)])
def test_visa_specimens_have_no_composite(lines: tuple[str, ...], kind: MrzType) -> None:
    reading = parse_mrz(lines, reference_date=TODAY)
    assert reading.mrz_type is kind and reading.valid
    assert reading.document.document_number == "L8988901C"
    assert reading.document.nationality == "XXX"
    assert reading.document.birth_date == date(1940, 9, 7)
    assert [c.field for c in reading.checks] == ["document_number", "birth_date", "expiry_date"]


def test_failed_check_digit_is_reported_and_named() -> None:
    line2 = "L898902C37UTO7408122F1204159ZE184226B<<<<<10"  # number check 6 -> 7
    reading = parse_mrz((TD3[0], line2), reference_date=TODAY)
    assert not reading.valid
    assert set(reading.failed_checks()) == {"document_number", "composite"}
    with pytest.raises(MRZError) as err:
        reading.require_valid()
    assert err.value.field == "document_number"


def test_empty_personal_number_may_carry_a_filler_check_digit() -> None:
    lines = compose_mrz(
        MrzType.TD3,
        {
            "document_code": "P<",
            "issuing_state": "UTO",
            "names": "ERIKSSON<<ANNA",
            "document_number": "L898902C3",
            "nationality": "UTO",
            "birth_date": "740812",
            "sex": "F",
            "expiry_date": "120415",
        },
    )
    assert lines[1][42] == "<"
    assert parse_mrz(lines, reference_date=TODAY).valid
    zero = lines[1][:42] + "0" + lines[1][43:]  # '0' is the computed digit: also valid
    assert parse_mrz((lines[0], zero), reference_date=TODAY).checks[3].valid


def test_filler_check_digit_is_refused_when_the_field_is_used() -> None:
    line2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<<0"
    reading = parse_mrz((TD3[0], line2), reference_date=TODAY)
    assert "personal_number" in reading.failed_checks()


def test_td1_long_document_number() -> None:
    # Part 5 §4.2.4: a 12-character number; '<' in the check position, the rest and
    # its check digit in optional data 1.
    from devices.mrz.checkdigit import check_digit

    number = "D23145890734"
    line1 = f"I<UTO{number[:9]}<{number[9:]}{check_digit(number)}<<<<<<<<<<<"
    body = line1[5:30] + "7408122" + "1204159" + "<<<<<<<<<<<"
    line2 = f"7408122F1204159UTO<<<<<<<<<<<{check_digit(body)}"
    reading = parse_mrz((line1, line2, TD1[2]), reference_date=TODAY)
    assert reading.valid, reading.failed_checks()
    assert reading.document.document_number == number


@pytest.mark.parametrize(
    ("raw", "reference", "expected"),
    [
        ("740812", date(2025, 1, 1), date(1974, 8, 12)),
        ("240101", date(2025, 1, 1), date(2024, 1, 1)),
        ("250102", date(2025, 1, 1), date(1925, 1, 2)),  # tomorrow 2025 cannot be a birth
        ("000229", date(2025, 1, 1), date(2000, 2, 29)),
    ],
)
def test_birth_date_century(raw: str, reference: date, expected: date) -> None:
    lines = _td3(birth_date=raw)
    assert parse_mrz(lines, reference_date=reference).document.birth_date == expected


@pytest.mark.parametrize(
    ("raw", "reference", "expected"),
    [
        ("120415", date(2025, 1, 1), date(2012, 4, 15)),  # expired
        ("350101", date(2025, 1, 1), date(2035, 1, 1)),
        ("441231", date(2025, 1, 1), date(2044, 12, 31)),  # within 20 years
        ("460101", date(2025, 1, 1), date(1946, 1, 1)),  # beyond the window
        ("050101", date(1999, 1, 1), date(2005, 1, 1)),
    ],
)
def test_expiry_date_century(raw: str, reference: date, expected: date) -> None:
    lines = _td3(expiry_date=raw)
    assert parse_mrz(lines, reference_date=reference).document.expiry_date == expected


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"birth_date": "741312"}, "birth_date"),
        ({"expiry_date": "120231"}, "expiry_date"),
        ({"birth_date": "74<812"}, "birth_date"),
        ({"sex": "Q"}, "sex"),
        ({"nationality": "U1O"}, "nationality"),
    ],
)
def test_structural_errors_name_the_field(change: dict[str, str], field: str) -> None:
    with pytest.raises(MRZError) as err:
        parse_mrz(_td3(**change), reference_date=TODAY)
    assert err.value.field == field


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("", "format"),
        (TD3[0] + "\n" + TD3[1][:-1], "format"),
        (TD3[0] + "\n" + TD3[1][:40], "format"),
        ("P<UTO\nL898", "format"),
        (TD3[0] + "\n" + TD3[1].replace("F", "f").replace("Z", "é"), "line2"),
    ],
)
def test_malformed_text(text: str, field: str) -> None:
    with pytest.raises(MRZError) as err:
        parse_mrz(text, reference_date=TODAY)
    assert err.value.field == field


def test_names_with_fillers_and_truncation() -> None:
    lines = _td3(names="VAN<DER<BERG<<JAN<PIETER")
    doc = parse_mrz(lines, reference_date=TODAY).document
    assert (doc.surname, doc.given_names) == ("VAN DER BERG", "JAN PIETER")
    mononym = parse_mrz(_td3(names="SUKARNO"), reference_date=TODAY).document
    assert (mononym.surname, mononym.given_names) == ("SUKARNO", "")
    full = parse_mrz(_td3(names="A" * 39), reference_date=TODAY)
    assert full.names_truncated


def test_unspecified_sex_and_short_state_code() -> None:
    reading = parse_mrz(_td3(sex="<", issuing_state="D<<"), reference_date=TODAY)
    assert reading.document.sex is Sex.UNSPECIFIED
    assert reading.document.issuing_state == "D"


def test_check_digits_without_decoding() -> None:
    # A printed MRZ whose nationality holds digits (seen on a Romanian specimen):
    # the fields do not decode, the check digits can still be reported.
    lines = _td3(nationality="132")
    with pytest.raises(MRZError):
        parse_mrz(lines, reference_date=TODAY)
    kind, checks = check_digits(lines)
    assert kind is MrzType.TD3 and all(c.valid for c in checks)


# ---------------------------------------------------------------- property-based tests

_letters = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=12)
_alnum = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=9)
_dates = st.dates(min_value=date(1930, 1, 1), max_value=date(2024, 12, 31))


@st.composite
def documents(draw: st.DrawFn) -> tuple[MrzType, dict[str, str], date, date]:
    kind = draw(st.sampled_from(list(MrzType)))
    birth = draw(_dates)
    expiry = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2044, 12, 31)))
    code = "V<" if kind in (MrzType.MRVA, MrzType.MRVB) else draw(st.sampled_from(["P<", "I<"]))
    if kind is MrzType.TD1:
        code = draw(st.sampled_from(["I<", "ID", "AC"]))
    fields = {
        "document_code": code,
        "issuing_state": draw(st.sampled_from(["IDN", "UTO", "D<<", "MYS"])),
        "names": encode_names(draw(_letters), draw(_letters)),
        "document_number": draw(_alnum),
        "nationality": draw(st.sampled_from(["IDN", "UTO", "D<<"])),
        "birth_date": birth.strftime("%y%m%d"),
        "sex": draw(st.sampled_from("MFX<")),
        "expiry_date": expiry.strftime("%y%m%d"),
    }
    return kind, fields, birth, expiry


@settings(max_examples=200, deadline=timedelta(seconds=2))
@given(documents())
def test_compose_then_parse_round_trips(doc: tuple[MrzType, dict[str, str], date, date]) -> None:
    kind, fields, birth, expiry = doc
    lines = compose_mrz(kind, fields)
    reading = parse_mrz(lines, reference_date=TODAY)
    assert reading.mrz_type is kind and reading.valid
    assert reading.document.document_number == fields["document_number"]
    assert reading.document.birth_date == birth
    assert reading.document.expiry_date == expiry
    assert reading.lines == lines


@settings(max_examples=200, deadline=timedelta(seconds=2))
@given(documents(), st.data())
def test_any_single_digit_change_in_a_date_is_caught(
    doc: tuple[MrzType, dict[str, str], date, date], data: st.DataObject
) -> None:
    kind, fields, _, _ = doc
    lines = list(compose_mrz(kind, fields))
    layout = LAYOUTS[kind]
    spec = layout.field(data.draw(st.sampled_from(["birth_date", "expiry_date"])))
    pos = data.draw(st.integers(spec.start, spec.end - 1))
    old = lines[spec.line][pos]
    new = data.draw(st.sampled_from([d for d in "0123456789" if d != old]))
    row = lines[spec.line]
    lines[spec.line] = row[:pos] + new + row[pos + 1 :]
    failure: MRZError | None = None
    try:
        reading = parse_mrz(lines, reference_date=TODAY)
    except MRZError as exc:  # the change made an impossible date
        failure = exc
    if failure is not None:
        assert failure.field == spec.name
    else:
        assert spec.name in reading.failed_checks()


@settings(max_examples=300, deadline=timedelta(seconds=2))
@given(st.text(max_size=200))
def test_fuzz_arbitrary_text_only_raises_mrz_error(text: str) -> None:
    with contextlib.suppress(MRZError):
        parse_mrz(text, reference_date=TODAY)


@settings(max_examples=300, deadline=timedelta(seconds=2))
@given(documents(), st.data())
def test_fuzz_mutated_mrz_only_raises_mrz_error(
    doc: tuple[MrzType, dict[str, str], date, date], data: st.DataObject
) -> None:
    kind, fields, _, _ = doc
    lines = list(compose_mrz(kind, fields))
    for _ in range(data.draw(st.integers(1, 5))):
        row = data.draw(st.integers(0, len(lines) - 1))
        pos = data.draw(st.integers(0, len(lines[row]) - 1))
        char = data.draw(st.sampled_from("ABCXYZ0189<"))
        lines[row] = lines[row][:pos] + char + lines[row][pos + 1 :]
    failure: MRZError | None = None
    try:
        reading = parse_mrz(lines, reference_date=TODAY)
    except MRZError as exc:
        failure = exc
    if failure is not None:
        assert failure.field
    else:
        assert reading.mrz_type in LAYOUTS


def test_layout_classes_cover_every_position() -> None:
    for layout in LAYOUTS.values():
        classes = layout.char_classes()
        assert len(classes) == layout.lines
        assert all(len(row) == layout.width for row in classes)
        for check in layout.checks:
            assert classes[check.line][check.pos] is CharClass.NUMERIC


def _td3(**change: str) -> tuple[str, ...]:
    fields = {
        "document_code": "P<",
        "issuing_state": "UTO",
        "names": "ERIKSSON<<ANNA<MARIA",
        "document_number": "L898902C3",
        "nationality": "UTO",
        "birth_date": "740812",
        "sex": "F",
        "expiry_date": "120415",
        "personal_number": "ZE184226B",
    }
    fields.update(change)
    return compose_mrz(MrzType.TD3, fields)

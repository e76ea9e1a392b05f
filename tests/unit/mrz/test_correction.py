from __future__ import annotations

from devices.mrz.checkdigit import check_digit
from devices.mrz.correction import (
    TO_DIGIT,
    TO_LETTER,
    candidates_from_text,
    correct_by_position,
    fit_width,
)
from devices.mrz.layout import TD1, TD3
from models.identity import MrzType

TD3_LINES = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)


def test_letters_in_date_positions_become_digits() -> None:
    ocr = (
        "P<UT0ERIKSS0N<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UT074O8I22F12O4IS9ZE184226B<<<<<1O",
    )
    assert correct_by_position(TD3, ocr) == TD3_LINES


def test_document_number_and_optional_data_are_never_changed() -> None:
    # O and 0, I and 1, S and 5 are all legal in a document number: no guess is made.
    line2 = "L8O8902CS6UTO7408122F1204159ZE1842Z6B<<<<<10"
    fixed = correct_by_position(TD3, (TD3_LINES[0], line2))[1]
    assert fixed[0:9] == "L8O8902CS"  # number untouched
    assert fixed[28:42] == "ZE1842Z6B<<<<<"  # personal number untouched
    assert fixed[9] == "6"


def test_correction_never_depends_on_check_digits() -> None:
    # "74O812" becomes "740812" by position alone; a wrong check digit stays wrong.
    line2 = "L898902C36UTO74O8123F1204159ZE184226B<<<<<10"
    fixed = correct_by_position(TD3, (TD3_LINES[0], line2))[1]
    assert fixed[13:19] == "740812"
    assert fixed[19] == "3"  # the wrong check digit stays wrong
    assert check_digit("740812") == "2"


def test_maps_are_look_alikes_only() -> None:
    assert set(TO_DIGIT.values()) <= set("0123456789")
    assert set(TO_LETTER.values()) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert "<" not in TO_DIGIT and "<" not in TO_LETTER


def test_fit_width_repairs_miscounted_filler_runs() -> None:
    assert fit_width("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<", 44) == TD3_LINES[0]
    assert fit_width(TD3_LINES[0] + "<<", 44) == TD3_LINES[0]
    assert fit_width("L898902C36UTO7408122F1204159ZE184226B<<<<10", 44) == TD3_LINES[1]
    assert fit_width("SHORT", 44) is None
    assert fit_width("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFG", 44) is None


def test_candidates_pick_the_mrz_out_of_noise() -> None:
    text = "UPON ENDORSEMENT SERVES AS\n" + "\n".join(TD3_LINES) + "\nTOW 1I0 F97\n"
    best = candidates_from_text(text)[0]
    assert best.layout.mrz_type is MrzType.TD3 and best.lines == TD3_LINES


def test_candidates_for_td1() -> None:
    lines = (
        "I<UTOD231458907<<<<<<<<<<<<<<<",
        "74O8122F12O4159UTO<<<<<<<<<<<6",
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
    )
    best = candidates_from_text("\n".join(lines))[0]
    assert best.layout is TD1
    assert best.lines[1] == "7408122F1204159UTO<<<<<<<<<<<6"


def test_visa_lines_only_fit_visa_formats() -> None:
    visa = (
        "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L8988901C4XXX4009078F96121096ZE184226B<<<<<<",
    )
    kinds = {c.layout.mrz_type for c in candidates_from_text("\n".join(visa))}
    assert kinds == {MrzType.MRVA}

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pytest

from devices.mrz.compose import compose_mrz
from devices.mrz.reader import ReadStatus, read_mrz_image
from models.identity import MrzType
from tests.unit.mrz.render import grey, render_document

TODAY = date(2025, 6, 1)
TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)
# The same MRZ with the document number read as L898902C8 and its check digit 1:
# also fully valid (a different, wrong document), to test disagreement handling.
TD3_RIVAL = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C81UTO7408122F1204159ZE184226B<<<<<10",
)


@dataclass
class ScriptedEngine:
    """Returns the given texts in turn (then the last one again)."""

    texts: list[str]
    calls: int = 0
    seen: list[tuple[int, ...]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return "scripted"

    def read(self, image: np.ndarray) -> str:  # type: ignore[type-arg]
        self.seen.append(image.shape)
        text = self.texts[min(self.calls, len(self.texts) - 1)]
        self.calls += 1
        return text


def _page() -> np.ndarray:  # type: ignore[type-arg]
    return grey(render_document(TD3, size=20))


def test_two_agreeing_valid_reads_stop_early() -> None:
    engine = ScriptedEngine(["\n".join(TD3)])
    result = read_mrz_image(_page(), reference_date=TODAY, engine=engine)
    assert result.status is ReadStatus.VALID and result.valid
    assert engine.calls == 2 and result.support == 2
    assert result.raw_lines == TD3


def test_consensus_votes_per_position() -> None:
    noisy_a = "\n".join((TD3[0], TD3[1][:20] + "X" + TD3[1][21:]))  # sex misread
    noisy_b = "\n".join(
        ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", TD3[1][:3] + "3" + TD3[1][4:])
    )
    engine = ScriptedEngine([noisy_a, noisy_b, "\n".join(TD3)] + ["no text"] * 10)
    result = read_mrz_image(_page(), reference_date=TODAY, engine=engine)
    assert result.status is ReadStatus.VALID
    assert result.raw_lines == TD3


def test_equally_supported_valid_rivals_are_ambiguous_not_valid() -> None:
    texts = ["\n".join(TD3), "\n".join(TD3_RIVAL)] + ["nothing"] * 20
    engine = ScriptedEngine(texts)
    result = read_mrz_image(_page(), reference_date=TODAY, engine=engine)
    assert result.status is ReadStatus.AMBIGUOUS
    assert not result.valid


def test_a_majority_of_valid_reads_wins() -> None:
    texts = ["\n".join(TD3), "\n".join(TD3_RIVAL), "\n".join(TD3)]
    result = read_mrz_image(_page(), reference_date=TODAY, engine=ScriptedEngine(texts))
    assert result.status is ReadStatus.VALID and result.raw_lines == TD3


def test_check_failures_are_reported_not_repaired() -> None:
    bad = (TD3[0], "L898902C37UTO7408122F1204159ZE184226B<<<<<10")
    engine = ScriptedEngine(["\n".join(bad)])
    result = read_mrz_image(_page(), reference_date=TODAY, engine=engine)
    assert result.status is ReadStatus.CHECK_FAILED
    assert result.reading is not None and result.raw_lines == bad
    assert "document_number" in result.reading.failed_checks()


def test_no_text_is_not_found() -> None:
    engine = ScriptedEngine(["PASSPORT\nREPUBLIC OF UTOPIA"])
    result = read_mrz_image(_page(), reference_date=TODAY, engine=engine)
    assert result.status is ReadStatus.NOT_FOUND and result.reading is None
    assert engine.calls <= 10


def test_unparseable_lines_keep_their_check_digits() -> None:
    lines = compose_mrz(
        MrzType.TD2,
        {
            "document_code": "I<",
            "issuing_state": "ROU",
            "names": "SAVA<<SUPERMAN",
            "document_number": "HD198025",
            "nationality": "132",
            "birth_date": "850509",
            "sex": "M",
            "expiry_date": "130509",
            "optional_data": "1204994",
        },
    )
    engine = ScriptedEngine(["\n".join(lines)])
    result = read_mrz_image(_page(), reference_date=TODAY, engine=engine)
    # The nationality's digits are mapped to look-alike letters where one exists
    # (1->I, 2->Z); '3' has none, so the field does not decode.
    assert result.status is ReadStatus.UNPARSEABLE and result.error_field == "nationality"
    assert result.check_digits_valid and result.mrz_type is MrzType.TD2


# ---------------------------------------------------------------- real tesseract on rendered pages

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract missing")


@needs_tesseract
@pytest.mark.parametrize("angle", [0.0, 4.0, 90.0, 180.0])
def test_reads_a_rendered_td3_at_any_orientation(angle: float) -> None:
    page = grey(render_document(TD3, size=26, angle=angle))
    result = read_mrz_image(page, reference_date=TODAY)
    assert result.valid, (result.status, result.raw_lines)
    assert result.raw_lines == TD3


@needs_tesseract
def test_reads_a_rendered_td1() -> None:
    lines = (
        "I<UTOD231458907<<<<<<<<<<<<<<<",
        "7408122F1204159UTO<<<<<<<<<<<6",
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
    )
    result = read_mrz_image(grey(render_document(lines, size=30)), reference_date=TODAY)
    assert result.valid and result.raw_lines == lines


@needs_tesseract
def test_blank_page_is_not_found() -> None:
    page = np.full((400, 600), 230, dtype=np.uint8)
    result = read_mrz_image(page, reference_date=TODAY)
    assert result.status is ReadStatus.NOT_FOUND


def test_a_valid_read_seen_once_against_a_failing_majority_is_ambiguous() -> None:
    # The document number holds an S; one OCR run read it as 8. S and 8 share a check
    # value, so that run is fully valid (and wrong). The two other runs read the S but
    # misread a birth-date digit: their consensus fails a check digit. A single valid
    # run must not win against them.
    fields = {
        "document_code": "P",
        "issuing_state": "UTO",
        "names": "ERIKSSON<<ANNA<MARIA",
        "document_number": "L898S02C3",
        "nationality": "UTO",
        "birth_date": "740812",
        "sex": "F",
        "expiry_date": "120415",
        "personal_number": "ZE184226B",
    }
    truth = compose_mrz(MrzType.TD3, fields)
    wrong = compose_mrz(MrzType.TD3, {**fields, "document_number": "L898802C3"})
    assert wrong[1][9] == truth[1][9] and wrong[1][43] == truth[1][43]  # same check digits
    misread = (truth[0], truth[1][:18] + "3" + truth[1][19:])  # 740812 -> 740813
    texts = ["\n".join(wrong), "\n".join(misread), "\n".join(misread)] + ["nothing"] * 20
    result = read_mrz_image(_page(), reference_date=TODAY, engine=ScriptedEngine(texts))
    assert result.status is ReadStatus.AMBIGUOUS and not result.valid
    assert result.support == 1
    # Seen twice, the valid read is confirmed (the checks cannot do better than that).
    texts = ["\n".join(wrong), "\n".join(misread), "\n".join(wrong)] + ["nothing"] * 20
    result = read_mrz_image(_page(), reference_date=TODAY, engine=ScriptedEngine(texts))
    assert result.status is ReadStatus.VALID and result.raw_lines == wrong

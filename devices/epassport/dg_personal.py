"""DG11 (additional personal details) and DG12 (additional document details), 9303 p10 §4.7.11-12.

Both are ``tag { 5C tag list, field ... }`` with optional fields (unknown tags
are skipped; fields missing from the tag list are tolerated, as some chips
omit them). Text is kept as stored (names use
``<`` between parts, e.g. ``SURNAME<<GIVEN<NAMES``); dates are kept as text and
also given as :class:`datetime.date` when they are complete (``YYYYMMDD``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from devices.epassport import tlv
from devices.epassport.lds import (
    DG_TAGS,
    StoredImage,
    check_size,
    expect_tag,
    stored_image,
    tag_list,
    text,
)
from devices.epassport.pa_params import MAX_IMAGES_PER_GROUP
from models.errors import MalformedDataError

_OTHER_NAMES = 0xA0  # template of a count (02) and repeated names


@dataclass(frozen=True, slots=True)
class DG11:
    full_name: str | None = None
    other_names: tuple[str, ...] = ()
    personal_number: str | None = None
    full_date_of_birth: str | None = None
    place_of_birth: str | None = None
    permanent_address: str | None = None
    telephone: str | None = None
    profession: str | None = None
    title: str | None = None
    personal_summary: str | None = None
    proof_of_citizenship: StoredImage | None = field(default=None, repr=False)
    other_travel_document_numbers: str | None = None
    custody_information: str | None = None

    @property
    def date_of_birth(self) -> date | None:
        return parse_date(self.full_date_of_birth)


@dataclass(frozen=True, slots=True)
class DG12:
    issuing_authority: str | None = None
    date_of_issue: str | None = None
    other_persons: tuple[str, ...] = ()
    endorsements: str | None = None
    tax_exit_requirements: str | None = None
    image_front: StoredImage | None = field(default=None, repr=False)
    image_rear: StoredImage | None = field(default=None, repr=False)
    personalization_time: str | None = None
    personalization_system_serial: str | None = None

    @property
    def issue_date(self) -> date | None:
        return parse_date(self.date_of_issue)

    @property
    def personalized_at(self) -> datetime | None:
        value = self.personalization_time
        if value is None or len(value) != 14 or not value.isdigit():
            return None
        try:
            return datetime.strptime(value, "%Y%m%d%H%M%S")
        except ValueError:
            return None


_DG11_TEXT = {
    0x5F0E: "full_name",
    0x5F10: "personal_number",
    0x5F2B: "full_date_of_birth",
    0x5F11: "place_of_birth",
    0x5F42: "permanent_address",
    0x5F12: "telephone",
    0x5F13: "profession",
    0x5F14: "title",
    0x5F15: "personal_summary",
    0x5F17: "other_travel_document_numbers",
    0x5F18: "custody_information",
}
_DG11_IMAGES = {0x5F16: "proof_of_citizenship"}
_DG12_TEXT = {
    0x5F19: "issuing_authority",
    0x5F26: "date_of_issue",
    0x5F1B: "endorsements",
    0x5F1C: "tax_exit_requirements",
    0x5F55: "personalization_time",
    0x5F56: "personalization_system_serial",
}
_DG12_IMAGES = {0x5F1D: "image_front", 0x5F1E: "image_rear"}


def parse_date(value: str | None) -> date | None:
    """``YYYYMMDD`` as a date; ``None`` if absent or partial (e.g. an unknown day)."""
    if value is None or len(value) != 8 or not value.isdigit():
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


def _date_text(value: bytes) -> str:
    """Dates are 8 ASCII digits; some older chips store 4 BCD bytes instead."""
    if len(value) == 4 and all((b >> 4) < 10 and (b & 0xF) < 10 for b in value):
        return value.hex()
    return text(value)


def _names(template: tlv.TLV, name_tag: int) -> tuple[str, ...]:
    items = template.children()
    if not items or items[0].tag != 0x02 or len(items[0].value) != 1:
        raise MalformedDataError("name list does not start with its count")
    names = tuple(text(i.value) for i in items[1:] if i.tag == name_tag)
    if items[0].value[0] != len(names):
        raise MalformedDataError("name list count disagrees with its names")
    return names


def _fields(
    data: bytes, dg: int, texts: dict[int, str], images: dict[int, str], name_tag: int
) -> tuple[dict[str, object], tuple[str, ...]]:
    """The fields of DG11/DG12 by attribute name, and the names of the repeated template."""
    check_size(data, f"DG{dg}")
    items = expect_tag(data, DG_TAGS[dg], f"DG{dg}").children()
    if not items or items[0].tag != 0x5C:
        raise MalformedDataError(f"DG{dg} does not start with its tag list")
    tag_list(items[0].value)  # must parse; fields missing from it are tolerated
    values: dict[str, object] = {}
    names: tuple[str, ...] = ()
    image_count = 0
    for item in items[1:]:
        tag = item.tag
        if tag == _OTHER_NAMES:
            names = _names(item, name_tag)
            continue
        if tag == name_tag:  # some chips list the repeated name outside the template
            names = (*names, text(item.value))
            continue
        if tag in texts:
            is_date = texts[tag] in ("full_date_of_birth", "date_of_issue")
            values[texts[tag]] = _date_text(item.value) if is_date else text(item.value)
        elif tag in images:
            image_count += 1
            if image_count > MAX_IMAGES_PER_GROUP:
                raise MalformedDataError(f"DG{dg} holds too many images")
            values[images[tag]] = stored_image(item.value)
    return values, names


def parse_dg11(data: bytes) -> DG11:
    values, names = _fields(data, 11, _DG11_TEXT, _DG11_IMAGES, 0x5F0F)
    return DG11(other_names=names, **values)  # type: ignore[arg-type]


def parse_dg12(data: bytes) -> DG12:
    values, names = _fields(data, 12, _DG12_TEXT, _DG12_IMAGES, 0x5F1A)
    return DG12(other_persons=names, **values)  # type: ignore[arg-type]

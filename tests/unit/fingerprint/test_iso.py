"""ISO/IEC 19794-2:2005 records: round trips and corrupt input."""

from __future__ import annotations

import contextlib
import math
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from biometrics.fingerprint import flow, iso
from biometrics.fingerprint.errors import TemplateError
from tests.unit.fingerprint.synthetic import arch, flow_of, random_template


def test_round_trip_keeps_minutiae_within_quantisation() -> None:
    template = random_template(45, seed=3)
    record = iso.parse(iso.dump(template, position=7, impression=2))
    back = record.template
    assert record.position == 7 and record.impression == 2
    assert (back.width, back.height) == (template.width, template.height)
    assert back.count == template.count
    assert np.all(np.abs(back.x - template.x) <= 0.5)
    assert np.all(np.abs(back.y - template.y) <= 0.5)
    wrapped = np.abs((back.angle - template.angle + math.pi) % (2 * math.pi) - math.pi)
    assert np.all(wrapped <= iso.ANGLE_UNIT / 2 + 1e-6)
    assert np.array_equal(back.kind, template.kind)
    assert record.resolution_ppcm == (197, 197)


def test_dump_of_parse_is_byte_exact() -> None:
    record = iso.dump(random_template(30, seed=4))
    assert iso.dump(iso.parse(record).template) == record


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b[:10], "shorter than the header"),
        (lambda b: b"XMR\x00" + b[4:], "bad magic"),
        (lambda b: b[:-1], "length field"),
        (lambda b: b[:8] + struct.pack(">I", len(b) - 30) + b[12:-30], "do not fit"),
    ],
)
def test_corrupt_records_raise_template_error(mutate: object, message: str) -> None:
    record = iso.dump(random_template(20, seed=5))
    with pytest.raises(TemplateError, match=message):
        iso.parse(mutate(record))  # type: ignore[operator]


def test_minutia_outside_the_frame_is_refused() -> None:
    record = bytearray(iso.dump(random_template(5, seed=6)))
    struct.pack_into(">H", record, 28, (1 << 14) | 0x3FFF)  # first minutia's x
    with pytest.raises(TemplateError, match="outside"):
        iso.parse(bytes(record))


@given(st.binary(max_size=400))
@settings(max_examples=100, deadline=None)
def test_random_bytes_never_crash(data: bytes) -> None:
    with contextlib.suppress(TemplateError):
        iso.parse(iso.MAGIC + data)


def test_the_enhanced_set_travels_as_a_marked_second_view() -> None:
    raw, enhanced = random_template(30, seed=8), random_template(25, seed=9)
    data = iso.dump(raw, position=2, enhanced=enhanced)
    record = iso.parse(data)
    assert record.views == 2 and record.more_views == 0 and record.position == 2
    assert record.template.count == 30
    assert record.enhanced is not None and record.enhanced.count == 25
    assert np.all(np.abs(record.enhanced.x - enhanced.x) <= 0.5)
    assert iso.dump(record.template, position=2, enhanced=record.enhanced) == data
    # another reader sees two ordinary views of finger 2
    from biometrics.fingerprint import incits378

    views = incits378.parse(data).views
    assert [(v.position, v.view, v.template.count) for v in views] == [(2, 0, 30), (2, 1, 25)]
    assert [v.enhanced_set for v in views] == [False, True]  # our importers skip it


def test_the_ridge_flow_travels_in_the_enhanced_view() -> None:
    raw, enhanced = random_template(30, seed=8), random_template(25, seed=9)
    ridge = flow_of(arch())
    data = iso.dump(raw, position=2, enhanced=enhanced, flow=ridge)
    record = iso.parse(data)
    assert record.enhanced is not None and record.enhanced.count == 25
    assert record.flow is not None and np.array_equal(record.flow.degrees, ridge.degrees)
    assert record.flow_problem == "" and record.more_views == 0
    assert iso.dump(record.template, position=2, enhanced=record.enhanced, flow=record.flow) == data
    # a record written before the flow was stored: both sets, no flow
    older = iso.parse(iso.dump(raw, position=2, enhanced=enhanced))
    assert older.enhanced is not None and older.flow is None and older.flow_problem == ""
    with pytest.raises(TemplateError, match="with the enhanced set only"):
        iso.dump(raw, flow=ridge)


def test_a_damaged_flow_block_costs_the_flow_not_the_sets() -> None:
    raw, enhanced = random_template(30, seed=8), random_template(25, seed=9)
    ridge = flow_of(arch())
    data = bytearray(iso.dump(raw, position=2, enhanced=enhanced, flow=ridge))
    stored = flow.to_bytes(ridge)
    at = bytes(data).index(stored)
    data[at + flow.HEADER.size + 3] = 200  # a direction outside 0..179
    record = iso.parse(bytes(data))
    assert record.enhanced is not None and record.template.count == 30
    assert record.flow is None and "outside 0..179" in record.flow_problem


def _with_extended(data: bytes, extra: bytes) -> bytes:
    """``data`` (a record whose last view is our marked view, no flow) with ``extra``
    appended to that view's extended data: the length fields patched to match."""
    tag = iso.enhanced_block()
    at = data.rindex(tag) - 2  # the view's extended data length field
    (length,) = struct.unpack_from(">H", data, at)
    patched = bytearray(data[:at] + struct.pack(">H", length + len(extra)) + data[at + 2 :])
    patched += extra
    struct.pack_into(">I", patched, 8, len(patched))
    return bytes(patched)


def test_flow_blocks_are_read_leniently_and_oversized_ones_refused() -> None:
    raw, enhanced = random_template(30, seed=8), random_template(25, seed=9)
    plain = iso.dump(raw, position=2, enhanced=enhanced)
    ridge = flow_of(arch())
    good = iso.flow_block(ridge)
    other = struct.pack(">HH", 0x0102, 3) + b"abc"  # another vendor block before the flow
    record = iso.parse(_with_extended(plain, other + good + b"\x00\x07"))  # junk after it
    assert record.flow is not None and np.array_equal(record.flow.degrees, ridge.degrees)
    # two flow blocks: the first is taken
    first = iso.parse(_with_extended(plain, good + iso.flow_block(flow_of(arch(), 20.0))))
    assert first.flow is not None and np.array_equal(first.flow.degrees, ridge.degrees)
    # one row of 65,000 blocks fits an extended data block but is refused: at the kiosk
    # it would cost seconds and gigabytes a comparison; the sets stay, dual is off
    huge = b"\x08\x00\x01\xfd\xe8" + bytes(65000)
    crafted = iso.parse(_with_extended(plain, struct.pack(">HH", iso.FLOW_BLOCK, len(huge)) + huge))
    assert crafted.enhanced is not None and crafted.flow is None
    assert "outside what is read" in crafted.flow_problem


def test_a_second_view_without_our_mark_is_not_taken_for_the_enhanced_set() -> None:
    data = iso.dump(random_template(30, seed=8), position=2, enhanced=random_template(25, seed=9))
    other = data.replace(iso.ENHANCED_TAG, b"x" * len(iso.ENHANCED_TAG))  # another vendor's block
    record = iso.parse(other)
    assert record.enhanced is None and record.more_views == 1 and record.template.count == 30


def test_a_missing_or_damaged_later_view_costs_the_enhanced_set_not_the_record() -> None:
    data = bytearray(iso.dump(random_template(10, seed=2)))
    data[22] = 2  # header: two views; only one follows
    record = iso.parse(bytes(data))
    assert record.template.count == 10 and record.enhanced is None
    assert "header says 2 views" in record.later_views_problem
    both = bytearray(
        iso.dump(random_template(10, seed=2), enhanced=random_template(12, seed=3), position=2)
    )
    second = iso.HEADER.size + iso.VIEW.size + 10 * iso.MINUTIA.size + 2  # the 2nd view's header
    first_minutia = second + iso.VIEW.size
    struct.pack_into(">H", both, first_minutia, (1 << 14) | 0x3FFF)  # outside the frame
    damaged = iso.parse(bytes(both))
    assert damaged.template.count == 10 and damaged.enhanced is None
    assert "view 2 of 2 unreadable" in damaged.later_views_problem


def test_three_views_and_the_nbis_zero_view_header() -> None:
    raw, enhanced, other = (random_template(n, seed=n) for n in (10, 11, 12))
    two = iso.dump(raw, position=2, enhanced=enhanced)
    third = iso.dump(other, position=2)[iso.HEADER.size :]  # another system's second impression
    data = bytearray(two + third)
    struct.pack_into(">I", data, 8, len(data))
    data[22] = 3
    record = iso.parse(bytes(data))
    assert record.enhanced is not None and record.enhanced.count == 11
    assert record.more_views == 1 and record.later_views_problem == ""
    zero = bytearray(two)
    zero[22] = 0  # nbis-py's header: 0 views, one follows; the rest is not read
    record = iso.parse(bytes(zero))
    assert record.template.count == 10 and record.enhanced is None


def test_a_marked_view_with_too_few_minutiae_is_not_a_second_set() -> None:
    from biometrics.fingerprint import api

    raw = random_template(20, seed=1)
    few = type(raw).from_lists(raw.width, raw.height, [(50.0, 60.0, 1.0, 1, 0.5)] * 3)
    assert iso.parse(iso.dump(raw, enhanced=few)).enhanced is not None  # as written
    sets = api.finger_from_iso(iso.dump(raw, enhanced=few))
    assert sets.enhanced is None and sets.raw.count == 20  # the kiosk compares the raw set
    assert api.finger_from_iso(iso.dump(raw, enhanced=random_template(15, seed=2))).enhanced


def test_an_enhanced_set_of_another_frame_is_refused() -> None:
    raw = random_template(10, seed=2)
    other = random_template(10, seed=3)
    other = type(other).from_lists(raw.width + 1, raw.height, [], quality=None)
    with pytest.raises(TemplateError, match="frame"):
        iso.dump(raw, enhanced=other)

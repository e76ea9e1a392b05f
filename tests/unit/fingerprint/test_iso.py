"""ISO/IEC 19794-2:2005 records: round trips and corrupt input."""

from __future__ import annotations

import contextlib
import math
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from biometrics.fingerprint import iso
from biometrics.fingerprint.errors import TemplateError
from tests.unit.fingerprint.synthetic import random_template


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

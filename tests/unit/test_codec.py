from __future__ import annotations

import contextlib
import dataclasses
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models import codec
from models.errors import MalformedDataError
from models.events import CheckOutcome, CheckResult, Score
from tests import factories


@pytest.mark.parametrize("record", factories.ALL_RECORDS, ids=lambda r: type(r).__name__)
def test_every_record_round_trips_through_json(record: object) -> None:
    raw = codec.dumps(record)
    assert codec.loads(type(record), raw) == record


def test_canonical_json_is_stable() -> None:
    assert codec.dumps(factories.event()) == codec.dumps(factories.event())


def test_naive_datetime_is_refused() -> None:
    record = dataclasses.replace(factories.referral(), created_at=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="naive"):
        codec.dumps(record)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"not json", "not JSON"),
        (b'{"name": "mrz"}', "outcome: missing"),
        (b'{"name": "mrz", "outcome": "maybe"}', "not a CheckOutcome"),
        (b'{"name": 3, "outcome": "passed"}', "name: expected str"),
        (b'{"name": "mrz", "outcome": "passed", "extra": 1}', "unknown fields"),
    ],
)
def test_malformed_payloads_name_the_field(payload: bytes, message: str) -> None:
    with pytest.raises(MalformedDataError, match=message):
        codec.loads(CheckResult, payload)


def test_bad_types_inside_nested_values_are_reported() -> None:
    raw = codec.to_json_value(factories.event())
    assert isinstance(raw, dict)
    raw["scores"] = [{"name": "x", "value": "high"}]
    with pytest.raises(MalformedDataError, match=r"scores\[0\]\.value"):
        codec.from_json_value(type(factories.event()), raw)


@given(
    name=st.text(max_size=30),
    value=st.floats(allow_nan=False, allow_infinity=False),
    threshold=st.none() | st.floats(allow_nan=False, allow_infinity=False),
)
def test_scores_round_trip(name: str, value: float, threshold: float | None) -> None:
    score = Score(name, value, threshold)
    assert codec.loads(Score, codec.dumps(score)) == score


@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_crash_the_decoder(raw: bytes) -> None:
    with contextlib.suppress(MalformedDataError):
        codec.loads(CheckResult, raw)


def test_enums_and_times_are_encoded_as_plain_values() -> None:
    value = codec.to_json_value(CheckResult("mrz", CheckOutcome.PASSED))
    assert value == {"name": "mrz", "outcome": "passed", "detail": ""}
    assert codec.to_json_value(datetime(2026, 1, 2, tzinfo=UTC)) == "2026-01-02T00:00:00+00:00"

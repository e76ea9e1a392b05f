from __future__ import annotations

import pytest

from devices.base import RetryReason
from devices.virtual.script import Script, StepKind, parse_step
from models.errors import ConfigError


def test_steps_parse_with_their_arguments() -> None:
    assert parse_step("sample").kind is StepKind.SAMPLE
    assert parse_step("retry:centre_finger").reason is RetryReason.CENTRE_FINGER
    assert parse_step("error").error == "device"
    assert parse_step("error:card_removed").error == "card_removed"
    assert parse_step(" delay:0.25 ").seconds == 0.25
    assert parse_step("absent:3").kind is StepKind.ABSENT


@pytest.mark.parametrize(
    "text",
    ["jump", "retry:smile", "error:fire", "delay:soon", "delay:-1", "hang:5", "sample:x"],
)
def test_bad_steps_are_config_errors(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_step(text)


def test_a_script_loops_or_falls_back_to_samples() -> None:
    looping = Script(["sample", "retry:no_finger"])
    kinds = [looping.next().kind for _ in range(4)]
    assert kinds == [StepKind.SAMPLE, StepKind.RETRY, StepKind.SAMPLE, StepKind.RETRY]
    once = Script(["retry:no_finger"], loop=False)
    assert [once.next().kind for _ in range(3)] == [
        StepKind.RETRY,
        StepKind.SAMPLE,
        StepKind.SAMPLE,
    ]
    assert Script().next().kind is StepKind.SAMPLE


def test_a_script_without_terminal_step_is_refused() -> None:
    with pytest.raises(ConfigError):
        Script(["finger_on", "delay:1"])

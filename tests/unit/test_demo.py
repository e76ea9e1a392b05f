"""The demo's pieces that need no devices: media, MRZ, scenarios' expectations."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import cv2

from devices.mrz.parser import parse_mrz
from kiosk.demo import DEMO_POLICY, Scenario, demo_mrz, expected, write_frames


def test_demo_mrz_is_valid_and_indonesian() -> None:
    reading = parse_mrz(list(demo_mrz(date(2031, 1, 9))), reference_date=date(2026, 11, 25))
    assert reading.valid
    assert reading.document.issuing_state == "IDN" and reading.document.expiry_date == date(
        2031, 1, 9
    )


def test_frames_show_the_portrait_moved_a_little(tmp_path: Path) -> None:
    write_frames(tmp_path, count=3)
    frames = [cv2.imread(str(p)) for p in sorted(tmp_path.glob("*.jpg"))]
    assert [f.shape for f in frames] == [(480, 640, 3)] * 3
    assert not (frames[0] == frames[1]).all()


def test_every_scenario_says_what_it_should_end_in() -> None:
    assert {expected(s).split(":")[0] for s in Scenario} == {"pass", "refer"}
    assert DEMO_POLICY.require_liveness is False  # the virtual camera plays a photograph

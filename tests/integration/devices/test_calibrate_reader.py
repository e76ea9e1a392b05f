"""`gerbang calibrate reader --specimen` on the shipped virtual configuration (pcscd + vpcd)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.devices.test_cli_virtual_config import gerbang

pytestmark = pytest.mark.integration


def test_every_reader_answers_and_the_virtual_passport_is_read(tmp_path: Path) -> None:
    code, result = gerbang("calibrate", "reader", "--specimen", home=tmp_path)
    assert code == 0, result
    readers = {r["id"]: r for r in result["readers"]}  # type: ignore[attr-defined]
    assert set(readers) == {"passport-reader", "passport-chip"}
    for reader in readers.values():
        assert reader["outcome"] == "ok"
        assert reader["atr"].startswith("3B")
        assert reader["round_trip"]["sw"] == "9000" and reader["round_trip"]["count"] == 5
    assert "chip" not in readers["passport-reader"]  # the echo test card holds no passport
    chip = readers["passport-chip"]["chip"]
    assert chip["outcome"] == "ok" and chip["access_protocol"] in ("PACE", "BAC")
    assert {"EF.COM", "EF.SOD", "DG1", "DG2"} <= set(chip["files"])
    assert chip["active_authentication"] is True
    # sizes and timings only: the holder's data stays out of the result
    assert "ERIKSSON" not in str(result) and "L898902C3" not in str(result)

"""The shipped translations are complete and compiled from their sources."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

I18N = Path(__file__).resolve().parents[2] / "kiosk" / "i18n"
LRELEASE = Path(sys.executable).parent / "pyside6-lrelease"


def test_every_string_has_an_indonesian_translation() -> None:
    tree = ET.parse(I18N / "gerbang_id.ts")
    messages = list(tree.iter("message"))
    assert len(messages) >= 40
    unfinished = [
        m.findtext("source")
        for m in messages
        if (t := m.find("translation")) is None
        or t.get("type") == "unfinished"
        or not (t.text or "").strip()
    ]
    assert unfinished == []


@pytest.mark.parametrize("lang", ["id", "en"])
def test_qm_files_are_compiled_from_the_current_sources(tmp_path: Path, lang: str) -> None:
    out = tmp_path / f"{lang}.qm"
    subprocess.run(
        [str(LRELEASE), "-silent", str(I18N / f"gerbang_{lang}.ts"), "-qm", str(out)],
        check=True,
        timeout=60,
    )
    assert out.read_bytes() == (I18N / f"gerbang_{lang}.qm").read_bytes(), (
        "run scripts/i18n and commit the .qm"
    )


def test_sources_are_in_the_ts_files() -> None:
    """Every string marked for translation in kiosk/ is in the .ts (scripts/i18n was run)."""
    import re

    pattern = re.compile(r"self\.tr\(\s*\"((?:[^\"\\]|\\.)*)\"")
    in_code: set[str] = set()
    for path in (I18N.parent).rglob("*.py"):
        text = path.read_text()
        in_code |= set(pattern.findall(text))
    sources = {m.findtext("source") for m in ET.parse(I18N / "gerbang_id.ts").iter("message")}
    missing = {s for s in in_code if s not in sources and "\n" not in s}
    assert missing == set(), f"run scripts/i18n: {sorted(missing)}"

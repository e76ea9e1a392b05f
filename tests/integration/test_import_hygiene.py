"""Importing any module creates no file and starts no thread (DESIGN.md §8)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("models", "biometrics", "devices", "enrollment", "sync", "kiosk")

SCRIPT = """
import importlib, pkgutil, sys, threading, os
before = set(os.listdir('.'))
names = []
for top in {packages!r}:
    pkg = importlib.import_module(top)
    names.append(top)
    for info in pkgutil.walk_packages(pkg.__path__, top + '.'):
        importlib.import_module(info.name)
        names.append(info.name)
assert threading.active_count() == 1, [t.name for t in threading.enumerate()]
assert set(os.listdir('.')) == before, set(os.listdir('.')) ^ before
print(len(names))
"""


@pytest.mark.integration
def test_importing_every_module_is_free_of_side_effects(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(packages=PACKAGES)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 20  # every module was imported

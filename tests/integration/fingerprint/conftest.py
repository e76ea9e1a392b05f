"""Fixtures of the fingerprint tests on the shared FVC2002 sets."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def fvc2002(gerbang_data: Path) -> Path:
    return gerbang_data / "fingerprints" / "fvc2002"

"""Shared fixtures. Tests needing ../shared/data are marked ``dataset``."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.store import Store

REPO = Path(__file__).resolve().parents[1]

# Qt runs without a screen in tests (set before any QApplication exists).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def data_root() -> Path:
    return Path(os.environ.get("GERBANG_DATA", REPO.parent / "shared" / "data")).resolve()


@pytest.fixture(scope="session")
def gerbang_data() -> Path:
    """The shared test data folder; tests using it skip only when it is absent (a user's clone)."""
    root = data_root()
    if not (root / "README.md").is_file():
        pytest.skip(f"shared test data not found at {root} (set GERBANG_DATA)")
    return root


@pytest.fixture
def store_key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def store(store_key: bytes) -> Iterator[Store]:
    s = Store.open(":memory:", store_key)
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's own settings or writes into their data directory."""
    for name in list(os.environ):
        if name.startswith("GERBANG_") and name != "GERBANG_DATA":
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))

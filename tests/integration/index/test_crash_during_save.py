"""A process killed while saving its index leaves the previous index usable."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from biometrics.index import FACE_GALLERY, BiometricIndex, StoreGallerySource, persist
from models.store import Store
from tests.unit.index.helpers import clustered, fill_store

REPO = Path(__file__).resolve().parents[3]

CHILD = """
import os, sys, time
from pathlib import Path
import numpy as np
from biometrics.index import FACE_GALLERY, BiometricIndex, StoreGallerySource, factory
from models.store import Store

factory.set_threads(1)
folder, mode = Path(sys.argv[1]), sys.argv[2]
key, store_key = bytes.fromhex(os.environ["INDEX_KEY"]), bytes.fromhex(os.environ["STORE_KEY"])
store = Store.open(folder / "kiosk.db", store_key)
index = BiometricIndex.open(StoreGallerySource(store, FACE_GALLERY), folder / "index", key)
rng = np.random.default_rng(1)

def hang(stage):
    if stage == "written":
        print("WRITTEN", flush=True)
        time.sleep(60)

if mode == "hook":
    index.fault = hang
print("READY", flush=True)
row = 10_000_000
while True:  # rewrite the main file (compaction) and the delta, again and again
    batch = index.batch()
    for _ in range(50):
        row += 1
        batch.upsert(row, rng.standard_normal(128))
    index.apply(batch.build(), persist=False)
    index.compact(background=False)
"""


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes, bytes]:
    """A store of 20k face templates and its saved index (built once per module)."""
    folder = tmp_path_factory.mktemp("kiosk")
    key, store_key = secrets.token_bytes(32), secrets.token_bytes(32)
    store = Store.open(folder / "kiosk.db", store_key)
    try:
        gallery, _ = clustered(20_000, 1, seed=4)
        fill_store(store, gallery)
        index = BiometricIndex.open(StoreGallerySource(store, FACE_GALLERY), folder / "index", key)
        assert index.count == 20_000
    finally:
        store.close()
    return folder, key, store_key


@pytest.fixture
def setup(saved: tuple[Path, bytes, bytes], tmp_path: Path) -> tuple[Path, bytes, bytes]:
    folder, key, store_key = saved
    copy = tmp_path / "kiosk"
    shutil.copytree(folder, copy)
    return copy, key, store_key


def _child(folder: Path, key: bytes, store_key: bytes, mode: str) -> subprocess.Popen[str]:
    env = {
        "PYTHONPATH": str(REPO),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "INDEX_KEY": key.hex(),
        "STORE_KEY": store_key.hex(),
        "OMP_NUM_THREADS": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _wait_for(proc: subprocess.Popen[str], word: str) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != word:
        proc.kill()
        _, err = proc.communicate(timeout=30)
        pytest.fail(f"child said {line!r}, stderr: {err[-2000:]}")


def _reopen(folder: Path, key: bytes, store_key: bytes) -> BiometricIndex:
    store = Store.open(folder / "kiosk.db", store_key)
    index = BiometricIndex.open(StoreGallerySource(store, FACE_GALLERY), folder / "index", key)
    # The killed process never wrote its rows to the store: the index must agree with it.
    assert index.count == store.face_templates.count() == 20_000
    assert index.verify(deep=False).ok
    probe = store.face_templates.get("ft-123").as_array()
    assert index.search(probe, 1)[0].row_id == store.face_templates.row_id("ft-123")
    store.close()
    return index


@pytest.mark.integration
@pytest.mark.slow
def test_killed_between_write_and_rename(setup: tuple[Path, bytes, bytes]) -> None:
    folder, key, store_key = setup
    main = persist.Paths.of(folder / "index", FACE_GALLERY).main
    before = main.read_bytes()
    proc = _child(folder, key, store_key, "hook")
    _wait_for(proc, "READY")
    _wait_for(proc, "WRITTEN")
    leftovers = [p for p in (folder / "index").iterdir() if ".tmp-" in p.name]
    assert leftovers  # the new file was written but not renamed
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert main.read_bytes() == before
    index = _reopen(folder, key, store_key)
    assert index.origin == "loaded"
    assert not [p for p in (folder / "index").iterdir() if ".tmp-" in p.name]


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("delay_s", [0.05, 0.4, 1.1])
def test_killed_at_a_random_moment_of_repeated_saves(
    setup: tuple[Path, bytes, bytes], delay_s: float
) -> None:
    folder, key, store_key = setup
    proc = _child(folder, key, store_key, "plain")
    _wait_for(proc, "READY")
    time.sleep(delay_s)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    index = _reopen(folder, key, store_key)
    # Loaded as saved (the store then repairs away the rows the child invented), never broken.
    assert index.origin.split(":")[0] in {"loaded", "repaired", "rebuilt"}
    assert index.origin != "rebuilt:integrity"
    assert np.all(index.snapshot.live_ids() <= 20_000)

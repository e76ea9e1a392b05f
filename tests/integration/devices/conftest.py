"""Integration fixtures of the device layer: a private pcscd + vpcd, libfprint's virtual_image.

Everything is started here and stopped at the end; nothing is expected to run
on the machine beforehand. The pcscd is private to this test session (its own
socket, reader configuration and port; see devices/virtual/pcsc_harness.py),
so tests neither see nor disturb a system pcscd or another test run.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import cv2
import pytest

from devices.virtual import media
from devices.virtual.applets import EchoApplet
from devices.virtual.pcsc_harness import PcscHarness
from devices.virtual.vpcd import VpcdBridge
from tests.integration.conftest import settle


@pytest.fixture
def card(harness: PcscHarness) -> Iterator[tuple[EchoApplet, VpcdBridge]]:
    applet = EchoApplet()
    bridge = VpcdBridge(applet, port=harness.port)
    yield applet, bridge
    bridge.remove()
    settle(harness)


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("media")
    (root / "fingers").mkdir()
    for i in range(2):
        cv2.imwrite(str(root / "fingers" / f"p{i}.png"), media.fingerprint(i))
    media.write_video(root / "clip.avi", 8)
    return root


@pytest.fixture
def video(media_dir: Path, tmp_path: Path) -> Path:
    path = tmp_path / "clip.avi"
    shutil.copy(media_dir / "clip.avi", path)
    return path

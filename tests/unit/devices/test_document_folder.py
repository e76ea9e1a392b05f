from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from devices.backends.document import CameraDocumentScanner, FolderDocumentScanner
from devices.base import DocumentImage, Frame, Retry, RetryReason
from devices.errors import SourceLostError
from devices.virtual.camera import VirtualCamera


def test_folder_scanner_takes_only_new_files(media_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "scans"
    folder.mkdir()
    shutil.copy(media_dir / "pages" / "page.png", folder / "old.png")
    with FolderDocumentScanner("doc", folder=folder, poll_s=0.02) as scanner:
        assert scanner.scan(0.3) == Retry(RetryReason.NO_DOCUMENT, "no scan within the timeout")
        threading.Timer(
            0.1, shutil.copy, (media_dir / "pages" / "page.png", folder / "new.png")
        ).start()
        page = scanner.scan(3.0)
        assert isinstance(page, DocumentImage) and page.image.shape[:2] == (310, 440)
        assert not (folder / "new.png").exists()  # consumed
        assert (folder / "old.png").exists()
        (folder / "broken.png").write_bytes(b"garbage")
        assert scanner.scan(3.0) == Retry(RetryReason.NO_DOCUMENT, "unreadable scan file")
        shutil.rmtree(folder)
        with pytest.raises(SourceLostError):
            scanner.scan(1.0)


def test_camera_scanner_returns_the_sharpest_frame(media_dir: Path) -> None:
    camera = VirtualCamera("doc.camera", source=media_dir / "frames", fps=500)
    with CameraDocumentScanner("doc", camera=camera, frames=3) as scanner:
        started = time.monotonic()
        page = scanner.scan(2.0)
        assert isinstance(page, DocumentImage) and time.monotonic() - started < 2.0
        assert scanner.info.virtual


def test_camera_scanner_passes_retries_on(media_dir: Path) -> None:
    camera = VirtualCamera("c", source=media_dir / "dark", fps=500)
    with CameraDocumentScanner("doc", camera=camera, frames=2) as scanner:
        result = scanner.scan(0.2)
        assert isinstance(result, Retry) and result.reason is RetryReason.TOO_DARK
    assert not isinstance(result, Frame)

"""Document scanners for the MRZ page: a camera over the document tray, or a flatbed's hot folder.

* ``CameraDocumentScanner`` takes a few frames from a camera (an ``OpenCVCamera``)
  and returns the sharpest (variance of the Laplacian);
* ``FolderDocumentScanner`` waits for a new image file in a folder: flatbed
  and passport-scanner software commonly saves each scan there. A file counts
  once its size stopped changing; it is then read and, with ``consume``,
  deleted so the page does not linger on disk.
"""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

import cv2

from devices.base import Camera, DocumentImage, Frame, Health, Retry, RetryReason
from devices.errors import SourceLostError
from devices.imaging import IMAGE_SUFFIXES, as_image, figures
from devices.lifecycle import DeviceBase, now
from models.operations import DeviceKind, DeviceState

SETTLE_S = 0.2  # a scan file is complete when its size did not change for this long


class CameraDocumentScanner(DeviceBase):
    kind = DeviceKind.DOCUMENT_SCANNER
    backend = "camera-document"

    def __init__(
        self, device_id: str, *, camera: Camera, frames: int = 3, ppi: int | None = None
    ) -> None:
        super().__init__(device_id)
        self._camera = camera
        self._frames = max(1, frames)
        self._ppi = ppi

    def _virtual_instance(self) -> bool:
        return self._camera.info.virtual

    def _open(self) -> None:
        self._camera.open()
        info = self._camera.info
        self._model, self._driver = info.model, info.driver
        self._capabilities = self._camera.capabilities

    def _close(self) -> None:
        self._camera.close()

    def _health(self) -> Health:
        return self._camera.health()

    def scan(self, timeout_s: float = 10.0) -> DocumentImage | Retry:
        with self._operation():
            deadline = time.monotonic() + timeout_s
            best: Frame | None = None
            best_sharpness = -1.0
            last_retry: Retry | None = None
            taken = 0
            while taken < self._frames and time.monotonic() < deadline:
                result = self._camera.read(max(deadline - time.monotonic(), 0.01))
                if isinstance(result, Retry):
                    last_retry = result
                    continue
                taken += 1
                sharpness = figures(result.image)["sharpness"]
                if sharpness > best_sharpness:
                    best, best_sharpness = result, sharpness
            if best is None:
                return last_retry or Retry(RetryReason.NO_DOCUMENT, "no frame")
            return DocumentImage(image=best.image, timestamp=best.timestamp, ppi=self._ppi)


class FolderDocumentScanner(DeviceBase):
    kind = DeviceKind.DOCUMENT_SCANNER
    backend = "folder-document"

    def __init__(
        self,
        device_id: str,
        *,
        folder: Path,
        consume: bool = True,
        ppi: int | None = None,
        poll_s: float = 0.1,
    ) -> None:
        super().__init__(device_id)
        self._folder = folder
        self._consume = consume
        self._ppi = ppi
        self._poll_s = poll_s
        self._seen: set[tuple[str, int]] = set()
        self._wake = threading.Event()
        self._driver = "folder"
        self._model = f"folder:{folder.name}"

    def _open(self) -> None:
        if not self._folder.is_dir():
            raise SourceLostError(f"scan folder {self._folder} not found", device_id=self.device_id)
        self._wake.clear()
        # files already there are old scans: only new ones count
        self._seen = {(p.name, p.stat().st_mtime_ns) for p in self._candidates()}

    def _close(self) -> None:
        self._wake.set()

    def _health(self) -> Health:
        if not self._folder.is_dir():
            return Health(DeviceState.ABSENT, now(), "folder_missing")
        return Health(DeviceState.READY, now(), "folder")

    def _candidates(self) -> list[Path]:
        return sorted(
            (p for p in self._folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES),
            key=lambda p: p.stat().st_mtime_ns,
        )

    def scan(self, timeout_s: float = 10.0) -> DocumentImage | Retry:
        with self._operation():
            deadline = time.monotonic() + timeout_s
            sizes: dict[Path, tuple[int, float]] = {}
            while time.monotonic() < deadline:
                if not self._folder.is_dir():
                    raise SourceLostError(
                        f"scan folder {self._folder} disappeared", device_id=self.device_id
                    )
                for path in self._candidates():
                    key = (path.name, path.stat().st_mtime_ns)
                    if key in self._seen:
                        continue
                    size = path.stat().st_size
                    previous = sizes.get(path)
                    if previous is None or previous[0] != size:
                        sizes[path] = (size, time.monotonic())
                        continue
                    if time.monotonic() - previous[1] < SETTLE_S:
                        continue
                    self._seen.add(key)
                    image = as_image(cv2.imread(str(path), cv2.IMREAD_COLOR))
                    if self._consume:
                        with contextlib.suppress(FileNotFoundError):
                            path.unlink()
                    if image is None:
                        return Retry(RetryReason.NO_DOCUMENT, "unreadable scan file")
                    return DocumentImage(image=image, timestamp=time.monotonic(), ppi=self._ppi)
                if self._wake.wait(self._poll_s):
                    break
            return Retry(RetryReason.NO_DOCUMENT, "no scan within the timeout")

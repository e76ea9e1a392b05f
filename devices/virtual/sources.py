"""Image sources of the virtual devices: an image folder or a looping video file."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2

from devices.base import Image
from devices.errors import SourceLostError
from devices.imaging import IMAGE_SUFFIXES, as_image, grey

VIDEO_SUFFIXES = frozenset({".avi", ".mp4", ".mkv", ".mov", ".webm", ".mjpg", ".mjpeg"})


def list_images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


class ImageFolder:
    """Cycles through the images of a folder in name order; each file is read when needed.

    ``next()`` returns None for a file that does not decode (a corrupt frame) and
    raises :class:`SourceLostError` when the folder is gone or empty.
    """

    def __init__(self, folder: Path, *, grey: bool = False) -> None:
        self.folder = folder
        self.grey = grey
        self._index = 0
        self._lock = threading.Lock()

    def describe(self) -> str:
        return f"folder:{self.folder.name}"

    def check(self) -> None:
        if not self.folder.is_dir():
            raise SourceLostError(f"image folder {self.folder} not found")
        if not list_images(self.folder):
            raise SourceLostError(f"image folder {self.folder} has no images")

    def next(self) -> Image | None:
        with self._lock:
            self.check()
            files = list_images(self.folder)
            path = files[self._index % len(files)]
            self._index += 1
        flag = cv2.IMREAD_GRAYSCALE if self.grey else cv2.IMREAD_COLOR
        return as_image(cv2.imread(str(path), flag))

    def close(self) -> None:
        return None


class LoopingVideo:
    """Frames of a video file, starting again at the end (the file is reopened, so
    deleting it makes the source vanish at the next loop)."""

    def __init__(self, path: Path, *, grey: bool = False) -> None:
        self.path = path
        self.grey = grey
        self._capture: cv2.VideoCapture | None = None
        self._lock = threading.Lock()
        self.fps = 0.0

    def describe(self) -> str:
        return f"video:{self.path.name}"

    def check(self) -> None:
        if not self.path.is_file():
            raise SourceLostError(f"video file {self.path} not found")

    def _reopen(self) -> cv2.VideoCapture:
        self.close_capture()
        self.check()
        capture = cv2.VideoCapture(str(self.path))
        if not capture.isOpened():
            capture.release()
            raise SourceLostError(f"video file {self.path} does not open")
        self.fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        self._capture = capture
        return capture

    def next(self) -> Image | None:
        with self._lock:
            capture = self._capture or self._reopen()
            ok, raw = capture.read()
            if not ok:  # end of file (or a truncated file): loop
                capture = self._reopen()
                ok, raw = capture.read()
                if not ok:
                    return None
        image = as_image(raw)
        if image is not None and self.grey and image.ndim == 3:
            return grey(image)
        return image

    def close_capture(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None

    def close(self) -> None:
        with self._lock:
            self.close_capture()


def open_source(path: Path, *, grey: bool = False) -> ImageFolder | LoopingVideo:
    if path.is_dir():
        return ImageFolder(path, grey=grey)
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return LoopingVideo(path, grey=grey)
    raise SourceLostError(f"{path} is neither an image folder nor a video file")

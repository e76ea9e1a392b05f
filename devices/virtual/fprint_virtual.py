"""Virtual fingerprint scanner on the real libfprint stack: ``virtual_image`` fed from a folder.

The scanner is the real :class:`devices.backends.libfprint.LibfprintScanner`
(GObject introspection, libfprint's image pipeline and minutiae check), opened
on libfprint's ``virtual_image`` driver. A feeder thread owned by the scanner
answers each capture according to the script: it sends the next image of the
folder, a retry, an error, finger on/off, nothing (hang), or removes the device.

``FP_VIRTUAL_IMAGE`` is process-wide: one such scanner per process.
"""

from __future__ import annotations

import os
import queue
import shutil
import tempfile
import threading
import time
from pathlib import Path

from devices import params
from devices.backends.libfprint import FINGER_NEEDED, LibfprintScanner
from devices.base import RetryReason
from devices.errors import SourceLostError
from devices.virtual import fprint_feeder as feed
from devices.virtual.script import Script, Step, StepKind
from devices.virtual.sources import ImageFolder
from models.errors import DeviceError, DeviceUnavailableError

ENV = "FP_VIRTUAL_IMAGE"

RETRY_CODES = {
    RetryReason.CENTRE_FINGER: feed.RETRY_CENTER_FINGER,
    RetryReason.REMOVE_FINGER: feed.RETRY_REMOVE_FINGER,
    RetryReason.FINGER_MOVED: feed.RETRY_TOO_SHORT,
}
# Reasons libfprint cannot signal: the feeder stays silent and the capture times out.
SILENT_REASONS = frozenset({RetryReason.TIMEOUT, RetryReason.NO_FINGER})
ERROR_CODES = {"unavailable": feed.ERROR_REMOVED, "device": feed.ERROR_GENERAL}

_NEEDED = "needed"
_STOP = "stop"


class VirtualImageScanner(LibfprintScanner):
    backend = "libfprint-virtual-image"
    virtual = True

    def __init__(
        self,
        device_id: str,
        *,
        source: Path,
        socket_path: Path | None = None,
        ppi: int = params.FINGERPRINT_DEFAULT_PPI,
        script: list[str] | tuple[str, ...] = (),
        loop_script: bool = True,
        open_timeout_s: float = params.FPRINT_OPEN_TIMEOUT_S,
    ) -> None:
        super().__init__(
            device_id,
            driver="virtual_image",
            ppi=ppi,
            open_timeout_s=open_timeout_s,
            allow_virtual=True,
        )
        self._folder = ImageFolder(source, grey=True)
        self._script = Script(script, loop=loop_script)
        self._socket_option = socket_path
        self._tmpdir: Path | None = None
        self._feeder: feed.VirtualImageFeeder | None = None
        self._events: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._feed_thread: threading.Thread | None = None
        self._absent_until = 0.0
        self._last_status = 0
        self._stop_feed = threading.Event()

    def _open(self) -> None:
        if time.monotonic() < self._absent_until:
            raise DeviceUnavailableError(
                f"scanner {self.device_id} is absent (scripted)", device_id=self.device_id
            )
        try:
            self._folder.check()
        except SourceLostError as exc:
            raise SourceLostError(str(exc), device_id=self.device_id) from exc
        if self._socket_option is None:
            self._tmpdir = Path(tempfile.mkdtemp(prefix="gerbang-fprint-"))
            path = self._tmpdir / "virtual-image.sock"
        else:
            path = self._socket_option
        os.environ[ENV] = str(path)
        feeder = feed.VirtualImageFeeder(path)
        try:
            super()._open()
            try:
                feeder.connect()
            except DeviceUnavailableError:
                super()._close()
                raise
        except DeviceError:
            self._remove_tmpdir()
            raise
        self._feeder = feeder
        self._events = queue.SimpleQueue()
        self._stop_feed.clear()
        self._last_status = 0
        self._feed_thread = threading.Thread(
            target=self._feed, name=f"fprint-feeder-{self.device_id}", daemon=True
        )
        self._feed_thread.start()

    def _close(self) -> None:
        self._stop_feed.set()
        self._events.put(_STOP)
        if self._feed_thread is not None:
            self._feed_thread.join(params.THREAD_JOIN_S)
            self._feed_thread = None
        if self._feeder is not None:
            self._feeder.close()
            self._feeder = None
        super()._close()
        self._remove_tmpdir()

    def _remove_tmpdir(self) -> None:
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def _finger_changed(self, status: int) -> None:
        if status & FINGER_NEEDED and not self._last_status & FINGER_NEEDED:
            self._events.put(_NEEDED)
        self._last_status = status

    # ---------------------------------------------------------------- feeder thread
    def _feed(self) -> None:
        while True:
            event = self._events.get()
            if event == _STOP or self._stop_feed.is_set():
                return
            try:
                self._answer_capture()
            except DeviceUnavailableError:
                return  # the driver closed the socket (device removed or closed)

    def _answer_capture(self) -> None:
        feeder = self._feeder
        if feeder is None:
            return
        for _ in range(10_000):
            step = self._script.next()
            if step.kind is StepKind.DELAY:
                if self._stop_feed.wait(step.seconds):
                    return
            elif step.kind in (StepKind.FINGER_ON, StepKind.FINGER_OFF):
                feeder.finger(step.kind is StepKind.FINGER_ON)
            elif step.kind is StepKind.ABSENT:
                self._absent_until = time.monotonic() + step.seconds
                feeder.remove_device()
                return
            else:
                self._terminal(feeder, step)
                return

    def _terminal(self, feeder: feed.VirtualImageFeeder, step: Step) -> None:
        if step.kind is StepKind.SAMPLE:
            try:
                image = self._folder.next()
            except SourceLostError:
                feeder.error(feed.ERROR_PROTO)
                return
            if image is None:
                feeder.retry(feed.RETRY_GENERAL)
                return
            feeder.send_image(image)
        elif step.kind is StepKind.RETRY and step.reason is not None:
            if step.reason not in SILENT_REASONS:
                feeder.retry(RETRY_CODES.get(step.reason, feed.RETRY_GENERAL))
        elif step.kind is StepKind.ERROR:
            if step.error == "timeout":
                feeder.finger(True)  # a finger is on it, and no image ever comes
            else:
                feeder.error(ERROR_CODES.get(step.error, feed.ERROR_GENERAL))
        elif step.kind is StepKind.HANG:
            feeder.finger(True)

"""Cameras through OpenCV ``VideoCapture``: a device index, a V4L2 path, an RTSP/HTTP URL or a file.

A capture thread owned by the camera grabs frames continuously and keeps the
newest one, so that ``read()`` returns a fresh frame (not one from a stale
driver buffer) and never blocks longer than its timeout, whatever the driver
does. The thread reopens a lost source with exponential backoff (a USB camera
unplugged and plugged back, a network stream that dropped, a file replaced).

``read(timeout_s)``:

* a new frame → :class:`Frame` (monotonic timestamp, running index);
* only corrupt/empty frames arrived → ``Retry(NO_FRAME)``;
* the frame is too dark/bright (``exposure_check``) → ``Retry(TOO_DARK/TOO_BRIGHT)``;
* the source is lost and not back within the timeout → ``SourceLostError``;
* the source is there but sends nothing → ``DeviceTimeoutError``.

Controls (resolution, frame rate, exposure, focus, white balance) are applied
at every (re)open; each one the driver accepts becomes a capability. A file
source is a replay, not a camera: its ``info.virtual`` is true and production
start-up refuses it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import cv2

from devices import params
from devices.base import Capability, Frame, Health, Image, Retry, RetryReason
from devices.errors import SourceLostError
from devices.imaging import as_image, exposure_retry
from devices.lifecycle import Backoff, DeviceBase, now
from models.errors import ConfigError, DeviceTimeoutError, DeviceUnavailableError
from models.operations import DeviceKind, DeviceState

log = logging.getLogger(__name__)

APIS = {"any": cv2.CAP_ANY, "v4l2": cv2.CAP_V4L2, "ffmpeg": cv2.CAP_FFMPEG}


@dataclass(frozen=True, slots=True)
class Controls:
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    autofocus: bool | None = None
    focus: float | None = None
    auto_exposure: bool | None = None
    exposure: float | None = None
    auto_white_balance: bool | None = None
    white_balance: float | None = None  # kelvin


@dataclass(frozen=True, slots=True)
class SourceSpec:
    kind: str  # "index", "v4l2", "url", "file"
    target: int | str

    @classmethod
    def parse(cls, source: int | str, base_dir: Path | None = None) -> SourceSpec:
        if isinstance(source, int) or (isinstance(source, str) and source.isdigit()):
            return cls("index", int(source))
        if "://" in source:
            scheme = urlsplit(source).scheme.lower()
            if scheme not in ("rtsp", "rtsps", "http", "https"):
                raise ConfigError(f"camera URL scheme {scheme!r} not supported", key="source")
            return cls("url", source)
        if source.startswith("/dev/"):
            return cls("v4l2", source)
        path = Path(source)
        if base_dir is not None and not path.is_absolute():
            path = base_dir / path
        return cls("file", str(path))

    def describe(self) -> str:
        """For info/logs: URLs without credentials, files by name only."""
        if self.kind == "url":
            parts = urlsplit(str(self.target))
            netloc = parts.hostname or ""
            if parts.port:
                netloc += f":{parts.port}"
            return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
        if self.kind == "file":
            return f"file:{Path(str(self.target)).name}"
        return f"{self.kind}:{self.target}"


class OpenCVCamera(DeviceBase):
    kind = DeviceKind.CAMERA
    backend = "opencv"

    def __init__(
        self,
        device_id: str,
        *,
        source: int | str,
        api: str = "any",
        loop: bool = False,
        pace: bool = True,
        controls: Controls | None = None,
        exposure_check: bool = True,
        min_brightness: float = params.BRIGHTNESS_MIN,
        max_brightness: float = params.BRIGHTNESS_MAX,
        base_dir: Path | None = None,
    ) -> None:
        super().__init__(device_id)
        if api not in APIS:
            raise ConfigError(f"api must be one of {', '.join(APIS)}", key="api")
        self._spec = SourceSpec.parse(source, base_dir)
        self._api = APIS[api]
        self._loop = loop
        self._pace = pace
        self._controls = controls or Controls()
        self._exposure_check = exposure_check
        self._limits = (min_brightness, max_brightness)
        self._model = self._spec.describe()
        # shared with the capture thread, guarded by _cond
        self._cond = threading.Condition()
        self._frame: Image | None = None
        self._frame_at = 0.0
        self._index = 0
        self._bad = 0  # corrupt/empty frames seen (running count)
        self._connected = False
        self._ended = False  # a file without loop reached its end
        self._last_error = ""
        self._failed = False  # the capture thread died of a bug (health: ERROR)
        self._stop = threading.Event()  # the current capture thread's: a new one per open()
        self._stop.set()
        self._thread: threading.Thread | None = None
        self._returned = 0  # index of the last frame handed out
        self._fps_measured = 0.0
        self._pending_focus: float | None = None  # set_focus -> the capture thread

    def _virtual_instance(self) -> bool:
        return self._spec.kind == "file"

    # ---------------------------------------------------------------- public
    def read(self, timeout_s: float = 1.0) -> Frame | Retry:
        with self._operation():
            with self._cond:
                bad_before = self._bad
                got = self._cond.wait_for(
                    lambda: self._index > self._returned or self._ended or not self.is_open,
                    timeout_s,
                )
                self._require_open()
                frame = self._frame
                if got and self._index > self._returned and frame is not None:
                    image, stamp, index = frame, self._frame_at, self._index
                    self._returned = index
                else:
                    return self._nothing(timeout_s, bad_before)
            if self._exposure_check:
                retry = exposure_retry(image, minimum=self._limits[0], maximum=self._limits[1])
                if retry is not None:
                    return retry
            return Frame(image=image, timestamp=stamp, index=index)

    def focus_range(self) -> tuple[float, float]:
        return params.CAMERA_FOCUS_RANGE

    def set_focus(self, value: float) -> None:
        """Manual focus while running (``FocusControl``): the capture thread applies it
        before its next read, and frames read after this call were taken after that."""
        if Capability.FOCUS_CONTROL not in self._capabilities:
            raise DeviceUnavailableError(
                f"camera {self.device_id} has no focus control", device_id=self.device_id
            )
        low, high = params.CAMERA_FOCUS_RANGE
        with self._cond:
            self._require_open()
            self._pending_focus = min(max(value, low), high)
            self._cond.notify_all()
            self._cond.wait_for(
                lambda: not self._focus_pending() or self._stop.is_set(),
                params.CAMERA_CONTROL_TIMEOUT_S,
            )
            if self._focus_pending():  # not applied in time, or the camera closed
                self._pending_focus = None
                raise DeviceTimeoutError(
                    f"camera {self.device_id}: focus not applied",
                    device_id=self.device_id,
                    timeout_s=params.CAMERA_CONTROL_TIMEOUT_S,
                )
            self._returned = self._index  # frames taken before the change are not handed out

    def _focus_pending(self) -> bool:
        return self._pending_focus is not None

    def _apply_pending(self, capture: Any) -> None:
        with self._cond:
            value = self._pending_focus
        if value is None:
            return
        capture.set(cv2.CAP_PROP_AUTOFOCUS, 0.0)
        capture.set(cv2.CAP_PROP_FOCUS, value)
        with self._cond:
            self._pending_focus = None
            self._cond.notify_all()

    def _nothing(self, timeout_s: float, bad_before: int) -> Retry:
        if self._ended:
            raise SourceLostError(
                f"camera {self.device_id}: end of {self._model}", device_id=self.device_id
            )
        if self._bad > bad_before:
            return Retry(RetryReason.NO_FRAME, "corrupt or empty frames")
        if not self._connected:
            raise SourceLostError(
                f"camera {self.device_id}: source lost ({self._last_error or 'reconnecting'})",
                device_id=self.device_id,
            )
        raise DeviceTimeoutError(
            f"camera {self.device_id}: no frame within {timeout_s:.1f} s",
            device_id=self.device_id,
            timeout_s=timeout_s,
        )

    # ---------------------------------------------------------------- lifecycle
    def _open(self) -> None:
        capture = self._connect()  # fails now when the source is not there at all
        self._stop = stop = threading.Event()  # a thread left behind by close() keeps its own
        with self._cond:
            self._connected, self._ended, self._last_error = True, False, ""
            self._frame, self._index, self._returned, self._bad = None, 0, 0, 0
            self._failed = False
        self._thread = threading.Thread(
            target=self._run, args=(capture, stop), name=f"camera-{self.device_id}", daemon=True
        )
        self._thread.start()

    def _close(self) -> None:
        with self._cond:
            self._stop.set()  # under the lock: the thread publishes nothing after this
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(params.THREAD_JOIN_S)
            self._thread = None

    def _health(self) -> Health:
        with self._cond:
            age = time.monotonic() - self._frame_at if self._index else float("inf")
            figures = {
                "frames": float(self._index),
                "bad_frames": float(self._bad),
                "fps": round(self._fps_measured, 2),
            }
            if self._failed:
                return Health(DeviceState.ERROR, now(), "capture_failed", figures)
            if self._ended:
                return Health(DeviceState.ABSENT, now(), "end_of_stream", figures)
            if not self._connected:
                return Health(DeviceState.ABSENT, now(), "source_lost", figures)
            if self._index and age > params.CAMERA_STALL_S:
                return Health(DeviceState.ERROR, now(), "stalled", figures)
        return Health(DeviceState.READY, now(), self._driver, figures)

    # ---------------------------------------------------------------- capture thread
    def _connect(self) -> Any:
        spec = self._spec
        if spec.kind == "file" and not Path(str(spec.target)).is_file():
            raise SourceLostError(
                f"video file {spec.describe()} not found", device_id=self.device_id
            )
        if spec.kind == "url":
            options = [
                cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
                params.CAMERA_OPEN_TIMEOUT_MS,
                cv2.CAP_PROP_READ_TIMEOUT_MSEC,
                params.CAMERA_READ_TIMEOUT_MS,
            ]
            capture = cv2.VideoCapture(spec.target, cv2.CAP_FFMPEG, options)
        elif spec.kind == "v4l2":
            capture = cv2.VideoCapture(spec.target, cv2.CAP_V4L2)
        else:
            capture = cv2.VideoCapture(spec.target, self._api)
        if not capture.isOpened():
            capture.release()
            raise SourceLostError(
                f"camera source {spec.describe()} does not open", device_id=self.device_id
            )
        self._driver = str(capture.getBackendName())
        self._apply_controls(capture)
        return capture

    def _apply_controls(self, capture: Any) -> None:
        c = self._controls
        caps: set[Capability] = set()

        def setting(prop: int, value: float | None, cap: Capability) -> None:
            # A control the driver does not know makes set() return False. When no
            # value is configured, writing back the current value probes for it.
            target = capture.get(prop) if value is None else value
            if capture.set(prop, target):
                caps.add(cap)
            elif value is not None:
                log.warning(
                    "camera control not supported",
                    extra={"device_id": self.device_id, "code": cap.value},
                )

        if self._spec.kind != "file":
            setting(cv2.CAP_PROP_FRAME_WIDTH, c.width, Capability.RESOLUTION_CONTROL)
            setting(cv2.CAP_PROP_FRAME_HEIGHT, c.height, Capability.RESOLUTION_CONTROL)
            setting(cv2.CAP_PROP_FPS, c.fps, Capability.FRAME_RATE_CONTROL)
            if c.autofocus is not None or c.focus is None:
                setting(cv2.CAP_PROP_AUTOFOCUS, _flag(c.autofocus), Capability.AUTOFOCUS)
            setting(cv2.CAP_PROP_FOCUS, c.focus, Capability.FOCUS_CONTROL)
            if c.auto_exposure is not None:
                # V4L2 via OpenCV: 3 = aperture priority (auto), 1 = manual
                setting(
                    cv2.CAP_PROP_AUTO_EXPOSURE,
                    3.0 if c.auto_exposure else 1.0,
                    Capability.EXPOSURE_CONTROL,
                )
            setting(cv2.CAP_PROP_EXPOSURE, c.exposure, Capability.EXPOSURE_CONTROL)
            if c.auto_white_balance is not None:
                setting(
                    cv2.CAP_PROP_AUTO_WB,
                    _flag(c.auto_white_balance),
                    Capability.WHITE_BALANCE_CONTROL,
                )
            setting(cv2.CAP_PROP_WB_TEMPERATURE, c.white_balance, Capability.WHITE_BALANCE_CONTROL)
        self._capabilities = frozenset(caps)

    def _run(self, capture: Any, stop: threading.Event) -> None:
        try:
            self._capture_loop(capture, stop)
        except Exception:  # the thread ends, but never silently: health says ERROR
            log.exception(
                "camera capture thread failed",
                extra={"device_id": self.device_id, "code": "capture_failed"},
            )
            with self._cond:
                if not stop.is_set():
                    self._failed, self._connected = True, False
                    self._cond.notify_all()

    def _capture_loop(self, capture: Any, stop: threading.Event) -> None:
        backoff = Backoff(params.BACKOFF_INITIAL_S, params.BACKOFF_MAX_S, params.BACKOFF_FACTOR)
        period = self._frame_period(capture)
        failures = 0
        last_good = time.monotonic()
        next_due = time.monotonic()
        try:
            while not stop.is_set():
                if capture is None:
                    capture, period = self._reconnect(backoff, stop)
                    last_good = next_due = time.monotonic()
                    failures = 0
                    continue
                if period:
                    wait = next_due - time.monotonic()
                    if wait > 0 and stop.wait(wait):
                        break
                    next_due = max(next_due + period, time.monotonic())
                self._apply_pending(capture)
                ok, raw = capture.read()
                stamp = time.monotonic()
                if ok:
                    failures = 0
                    last_good = stamp
                    self._publish(as_image(raw), stamp, stop)
                    continue
                failures += 1
                if self._spec.kind == "file":  # end of file (or the file became unreadable)
                    capture.release()
                    capture = None
                    if not self._loop:
                        with self._cond:
                            if not stop.is_set():
                                self._ended = True
                                self._cond.notify_all()
                        return
                    backoff.reset()  # loop: reopen now (fails if the file is gone)
                    continue
                if (
                    failures >= params.CAMERA_MAX_FAILED_READS
                    or stamp - last_good > params.CAMERA_STALL_S
                ):
                    capture.release()
                    capture = None
                    self._lost("no frames", stop)
                else:
                    stop.wait(0.01)
        finally:
            if capture is not None:
                capture.release()

    def _reconnect(self, backoff: Backoff, stop: threading.Event) -> tuple[Any, float]:
        try:
            capture = self._connect()
        except SourceLostError as exc:
            self._lost(exc.message, stop)
            stop.wait(backoff.next_delay())
            return None, 0.0
        if backoff.attempts:
            log.info(
                "camera source back",
                extra={"device_id": self.device_id, "attempt": backoff.attempts},
            )
        backoff.reset()
        with self._cond:
            if not stop.is_set():
                self._connected, self._last_error = True, ""
                self._cond.notify_all()
        return capture, self._frame_period(capture)

    def _frame_period(self, capture: Any) -> float:
        """Files are paced at their frame rate (like a live camera); live sources pace themselves."""
        if self._spec.kind != "file" or not self._pace:
            return 0.0
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        return 1.0 / fps if 0 < fps <= 240 else 1.0 / 25

    def _lost(self, reason: str, stop: threading.Event) -> None:
        with self._cond:
            if stop.is_set():
                return
            if self._connected:
                log.warning("camera source lost", extra={"device_id": self.device_id})
            self._connected, self._last_error = False, reason
            self._returned = self._index  # frames of the lost session are not handed out
            self._cond.notify_all()

    def _publish(self, image: Image | None, stamp: float, stop: threading.Event) -> None:
        with self._cond:
            if stop.is_set():
                return  # a thread of a closed session: its frames are not handed out
            if image is None:
                self._bad += 1
            else:
                if self._index and stamp > self._frame_at:
                    instant = 1.0 / (stamp - self._frame_at)
                    self._fps_measured = (
                        0.9 * self._fps_measured + 0.1 * instant if self._fps_measured else instant
                    )
                self._frame, self._frame_at = image, stamp
                self._index += 1
            self._cond.notify_all()


def _flag(value: bool | None) -> float | None:
    return None if value is None else (1.0 if value else 0.0)

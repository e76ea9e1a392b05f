"""Virtual camera: frames from an image folder or a looping video file, scripted."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from devices import params
from devices.base import Capability, Frame, Health, Image, Retry, RetryReason
from devices.errors import SourceLostError
from devices.imaging import exposure_retry
from devices.lifecycle import now
from devices.virtual.script import StepKind
from devices.virtual.scripted import Deadline, ScriptedDevice
from devices.virtual.sources import ImageFolder, LoopingVideo, open_source
from models.errors import DeviceTimeoutError, DeviceUnavailableError
from models.operations import DeviceKind, DeviceState

FOCUS_RANGE = (0.0, 100.0)


class VirtualCamera(ScriptedDevice):
    kind = DeviceKind.CAMERA
    backend = "virtual-camera"

    def __init__(
        self,
        device_id: str,
        *,
        source: Path,
        fps: float = 15.0,
        script: list[str] | tuple[str, ...] = (),
        loop_script: bool = True,
        exposure_check: bool = True,
        min_brightness: float = params.BRIGHTNESS_MIN,
        max_brightness: float = params.BRIGHTNESS_MAX,
        lens_focus: float | None = None,
        blur_per_unit: float = 0.08,
        focus: float | None = None,
    ) -> None:
        super().__init__(device_id, script=script, loop_script=loop_script)
        self._path = source
        self._fps = fps
        self._exposure_check = exposure_check
        self._limits = (min_brightness, max_brightness)
        self._source: ImageFolder | LoopingVideo | None = None
        self._index = 0
        self._last_at = 0.0
        # A simulated lens: with ``lens_focus`` set, the camera has manual focus over
        # FOCUS_RANGE and frames are blurred by |focus - lens_focus| x blur_per_unit
        # (Gaussian sigma, px): what a focus sweep in calibration is tested against.
        self._lens_focus = lens_focus
        self._blur_per_unit = blur_per_unit
        self._focus = FOCUS_RANGE[0] if focus is None else focus
        caps = {Capability.FRAME_RATE_CONTROL}
        if lens_focus is not None:
            caps.add(Capability.FOCUS_CONTROL)
        self._capabilities = frozenset(caps)
        self._driver = "virtual"

    def _open(self) -> None:
        super()._open()
        source = open_source(self._path)
        try:
            source.check()
        except SourceLostError as exc:
            raise SourceLostError(str(exc), device_id=self.device_id) from exc
        self._source = source
        self._model = source.describe()

    def _close(self) -> None:
        super()._close()
        if self._source is not None:
            self._source.close()
            self._source = None

    def _health(self) -> Health:
        base = super()._health()
        if base.state is not DeviceState.READY or self._source is None:
            return base
        try:
            self._source.check()
        except SourceLostError:
            return Health(DeviceState.ABSENT, now(), "source_lost")
        return Health(DeviceState.READY, now(), "virtual", {"frames": float(self._index)})

    def focus_range(self) -> tuple[float, float]:
        return FOCUS_RANGE

    def set_focus(self, value: float) -> None:
        if self._lens_focus is None:
            raise DeviceUnavailableError(
                f"camera {self.device_id} has no focus control", device_id=self.device_id
            )
        self._focus = min(max(value, FOCUS_RANGE[0]), FOCUS_RANGE[1])

    def _defocus(self, image: Image) -> Image:
        if self._lens_focus is None:
            return image
        sigma = abs(self._focus - self._lens_focus) * self._blur_per_unit
        if sigma < 0.05:
            return image
        return np.asarray(cv2.GaussianBlur(image, (0, 0), sigma), dtype=np.uint8)

    def read(self, timeout_s: float = 1.0) -> Frame | Retry:
        with self._operation():
            deadline = time.monotonic() + timeout_s
            try:
                step = self._next_terminal(deadline)
            except Deadline:
                raise DeviceTimeoutError(
                    f"camera {self.device_id}: no frame within {timeout_s:.1f} s",
                    device_id=self.device_id,
                    timeout_s=timeout_s,
                ) from None
            if step.kind is StepKind.RETRY and step.reason is not None:
                return Retry(step.reason, "scripted")
            return self._sample(deadline, timeout_s)

    def _sample(self, deadline: float, timeout_s: float) -> Frame | Retry:
        source = self._source
        if source is None:
            self._require_open()
            raise SourceLostError(f"camera {self.device_id} has no source")
        # pace like a real camera: one frame per 1/fps
        wait = self._last_at + 1.0 / self._fps - time.monotonic()
        if wait > deadline - time.monotonic():
            raise DeviceTimeoutError(
                f"camera {self.device_id}: no frame within {timeout_s:.1f} s",
                device_id=self.device_id,
                timeout_s=timeout_s,
            )
        self._wait(wait)
        try:
            image = source.next()
        except SourceLostError as exc:
            raise SourceLostError(str(exc), device_id=self.device_id) from exc
        self._last_at = time.monotonic()
        if image is None:
            return Retry(RetryReason.NO_FRAME, "corrupt frame")
        image = self._defocus(image)
        if self._exposure_check:
            retry = exposure_retry(image, minimum=self._limits[0], maximum=self._limits[1])
            if retry is not None:
                return retry
        self._index += 1
        return Frame(image=image, timestamp=self._last_at, index=self._index)

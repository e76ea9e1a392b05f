"""Virtual fingerprint scanner: grey images from a folder, scripted."""

from __future__ import annotations

import time
from pathlib import Path

from devices import params
from devices.base import Capability, FingerprintImage, Health, Retry, RetryReason
from devices.errors import SourceLostError
from devices.lifecycle import now
from devices.virtual.script import StepKind
from devices.virtual.scripted import Deadline, ScriptedDevice
from devices.virtual.sources import ImageFolder
from models.biometric import FingerPosition
from models.operations import DeviceKind, DeviceState


class VirtualFingerprintScanner(ScriptedDevice):
    kind = DeviceKind.FINGERPRINT
    backend = "virtual-fingerprint"

    def __init__(
        self,
        device_id: str,
        *,
        source: Path,
        ppi: int = params.FINGERPRINT_DEFAULT_PPI,
        capture_s: float = 0.05,
        script: list[str] | tuple[str, ...] = (),
        loop_script: bool = True,
    ) -> None:
        super().__init__(device_id, script=script, loop_script=loop_script)
        self._folder = ImageFolder(source, grey=True)
        self._ppi = ppi
        self._capture_s = capture_s
        self._captures = 0
        self._capabilities = frozenset({Capability.IMAGE_CAPTURE, Capability.FINGER_DETECTION})
        self._driver = "virtual"
        self._model = self._folder.describe()

    def _open(self) -> None:
        super()._open()
        try:
            self._folder.check()
        except SourceLostError as exc:
            raise SourceLostError(str(exc), device_id=self.device_id) from exc

    def _health(self) -> Health:
        base = super()._health()
        if base.state is not DeviceState.READY:
            return base
        try:
            self._folder.check()
        except SourceLostError:
            return Health(DeviceState.ABSENT, now(), "source_lost")
        return Health(DeviceState.READY, now(), "virtual", {"captures": float(self._captures)})

    def finger_present(self) -> bool:
        return self._finger

    def capture(
        self, position: FingerPosition = FingerPosition.UNKNOWN, timeout_s: float = 15.0
    ) -> FingerprintImage | Retry:
        with self._operation():
            deadline = time.monotonic() + timeout_s
            try:
                step = self._next_terminal(deadline)
            except Deadline:
                return Retry(RetryReason.TIMEOUT, "no finger within the timeout")
            if step.kind is StepKind.RETRY and step.reason is not None:
                return Retry(step.reason, "scripted")
            self._finger = True
            try:
                self._wait(min(self._capture_s, max(deadline - time.monotonic(), 0.0)))
                image = self._folder.next()
            except SourceLostError as exc:
                raise SourceLostError(str(exc), device_id=self.device_id) from exc
            finally:
                self._finger = False
            if image is None:
                return Retry(RetryReason.POOR_SAMPLE, "unreadable image")
            self._captures += 1
            return FingerprintImage(
                image=image, ppi=self._ppi, position=position, timestamp=time.monotonic()
            )

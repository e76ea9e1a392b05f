"""Virtual fingerprint scanner: grey images from a folder, scripted.

With ``slap=True`` it is a slap scanner (``Capability.SLAP_CAPTURE``): a capture
at a slap position (13 right four, 14 left four, 15 two thumbs) composes a slap
from the next four (two) images of the folder, side by side on a white platen
in the order the slap shows them (left to right), the outer fingers a little
lower, each with a lower phalanx (the lower part of the same image, mirrored) below a
crease gap: so that the counter's slap flow can be run end to end.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from devices import params
from devices.base import Capability, FingerprintImage, Health, Image, Retry, RetryReason
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
        slap: bool = False,
    ) -> None:
        super().__init__(device_id, script=script, loop_script=loop_script)
        self._folder = ImageFolder(source, grey=True)
        self._ppi = ppi
        self._capture_s = capture_s
        self._captures = 0
        capabilities = {Capability.IMAGE_CAPTURE, Capability.FINGER_DETECTION}
        if slap:
            capabilities.add(Capability.SLAP_CAPTURE)
        self._slap = slap
        self._capabilities = frozenset(capabilities)
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
                fingers = SLAP_FINGERS.get(int(position), 1) if self._slap else 1
                images = [self._folder.next() for _ in range(fingers)]
            except SourceLostError as exc:
                raise SourceLostError(str(exc), device_id=self.device_id) from exc
            finally:
                self._finger = False
            read = [i for i in images if i is not None]
            if len(read) < len(images):
                return Retry(RetryReason.POOR_SAMPLE, "unreadable image")
            image = read[0] if len(read) == 1 else compose_slap(read)
            self._captures += 1
            return FingerprintImage(
                image=image, ppi=self._ppi, position=position, timestamp=time.monotonic()
            )


SLAP_FINGERS = {13: 4, 14: 4, 15: 2}  # slap position -> fingers in the image
_PLATEN_GAP = 60  # px between fingers
_CREASE = 30  # px of white between a fingertip and its lower phalanx
_DROP = (40, 0, 10, 90)  # px each finger sits lower, left to right (index/middle high)


def compose_slap(images: list[Image]) -> Image:
    """Fingertip images side by side on a white platen, each with a lower phalanx."""
    tips = [np.asarray(i, np.uint8) for i in images]
    drops = _DROP if len(tips) == 4 else (0,) * len(tips)
    height = max(t.shape[0] for t in tips)
    phalanx = height // 2
    width = sum(t.shape[1] for t in tips) + _PLATEN_GAP * (len(tips) + 1)
    canvas = np.full((max(drops) + height + _CREASE + phalanx + 40, width), 255, np.uint8)
    x = _PLATEN_GAP
    for tip, drop in zip(tips, drops, strict=True):
        h, w = tip.shape[:2]
        y = 20 + drop
        canvas[y : y + h, x : x + w] = np.minimum(canvas[y : y + h, x : x + w], tip)
        lower = np.flipud(tip[h - phalanx :, :])  # not the tip's own ridges
        y2 = y + h + _CREASE
        region = canvas[y2 : y2 + lower.shape[0], x : x + w]
        np.minimum(region, lower[: region.shape[0]], out=region)
        x += w + _PLATEN_GAP
    return canvas

"""The counter's devices for an officer's enrollment (Qt-free): picked from the settings by
kind, as the kiosk picks them, opened on first use and closed with the officer window.

Each capture runs on the caller's worker thread; a device the settings do not
configure is a :class:`~models.errors.NotAvailableError` naming it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from devices.base import (
    Camera,
    Capability,
    CardReader,
    Device,
    DocumentScanner,
    FingerprintScanner,
)
from devices.epassport.trust import TrustStore
from enrollment.capture import (
    Cancelled,
    CapturedFace,
    Missed,
    PassportRead,
    ScannedFinger,
    ScannedSlap,
    Status,
    capture_face,
    read_passport,
    scan_finger,
    scan_slap,
)
from models.biometric import FingerPosition
from models.errors import ConfigError, NotAvailableError
from models.operations import DeviceKind
from models.settings import Settings

if TYPE_CHECKING:
    from biometrics.face.models import FaceModels


@dataclass(frozen=True, slots=True)
class Timeouts:
    passport_s: float = 60.0
    face_s: float = 20.0
    finger_s: float = 15.0
    poll_s: float = 1.0


class CounterDevices:
    """The document scanner, card reader, camera and fingerprint scanner of the counter
    (any of them may be absent), the CSCA trust store and the face models (both loaded on
    first use)."""

    def __init__(
        self,
        devices: dict[DeviceKind, Device],
        trust: Callable[[], TrustStore],
        face_models: Callable[[], FaceModels],
        *,
        face_lock: threading.Lock | None = None,
        timeouts: Timeouts = Timeouts(),
    ) -> None:
        self.devices = devices
        self._trust_loader = trust
        self._trust: TrustStore | None = None
        self._face_models = face_models
        self.face_lock = face_lock or threading.Lock()
        self.timeouts = timeouts
        self._opened: list[Device] = []
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        base_dir: Path,
        trust: Callable[[], TrustStore],
        face_models: Callable[[], FaceModels],
        *,
        face_lock: threading.Lock | None = None,
    ) -> CounterDevices:
        """The first enabled device of each kind; the chip reader is ``document_reader_id``'s."""
        from devices.factory import build_devices, document_reader_id

        try:
            reader_id: str | None = document_reader_id(settings)
        except ConfigError:
            reader_id = None
        chosen: dict[DeviceKind, Device] = {}
        for config, device in build_devices(settings, base_dir):
            if config.kind is DeviceKind.GATE or config.kind in chosen:
                continue
            if config.kind is DeviceKind.CARD_READER and config.id != reader_id:
                continue
            chosen[config.kind] = device
        step = settings.kiosk.step_timeout_s
        timeouts = Timeouts(passport_s=step, face_s=min(step, 30.0), finger_s=min(step, 30.0))
        return cls(chosen, trust, face_models, face_lock=face_lock, timeouts=timeouts)

    def has(self, kind: DeviceKind) -> bool:
        return kind in self.devices

    def _device(self, kind: DeviceKind) -> Device:
        device = self.devices.get(kind)
        if device is None:
            raise NotAvailableError(
                f"no {kind.value} configured for this counter: add an enabled "
                f"[[devices.device]] of kind {kind.value!r}"
            )
        with self._lock:
            if device not in self._opened:
                device.open()
                self._opened.append(device)
        return device

    def trust(self) -> TrustStore:
        if self._trust is None:
            self._trust = self._trust_loader()
        return self._trust

    def read_passport(self, cancelled: Cancelled, status: Status) -> PassportRead | Missed:
        scanner = cast("DocumentScanner", self._device(DeviceKind.DOCUMENT_SCANNER))
        reader = cast("CardReader", self._device(DeviceKind.CARD_READER))
        return read_passport(
            scanner,
            reader,
            self.trust(),
            timeout_s=self.timeouts.passport_s,
            poll_s=self.timeouts.poll_s,
            cancelled=cancelled,
            status=status,
        )

    def capture_face(self, cancelled: Cancelled, status: Status) -> CapturedFace | Missed:
        camera = cast("Camera", self._device(DeviceKind.CAMERA))
        status("loading_models")
        models = self._face_models()
        return capture_face(
            camera,
            models,
            timeout_s=self.timeouts.face_s,
            cancelled=cancelled,
            status=status,
            lock=self.face_lock,
        )

    def scan_finger(
        self, position: FingerPosition, cancelled: Cancelled, status: Status
    ) -> ScannedFinger | Missed:
        scanner = cast("FingerprintScanner", self._device(DeviceKind.FINGERPRINT))
        return scan_finger(
            scanner,
            position,
            timeout_s=self.timeouts.finger_s,
            poll_s=self.timeouts.poll_s,
            cancelled=cancelled,
            status=status,
        )

    def slap_capable(self) -> bool:
        """The fingerprint scanner takes slaps (``Capability.SLAP_CAPTURE``): the
        enrollment then captures left four, right four and the two thumbs."""
        if not self.has(DeviceKind.FINGERPRINT):
            return False
        device = self._device(DeviceKind.FINGERPRINT)
        return Capability.SLAP_CAPTURE in device.capabilities

    def scan_slap(
        self, position: FingerPosition, cancelled: Cancelled, status: Status
    ) -> ScannedSlap | Missed:
        if not self.slap_capable():
            raise NotAvailableError(
                "this counter's fingerprint scanner does not take slaps: scan single fingers"
            )
        scanner = cast("FingerprintScanner", self._device(DeviceKind.FINGERPRINT))
        return scan_slap(
            scanner,
            position,
            timeout_s=self.timeouts.finger_s,
            poll_s=self.timeouts.poll_s,
            cancelled=cancelled,
            status=status,
        )

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for device in reversed(opened):
            device.close()

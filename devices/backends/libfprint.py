"""Fingerprint scanners through libfprint 2 (GObject introspection, the ``fprint`` extra).

Every libfprint call runs on the scanner's own worker thread: the sync API
iterates GLib's default main context, and the device's signals (finger on/off,
removal) are delivered there too. The caller waits at most its timeout; a
capture that times out is cancelled, and what happened decides the outcome:

* the device was waiting for a finger and none came → ``Retry(TIMEOUT)``;
* a finger is on the sensor but no image came, or the device never got ready →
  ``DeviceTimeoutError`` (the device did not answer);
* the cancellation itself is not confirmed within a grace period → the worker
  is marked stuck, ``health()`` says ERROR, and the manager reopens the device.

libfprint's retry codes become ``Retry`` results, its errors
``DeviceError`` subclasses. ``gi`` is imported when the scanner opens, so the
rest of the project installs and imports without PyGObject.

Tested against libfprint's ``virtual_image`` driver (``FP_VIRTUAL_IMAGE``),
a real image driver fed over a socket: see ``devices.virtual.fprint_feeder``.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import numpy as np

from devices import params
from devices.base import Capability, FingerprintImage, Health, Retry, RetryReason
from devices.errors import VirtualDeviceRefusedError
from devices.lifecycle import DeviceBase, now
from devices.worker import Worker
from models.biometric import FingerPosition
from models.errors import DeviceError, DeviceTimeoutError, DeviceUnavailableError
from models.operations import DeviceKind, DeviceState

log = logging.getLogger(__name__)

FINGER_NEEDED = 1  # FpFingerStatusFlags
FINGER_PRESENT = 2

# FpDeviceRetry -> our reasons
RETRY_REASONS = {
    0: RetryReason.POOR_SAMPLE,  # GENERAL (e.g. no minutiae found)
    1: RetryReason.FINGER_MOVED,  # TOO_SHORT (swipe too short)
    2: RetryReason.CENTRE_FINGER,  # CENTER_FINGER
    3: RetryReason.REMOVE_FINGER,  # REMOVE_FINGER
}
ERROR_REMOVED = 256  # FpDeviceError
ERROR_BUSY = 4
ERROR_NOT_OPEN = 2
ERROR_TOO_HOT = 257
IO_ERROR_CANCELLED = 19  # G_IO_ERROR_CANCELLED
VIRTUAL_DRIVER_PREFIX = "virtual_"  # libfprint test drivers: virtual_image, virtual_device, ...


def load_fprint() -> tuple[Any, Any, Any]:
    """(FPrint, GLib, Gio) modules; DeviceUnavailableError when libfprint is not installed."""
    try:
        import gi

        gi.require_version("FPrint", "2.0")
        from gi.repository import FPrint, Gio, GLib
    except (ImportError, ValueError) as exc:
        raise DeviceUnavailableError(
            "libfprint is not available: install the fprint extra (PyGObject) and "
            "the libfprint-2-2 and gir1.2-fprint-2.0 packages"
        ) from exc
    return FPrint, GLib, Gio


class _Cancelled(Exception):  # noqa: N818 - internal: the capture was cancelled by us
    pass


class LibfprintScanner(DeviceBase):
    kind = DeviceKind.FINGERPRINT
    backend = "libfprint"

    def __init__(
        self,
        device_id: str,
        *,
        driver: str | None = None,
        index: int = 0,
        ppi: int | None = None,
        open_timeout_s: float = params.FPRINT_OPEN_TIMEOUT_S,
        allow_virtual: bool = False,
    ) -> None:
        super().__init__(device_id)
        self._want_driver = driver
        self._index = index
        self._ppi_option = ppi
        self._open_timeout_s = open_timeout_s
        self._allow_virtual = allow_virtual
        self._worker = Worker(f"libfprint-{device_id}", device_id)
        self._fp: Any = None
        self._glib: Any = None
        self._gio: Any = None
        self._context: Any = None
        self._device: Any = None
        self._finger_status = 0
        self._needed_seen = False
        self._present_seen = False
        self._removed = threading.Event()
        self._is_virtual_driver = False
        self._captures = 0

    # ---------------------------------------------------------------- public
    def _virtual_instance(self) -> bool:
        return self._is_virtual_driver

    def finger_present(self) -> bool:
        return bool(self._finger_status & FINGER_PRESENT)

    @property
    def waiting_for_finger(self) -> bool:
        """A capture is running and the scanner waits for a finger (libfprint's NEEDED)."""
        return bool(self._finger_status & FINGER_NEEDED)

    def capture(
        self, position: FingerPosition = FingerPosition.UNKNOWN, timeout_s: float = 15.0
    ) -> FingerprintImage | Retry:
        with self._operation():
            if self._removed.is_set():
                raise DeviceUnavailableError(
                    f"fingerprint scanner {self.device_id} was removed", device_id=self.device_id
                )
            cancellable = self._gio.Cancellable()
            self._needed_seen = self._present_seen = False
            future = self._worker.submit(lambda: self._capture_sync(cancellable))
            try:
                raw = future.result(timeout=timeout_s)
            except FutureTimeout:
                self._cancel(cancellable)
                try:
                    raw = future.result(timeout=params.FPRINT_CANCEL_GRACE_S)
                except FutureTimeout:
                    self._worker.mark_stuck(future)  # health says ERROR; the manager reopens
                    log.warning(
                        "fingerprint capture ignores cancellation",
                        extra={"device_id": self.device_id, "code": "driver_stuck"},
                    )
                    raise DeviceTimeoutError(
                        f"fingerprint scanner {self.device_id} did not answer and ignores "
                        "cancellation",
                        device_id=self.device_id,
                        timeout_s=timeout_s,
                    ) from None
                except _Cancelled:
                    return self._timed_out(timeout_s)
            except _Cancelled:  # cancelled by close()
                raise DeviceUnavailableError(
                    f"fingerprint scanner {self.device_id} was closed", device_id=self.device_id
                ) from None
            if isinstance(raw, Retry):
                return raw
            image, ppmm = raw
            self._captures += 1
            ppi = self._ppi_option or (
                round(ppmm * 25.4) if ppmm > 0 else params.FINGERPRINT_DEFAULT_PPI
            )
            return FingerprintImage(
                image=image, ppi=ppi, position=position, timestamp=time.monotonic()
            )

    # ---------------------------------------------------------------- lifecycle
    def _open(self) -> None:
        self._fp, self._glib, self._gio = load_fprint()
        self._removed.clear()
        self._worker.start()
        try:
            self._worker.call(self._open_sync, self._open_timeout_s, "opening the scanner")
        except DeviceError:
            self._worker.stop()
            raise

    def _close(self) -> None:
        if not self._worker.stuck:
            try:
                self._worker.call(self._close_sync, 5.0, "closing the scanner")
            except DeviceError as exc:
                log.warning(
                    "fingerprint scanner did not close cleanly",
                    extra={"device_id": self.device_id, "code": exc.code},
                )
        self._worker.stop()
        self._device = None
        self._context = None

    def _health(self) -> Health:
        figures = {"captures": float(self._captures)}
        if self._worker.stuck:
            return Health(DeviceState.ERROR, now(), "driver_stuck", figures)
        if self._removed.is_set():
            return Health(DeviceState.ABSENT, now(), "removed", figures)
        return Health(DeviceState.READY, now(), self._driver, figures)

    # ---------------------------------------------------------------- worker thread
    def _open_sync(self) -> None:
        fp = self._fp
        context = fp.Context()
        context.enumerate()
        devices = [
            d
            for d in context.get_devices()
            if self._want_driver is None or d.get_driver() == self._want_driver
        ]
        if len(devices) <= self._index:
            raise DeviceUnavailableError(
                f"no libfprint device {self._want_driver or 'of any driver'} #{self._index}",
                device_id=self.device_id,
            )
        device = devices[self._index]
        virtual = str(device.get_driver()).startswith(VIRTUAL_DRIVER_PREFIX)
        if virtual and not self._allow_virtual:
            raise VirtualDeviceRefusedError(
                f"libfprint device {device.get_driver()} is virtual; refused outside development "
                "mode",
                key="kiosk.mode",
            )
        try:
            device.open_sync(None)
        except self._glib.Error as exc:
            raise self._translate(exc, "opening the scanner") from exc
        device.connect("notify::finger-status", self._on_finger_status)
        device.connect("notify::removed", self._on_removed)
        self._context, self._device = context, device
        self._is_virtual_driver = virtual
        self._driver = str(device.get_driver())
        self._model = str(device.get_name())
        caps = set()
        if device.has_feature(fp.DeviceFeature.CAPTURE):
            caps.add(Capability.IMAGE_CAPTURE)
        if isinstance(device, fp.ImageDevice):  # image drivers report finger on/off
            caps.add(Capability.FINGER_DETECTION)
        self._capabilities = frozenset(caps)

    def _close_sync(self) -> None:
        device = self._device
        if device is not None and device.is_open():
            try:
                device.close_sync(None)
            except self._glib.Error as exc:
                raise self._translate(exc, "closing the scanner") from exc

    def _capture_sync(self, cancellable: Any) -> tuple[np.ndarray[Any, Any], float] | Retry:
        device = self._device
        if device is None:
            raise DeviceUnavailableError("scanner not open", device_id=self.device_id)
        try:
            image = device.capture_sync(True, cancellable)
        except self._glib.Error as exc:
            if exc.matches(self._gio.io_error_quark(), IO_ERROR_CANCELLED):
                raise _Cancelled from exc
            if exc.domain == self._glib.quark_to_string(self._fp.device_retry_quark()):
                return Retry(RETRY_REASONS.get(exc.code, RetryReason.POOR_SAMPLE), "scanner")
            raise self._translate(exc, "capture") from exc
        width, height = image.get_width(), image.get_height()
        data = np.frombuffer(image.get_data(), np.uint8)
        if width <= 0 or height <= 0 or data.size != width * height:
            raise DeviceError(
                f"scanner returned a malformed image ({width}x{height}, {data.size} bytes)",
                device_id=self.device_id,
            )
        return data.reshape(height, width).copy(), float(image.get_ppmm())

    def _on_finger_status(self, device: Any, _param: Any) -> None:
        status = int(device.get_finger_status())
        self._finger_status = status
        if status & FINGER_NEEDED:
            self._needed_seen = True
        if status & FINGER_PRESENT:
            self._present_seen = True
        self._finger_changed(status)

    def _on_removed(self, device: Any, _param: Any) -> None:
        if device.get_property("removed"):
            self._removed.set()

    def _finger_changed(self, status: int) -> None:
        """Hook for subclasses (the virtual-image feeder); runs on the worker thread."""

    # ---------------------------------------------------------------- helpers
    def _cancel(self, cancellable: Any) -> None:
        """Cancel on the worker thread, inside its main-context iteration (GLib's way)."""

        def cancel() -> bool:
            cancellable.cancel()
            return False  # run once

        self._glib.idle_add(cancel)

    def _timed_out(self, timeout_s: float) -> Retry:
        if self._present_seen:
            raise DeviceTimeoutError(
                f"fingerprint scanner {self.device_id}: finger on the sensor but no image "
                f"within {timeout_s:.1f} s",
                device_id=self.device_id,
                timeout_s=timeout_s,
            )
        if not self._needed_seen:
            raise DeviceTimeoutError(
                f"fingerprint scanner {self.device_id} did not get ready within {timeout_s:.1f} s",
                device_id=self.device_id,
                timeout_s=timeout_s,
            )
        return Retry(RetryReason.TIMEOUT, "no finger within the timeout")

    def _translate(self, exc: Any, what: str) -> DeviceError:
        text = f"{what}: {exc.message}"
        if exc.domain == self._glib.quark_to_string(self._fp.device_error_quark()):
            if exc.code == ERROR_REMOVED:
                self._removed.set()
                return DeviceUnavailableError(f"scanner removed; {text}", device_id=self.device_id)
            if exc.code in (ERROR_BUSY, ERROR_NOT_OPEN, ERROR_TOO_HOT):
                return DeviceUnavailableError(text, device_id=self.device_id)
        return DeviceError(text, device_id=self.device_id)

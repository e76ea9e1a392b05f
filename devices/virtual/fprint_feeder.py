"""Client of libfprint's ``virtual_image`` driver: feeds it images and events over its socket.

libfprint ships a virtual *image* driver for testing (``drivers/virtual-image.c``):
when the environment variable ``FP_VIRTUAL_IMAGE`` names a socket path, the
driver appears as a device, and when opened it listens on a Unix socket at that
path. A client sends messages of two native-endian 32-bit integers ``(a, b)``:

* ``a, b >= 0``: an image of width ``a`` and height ``b``; ``a*b`` bytes of 8-bit
  grey follow (ridges dark). With automatic finger detection (the default on
  every new connection) the driver reports finger on, the image, finger off;
* ``-1, code``: a retry (``FpDeviceRetry``: 0 general, 1 too short,
  2 centre finger, 3 remove finger);
* ``-2, code``: a fatal error (``FpDeviceError``);
* ``-3, 0|1``: automatic finger detection off/on;
* ``-4, 0|1``: report finger off/on;
* ``-5, 0``: the device disappears (as if unplugged).

Images are only read while a capture is running; the driver then runs its
minutiae detector (NBIS) and answers "retry" when it finds none, so images
must look like fingerprints (see ``devices.virtual.media.fingerprint``).
"""

from __future__ import annotations

import socket
import struct
import time
from pathlib import Path

from devices.base import Image
from models.errors import DeviceUnavailableError

CMD_RETRY = -1
CMD_ERROR = -2
CMD_AUTO_FINGER = -3
CMD_FINGER = -4
CMD_REMOVE = -5
MAX_SIDE = 5000  # the driver disconnects larger images

RETRY_GENERAL = 0
RETRY_TOO_SHORT = 1
RETRY_CENTER_FINGER = 2
RETRY_REMOVE_FINGER = 3
ERROR_GENERAL = 0
ERROR_PROTO = 5
ERROR_REMOVED = 256


class VirtualImageFeeder:
    def __init__(self, socket_path: Path) -> None:
        self.socket_path = socket_path
        self._sock: socket.socket | None = None

    @property
    def connected(self) -> bool:
        return self._sock is not None

    def connect(self, timeout_s: float = 5.0) -> None:
        """Connect to the driver's socket (it exists once the device is open)."""
        deadline = time.monotonic() + timeout_s
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(str(self.socket_path))
            except OSError as exc:
                sock.close()
                if time.monotonic() >= deadline:
                    raise DeviceUnavailableError(
                        f"libfprint virtual_image socket {self.socket_path} does not accept "
                        f"connections ({exc})"
                    ) from exc
                time.sleep(0.05)
                continue
            self._sock = sock
            return

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def _send(self, payload: bytes) -> None:
        if self._sock is None:
            raise DeviceUnavailableError("virtual_image feeder is not connected")
        try:
            self._sock.sendall(payload)
        except OSError as exc:
            self.close()
            raise DeviceUnavailableError(f"virtual_image socket closed ({exc})") from exc

    def command(self, code: int, value: int) -> None:
        self._send(struct.pack("=ii", code, value))

    def send_image(self, image: Image) -> None:
        if image.ndim != 2:
            raise ValueError("virtual_image takes 8-bit grey images")
        height, width = image.shape
        if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
            raise ValueError(f"image {width}x{height} outside what virtual_image accepts")
        self._send(struct.pack("=ii", width, height) + image.tobytes())

    def retry(self, code: int = RETRY_GENERAL) -> None:
        self.command(CMD_RETRY, code)

    def error(self, code: int = ERROR_GENERAL) -> None:
        self.command(CMD_ERROR, code)

    def automatic_finger(self, on: bool) -> None:
        self.command(CMD_AUTO_FINGER, int(on))

    def finger(self, on: bool) -> None:
        self.command(CMD_FINGER, int(on))

    def remove_device(self) -> None:
        self.command(CMD_REMOVE, 0)

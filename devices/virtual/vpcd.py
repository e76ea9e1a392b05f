"""The vpcd bridge: plays a :class:`devices.base.CardApplet` on vsmartcard's virtual reader.

Debian's ``vsmartcard-vpcd`` is a PC/SC reader driver loaded by pcscd. In its
default (server) configuration it listens on a TCP port (``DEVICENAME
/dev/null:0x8C7B`` in ``/etc/reader.conf.d/vpcd``: port 35963 for slot 0,
35964 for slot 1) for a *virtual ICC*. This module is that ICC: it connects,
and the reader sees a card. The protocol (vsmartcard's ``vpcd.c``): every
message is a 2-byte big-endian length followed by that many bytes; a 1-byte
message from the reader is a control code (0 power off, 1 power on, 2 reset,
4 "send your ATR"); anything longer is a command APDU, answered with the
response APDU. Closing the connection is pulling the card out.

When pcscd restarts, the connection drops; a bridge whose card is still
"inserted" connects again as soon as the new vpcd listens, like a card that
stayed on the reader.

Security note: vpcd listens on all interfaces. Production kiosks must not
have ``/etc/reader.conf.d/vpcd`` (see docs/devices.md).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time

from devices import params
from devices.base import CardApplet
from models.errors import CardRemovedError, DeviceUnavailableError, GerbangError

log = logging.getLogger(__name__)

CTRL_OFF = 0
CTRL_ON = 1
CTRL_RESET = 2
CTRL_ATR = 4

SW_NO_DIAGNOSIS = b"\x6f\x00"
_RECONNECT_S = 0.1


class _Closed(Exception):  # noqa: N818 - internal signal: the reader side closed
    pass


class VpcdBridge:
    """A virtual card on a vpcd slot. Owns one thread while the card is inserted."""

    def __init__(
        self,
        applet: CardApplet,
        *,
        port: int = params.VPCD_DEFAULT_PORT,
        host: str = "127.0.0.1",
        reconnect: bool = True,
    ) -> None:
        self.applet = applet
        self.host = host
        self.port = port
        self._reconnect = reconnect
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._connected = threading.Event()
        self.commands = 0
        self.pulled = False  # the applet pulled the card out (CardRemovedError)

    @property
    def inserted(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def insert(self, timeout_s: float = 5.0) -> None:
        """Put the card on the reader; returns when vpcd accepted the connection."""
        if self.inserted:
            return
        self._stop.clear()
        self._connected.clear()
        self.pulled = False
        sock = self._connect(time.monotonic() + timeout_s)
        self._thread = threading.Thread(
            target=self._serve, args=(sock,), name=f"vpcd-bridge-{self.port}", daemon=True
        )
        self._thread.start()

    def remove(self, join_s: float = 2.0) -> None:
        """Take the card away (closes the connection)."""
        self._stop.set()
        self._drop()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(join_s)
        self._thread = None

    close = remove

    def wait_connected(self, timeout_s: float) -> bool:
        return self._connected.wait(timeout_s)

    # ---------------------------------------------------------------- internals
    def _connect(self, deadline: float) -> socket.socket:
        last: OSError | None = None
        while True:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
            except OSError as exc:
                last = exc
                if time.monotonic() >= deadline or self._stop.wait(_RECONNECT_S):
                    raise DeviceUnavailableError(
                        f"vpcd does not listen on {self.host}:{self.port} ({last})"
                    ) from exc
                continue
            sock.settimeout(0.25)
            with self._lock:
                self._sock = sock
            self._connected.set()
            return sock

    def _drop(self) -> None:
        with self._lock:
            sock, self._sock = self._sock, None
        self._connected.clear()
        if sock is not None:
            with contextlib.suppress(OSError):  # already disconnected
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _recv_exact(self, sock: socket.socket, size: int) -> bytes:
        data = bytearray()
        while len(data) < size:
            if self._stop.is_set():
                raise _Closed
            try:
                chunk = sock.recv(size - len(data))
            except TimeoutError:
                continue
            except OSError as exc:
                raise _Closed from exc
            if not chunk:
                raise _Closed
            data += chunk
        return bytes(data)

    def _send(self, sock: socket.socket, payload: bytes) -> None:
        try:
            sock.sendall(len(payload).to_bytes(2, "big") + payload)
        except OSError as exc:
            raise _Closed from exc

    def _serve(self, sock: socket.socket) -> None:
        try:
            while not self._stop.is_set():
                with contextlib.suppress(_Closed):
                    self._serve_connection(sock)
                self._drop()
                if self._stop.is_set() or self.pulled or not self._reconnect:
                    return
                # the reader went away (pcscd restarted): the card stays inserted
                try:
                    sock = self._connect(float("inf"))
                except DeviceUnavailableError:
                    return  # stopped while waiting
        finally:
            self._drop()

    def _serve_connection(self, sock: socket.socket) -> None:
        while True:
            size = int.from_bytes(self._recv_exact(sock, 2), "big")
            message = self._recv_exact(sock, size) if size else b""
            if size == 1:
                self._control(sock, message[0])
                continue
            self.commands += 1
            try:
                response = self.applet.process(message)
            except CardRemovedError:
                self.pulled = True
                self._stop.set()
                raise _Closed from None
            except GerbangError as exc:  # the applet failed: a real card says 6F00
                log.warning("virtual card failed a command", extra={"code": exc.code})
                response = SW_NO_DIAGNOSIS
            self._send(sock, response)

    def _control(self, sock: socket.socket, code: int) -> None:
        if code == CTRL_ATR:
            self._send(sock, self.applet.atr())
        elif code in (CTRL_ON, CTRL_RESET):
            self.applet.reset()
        # CTRL_OFF and unknown codes need no answer

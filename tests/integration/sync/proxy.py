"""A loopback TCP proxy that injects faults into the kiosk <-> server HTTP traffic.

Requests are recognised by their first bytes (``POST /v1/push``, ``GET /v1/feed``)
on a connection; counters say how many of the next such requests to damage.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field

_ENCODING = re.compile(rb"(?im)^accept-encoding:[^\r\n]*")


@dataclass
class Faults:
    cut_push_requests: int = 0  # forward half the request, then cut: the server never commits
    drop_push_responses: int = 0  # forward the request, cut before the answer: committed, unseen
    cut_feed_responses: int = 0  # forward half of a feed answer, then cut
    force_identity: bool = False  # ask the server for uncompressed answers
    tamper: tuple[bytes, bytes] | None = None  # replace in answers (same length)
    done: Counter[str] = field(default_factory=Counter)


class FaultProxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.faults = Faults()
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True, name="fault-proxy").start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._closed.set()
        self._listener.close()

    def _take(self, name: str) -> bool:
        with self._lock:
            left = getattr(self.faults, name)
            if left > 0:
                setattr(self.faults, name, left - 1)
                self.faults.done[name] += 1
                return True
            return False

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()  # the server is down: the kiosk sees a dropped connection
                continue
            upstream.settimeout(None)
            state: dict[str, str] = {}
            threading.Thread(
                target=self._upward, args=(client, upstream, state), daemon=True
            ).start()
            threading.Thread(
                target=self._downward, args=(client, upstream, state), daemon=True
            ).start()

    @staticmethod
    def _close(*socks: socket.socket) -> None:
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _upward(
        self, client: socket.socket, upstream: socket.socket, state: dict[str, str]
    ) -> None:
        try:
            while data := client.recv(1 << 20):
                if data.startswith(b"POST /v1/push"):
                    if self._take("cut_push_requests"):
                        upstream.sendall(data[: len(data) // 2])
                        self._close(client, upstream)
                        return
                    state["answer"] = "drop" if self._take("drop_push_responses") else ""
                elif data.startswith(b"GET /v1/feed"):
                    state["answer"] = "cut" if self._take("cut_feed_responses") else ""
                if self.faults.force_identity:
                    data = _ENCODING.sub(b"Accept-Encoding: identity", data)
                upstream.sendall(data)
        except OSError:
            pass
        self._close(client, upstream)

    def _downward(
        self, client: socket.socket, upstream: socket.socket, state: dict[str, str]
    ) -> None:
        try:
            while data := upstream.recv(1 << 20):
                answer = state.pop("answer", "")
                if answer == "drop":
                    break
                if answer == "cut":
                    client.sendall(data[: len(data) // 2])
                    break
                if self.faults.tamper is not None and self.faults.tamper[0] in data:
                    data = data.replace(*self.faults.tamper)
                    self.faults.done["tamper"] += 1
                client.sendall(data)
        except OSError:
            pass
        self._close(client, upstream)

"""Software cards for the virtual readers (``devices.base.CardApplet``).

:class:`EchoApplet` is the test card of the device layer: it answers a few
ISO/IEC 7816-4-shaped commands so that a reader can be checked end to end
(ATR, short and extended APDUs, T=0 style GET RESPONSE and wrong-Le retries,
a slow card, a card pulled out in the middle of a command). The virtual
ePassport lives with the ePassport code and plugs into the same readers.

Applets are named in the settings file (``applet = "echo"``); :data:`APPLETS`
maps those names to ``module:Class`` of the project.
"""

from __future__ import annotations

import importlib
import inspect
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from devices.base import CardApplet
from models.errors import CardRemovedError, ConfigError

# Name -> "module:factory". A factory is called with the ``applet_options`` table.
APPLETS: dict[str, str] = {
    "echo": "devices.virtual.applets:EchoApplet",
    "epassport": "devices.epassport.emulator.applet:epassport_applet",
}

ECHO_AID = bytes.fromhex("F0474552424E4731")  # F0 + "GERBNG1": proprietary test AID

SW_OK = b"\x90\x00"
SW_WRONG_LENGTH = b"\x67\x00"
SW_FILE_NOT_FOUND = b"\x6a\x82"
SW_INS_NOT_SUPPORTED = b"\x6d\x00"
SW_CLA_NOT_SUPPORTED = b"\x6e\x00"
SW_CONDITIONS = b"\x69\x85"

INS_SELECT = 0xA4
INS_GET_RESPONSE = 0xC0
INS_ECHO = 0x10  # CLA 80: data back
INS_ECHO_T0 = 0x12  # CLA 80: 61xx, the data comes with GET RESPONSE
INS_ECHO_LE = 0x14  # CLA 80: 6Cxx unless Le equals the data length (P1 bytes)
INS_SLOW = 0x20  # CLA 80: answer after P1 tenths of a second
INS_PULL = 0x30  # CLA 80: the card leaves the field during this command


def build_atr(historical: bytes, *, t1: bool = True) -> bytes:
    """An ISO/IEC 7816-3 ATR offering T=0 (and T=1) with ``historical`` bytes and TCK."""
    if len(historical) > 15:
        raise ValueError("at most 15 historical bytes")
    if not t1:
        return bytes([0x3B, len(historical)]) + historical
    body = bytes([0x80 | len(historical), 0x80, 0x01]) + historical
    tck = 0
    for b in body:
        tck ^= b
    return b"\x3b" + body + bytes([tck])


def parse_command(apdu: bytes) -> tuple[bytes, bytes, int | None]:
    """Split a command APDU into header, data and Le (ISO/IEC 7816-4 cases 1-4, short/extended)."""
    if len(apdu) < 4:
        raise ValueError("APDU shorter than its header")
    header, body = apdu[:4], apdu[4:]
    if not body:
        return header, b"", None
    if len(body) == 1:
        return header, b"", body[0] or 256
    if body[0] != 0:  # short Lc
        lc = body[0]
        if len(body) == 1 + lc:
            return header, body[1:], None
        if len(body) == 2 + lc:
            return header, body[1 : 1 + lc], body[-1] or 256
        raise ValueError("short APDU length mismatch")
    if len(body) == 3:  # extended case 2
        return header, b"", int.from_bytes(body[1:3], "big") or 65536
    lc = int.from_bytes(body[1:3], "big")
    if len(body) == 3 + lc:
        return header, body[3:], None
    if len(body) == 5 + lc:
        return header, body[3 : 3 + lc], int.from_bytes(body[-2:], "big") or 65536
    raise ValueError("extended APDU length mismatch")


class EchoApplet:
    """The device layer's test card. Thread-safe; counts what it was asked.

    ``remove_after``: the card is pulled out while processing that many'th
    command (1-based) since the last reset, like INS_PULL on demand.
    """

    def __init__(
        self,
        *,
        atr: bytes | None = None,
        remove_after: int | None = None,
        delay_s: float = 0.0,
    ) -> None:
        self._atr = atr or build_atr(b"\x80\x73\x00\x00\x40GERBNG")
        self._remove_after = remove_after
        self._delay_s = delay_s
        self._lock = threading.Lock()
        self._pending = b""
        self._selected = False
        self.commands = 0
        self.resets = 0

    def atr(self) -> bytes:
        return self._atr

    def reset(self) -> None:
        with self._lock:
            self._pending = b""
            self._selected = False
            self.commands = 0
            self.resets += 1

    def process(self, apdu: bytes) -> bytes:
        with self._lock:
            self.commands += 1
            count = self.commands
        if self._delay_s:
            time.sleep(self._delay_s)
        if self._remove_after is not None and count >= self._remove_after:
            raise CardRemovedError("echo card pulled out (scripted)")
        try:
            header, data, le = parse_command(apdu)
        except ValueError:
            return SW_WRONG_LENGTH
        cla, ins, p1, _p2 = header
        if ins == INS_SELECT and cla & 0x80 == 0:
            with self._lock:
                self._selected = p1 == 0x04 and data == ECHO_AID
            return SW_OK if self._selected else SW_FILE_NOT_FOUND
        if ins == INS_GET_RESPONSE and cla & 0x80 == 0:
            return self._get_response(le or 256)
        if cla != 0x80:
            return SW_CLA_NOT_SUPPORTED
        return self._proprietary(ins, p1, data, le)

    def _proprietary(self, ins: int, p1: int, data: bytes, le: int | None) -> bytes:
        if ins == INS_ECHO:
            return (data[:le] if le is not None else data) + SW_OK
        if ins == INS_ECHO_T0:
            with self._lock:
                self._pending = data
            return bytes([0x61, min(len(data), 256) & 0xFF])
        if ins == INS_ECHO_LE:
            want = p1
            if le != want:
                return bytes([0x6C, want])
            return bytes(range(want)) + SW_OK
        if ins == INS_SLOW:
            time.sleep(p1 / 10)
            return SW_OK
        if ins == INS_PULL:
            raise CardRemovedError("echo card pulled out during the command")
        return SW_INS_NOT_SUPPORTED

    def _get_response(self, le: int) -> bytes:
        with self._lock:
            if not self._pending:
                return SW_CONDITIONS
            chunk, self._pending = self._pending[:le], self._pending[le:]
            rest = len(self._pending)
        if rest:
            return chunk + bytes([0x61, min(rest, 256) & 0xFF])
        return chunk + SW_OK


def make_applet(
    name: str, options: Mapping[str, Any] | None = None, *, base_dir: Path | None = None
) -> CardApplet:
    """Build the applet registered under ``name`` with its options (ConfigError when unknown)."""
    target = APPLETS.get(name)
    if target is None:
        raise ConfigError(
            f"unknown applet {name!r}; known: {', '.join(sorted(APPLETS))}", key="applet"
        )
    module_name, _, attribute = target.partition(":")
    factory = getattr(importlib.import_module(module_name), attribute)
    kwargs = dict(options or {})
    if base_dir is not None and "base_dir" in inspect.signature(factory).parameters:
        kwargs["base_dir"] = base_dir  # where relative paths in the options start
    if "atr" in kwargs and isinstance(kwargs["atr"], str):
        kwargs["atr"] = bytes.fromhex(kwargs["atr"])
    try:
        applet: CardApplet = factory(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"applet {name!r}: bad options ({exc})", key="applet_options") from exc
    return applet

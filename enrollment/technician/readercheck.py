"""Card reader check: ATR, a command round trip and, with a test document, a chip read.

For the technician: does the reader see a card, how fast does it answer, can a
whole ePassport be read through it. The chip read reports the access protocol,
which files were read (sizes only), retries and timing; never the contents of a
data group (names, MRZ, portrait stay inside the read and are dropped).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from typing import Any

from devices.base import Capability, CardChannel, CardReader
from devices.epassport.access_key import AccessKey
from devices.epassport.session import ReadOptions, read_document
from models.errors import DeviceError, DocumentError

ROUND_TRIPS = 5  # test APDUs timed per reader


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def check_reader(
    reader: CardReader,
    *,
    test_apdu: bytes,
    wait_s: float = 10.0,
    access_key: AccessKey | None = None,
    round_trips: int = ROUND_TRIPS,
) -> dict[str, Any]:
    """Check one open reader. DeviceErrors of the card are part of the result, not raised."""
    info = reader.info
    result: dict[str, Any] = {
        "id": info.device_id,
        "backend": info.backend,
        "driver": info.driver,
        "model": info.model,
        "virtual": info.virtual,
        "capabilities": sorted(c.value for c in reader.capabilities),
    }
    started = time.monotonic()
    try:
        got = reader.wait_for_card(wait_s)
    except DeviceError as exc:
        return {**result, "outcome": "error", "error": {"code": exc.code, "message": exc.message}}
    result["card_wait_ms"] = _ms(time.monotonic() - started)
    if not isinstance(got, CardChannel):
        return {**result, "outcome": "no_card", "retry": got.reason.value}
    atr = reader.atr
    result["atr"] = atr.hex().upper() if atr else None
    try:
        result["round_trip"] = _round_trips(got, test_apdu, round_trips)
        if access_key is not None:
            extended = Capability.EXTENDED_LENGTH in reader.capabilities
            result["chip"] = _read_chip(got, atr, access_key, extended)
    except DeviceError as exc:
        return {**result, "outcome": "error", "error": {"code": exc.code, "message": exc.message}}
    chip_ok = access_key is None or result["chip"]["outcome"] == "ok"
    result["outcome"] = "ok" if result["round_trip"]["sw"] == "9000" and chip_ok else "failed"
    return result


def _round_trips(channel: CardChannel, apdu: bytes, count: int) -> dict[str, Any]:
    times: list[float] = []
    sw = ""
    for _ in range(max(count, 1)):
        started = time.monotonic()
        response = channel.transmit(apdu)
        times.append(time.monotonic() - started)
        sw = response[-2:].hex().upper()
    return {
        "command": apdu.hex().upper(),
        "sw": sw,
        "count": len(times),
        "median_ms": _ms(statistics.median(times)),
        "max_ms": _ms(max(times)),
    }


def _read_chip(
    channel: CardChannel, atr: bytes | None, key: AccessKey, extended: bool
) -> dict[str, Any]:
    options = ReadOptions(extended_length=extended)
    started = time.monotonic()
    try:
        result = read_document(channel, key, options, atr=atr)
    except DocumentError as exc:
        return {
            "outcome": "failed",
            "error": {"code": exc.code, "message": exc.message},
            "duration_ms": _ms(time.monotonic() - started),
        }
    return {
        "outcome": "ok",
        "access_protocol": result.access.protocol,
        "cipher": result.access.cipher,
        "files": {name: len(data) for name, data in sorted(result.files.items())},
        "bytes": sum(len(d) for d in result.files.values()),
        "absent": list(result.absent),
        "chip_authentication": result.chip_authentication.valid,
        "active_authentication": result.active_authentication.valid,
        "retries": result.retries,
        "duration_ms": round(result.duration_ms, 1),
    }


def reader_summary(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    ok = sum(1 for r in results if r.get("outcome") == "ok")
    return {"readers": list(results), "passed": ok, "failed": len(results) - ok}

"""Smoke tests of devices for technicians (``gerbang devices test``): JSON-ready results.

Per kind: a camera frame with its brightness/contrast/sharpness, a fingerprint
image with its size, a card's ATR and one command round trip, a document page
with its figures, a gate pulse. A ``Retry`` (no card on the reader, no finger)
is reported as such: the device works, nobody acted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from devices import imaging, params
from devices.base import (
    Camera,
    CardReader,
    DocumentScanner,
    FingerprintScanner,
    GateController,
    Retry,
)
from devices.manager import DeviceManager
from models.errors import DeviceError
from models.operations import DeviceKind
from models.settings import DeviceConfig

DEFAULT_TEST_APDU = "00A4000C023F00"  # SELECT MF


def _camera(device: Any, config: DeviceConfig, timeout_s: float) -> dict[str, Any] | Retry:
    camera: Camera = device
    frame = camera.read(timeout_s)
    if isinstance(frame, Retry):
        return frame
    return {"frame": {"index": frame.index, **imaging.figures(frame.image)}}


def _fingerprint(device: Any, config: DeviceConfig, timeout_s: float) -> dict[str, Any] | Retry:
    scanner: FingerprintScanner = device
    sample = scanner.capture(timeout_s=timeout_s)
    if isinstance(sample, Retry):
        return sample
    height, width = sample.image.shape[:2]
    return {"fingerprint": {"width": width, "height": height, "ppi": sample.ppi}}


def _card_reader(device: Any, config: DeviceConfig, timeout_s: float) -> dict[str, Any] | Retry:
    reader: CardReader = device
    channel = reader.wait_for_card(timeout_s)
    if isinstance(channel, Retry):
        return channel
    command = bytes.fromhex(str(config.options.get("test_apdu", DEFAULT_TEST_APDU)))
    started = time.monotonic()
    response = channel.transmit(command)
    atr = reader.atr
    return {
        "card": {
            "atr": atr.hex().upper() if atr else None,
            "command": command.hex().upper(),
            "sw": response[-2:].hex().upper(),
            "response_length": len(response) - 2,
            "round_trip_ms": round((time.monotonic() - started) * 1000, 1),
        }
    }


def _document(device: Any, config: DeviceConfig, timeout_s: float) -> dict[str, Any] | Retry:
    scanner: DocumentScanner = device
    page = scanner.scan(timeout_s)
    if isinstance(page, Retry):
        return page
    return {"page": {"ppi": page.ppi, **imaging.figures(page.image)}}


def _gate(device: Any, config: DeviceConfig, timeout_s: float) -> dict[str, Any] | Retry:
    gate: GateController = device
    gate.open_gate(hold_s=params.GATE_PULSE_S)
    opened = gate.gate_state().value
    time.sleep(params.GATE_PULSE_S)
    gate.close_gate()
    return {
        "gate": {
            "pulse_s": params.GATE_PULSE_S,
            "state_open": opened,
            "state_after": gate.gate_state().value,
        }
    }


TESTS: dict[DeviceKind, Callable[[Any, DeviceConfig, float], dict[str, Any] | Retry]] = {
    DeviceKind.CAMERA: _camera,
    DeviceKind.FINGERPRINT: _fingerprint,
    DeviceKind.CARD_READER: _card_reader,
    DeviceKind.DOCUMENT_SCANNER: _document,
    DeviceKind.GATE: _gate,
}


def run(manager: DeviceManager, config: DeviceConfig, timeout_s: float) -> dict[str, Any]:
    """Test one managed device; never raises a DeviceError (it is part of the result)."""
    result: dict[str, Any] = {"id": config.id, "kind": config.kind.value, "backend": config.backend}
    started = time.monotonic()
    try:
        with manager.use(config.id) as device:
            outcome = TESTS[config.kind](device, config, timeout_s)
    except DeviceError as exc:
        result.update(outcome="error", error={"code": exc.code, "message": exc.message})
    else:
        if isinstance(outcome, Retry):
            result.update(outcome="retry", retry=outcome.reason.value, detail=outcome.detail)
        else:
            result.update(outcome="ok", **outcome)
    result["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
    return result

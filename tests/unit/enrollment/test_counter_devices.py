"""The counter's devices for enrollment: a device the settings do not configure is refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices.epassport.trust import TrustStore
from enrollment.counter_devices import CounterDevices
from models.biometric import FingerPosition
from models.errors import NotAvailableError
from models.operations import DeviceKind
from models.settings import load_settings


def _unused() -> object:
    raise AssertionError("not loaded when no device is configured")


def test_no_device_configured_is_not_available_by_kind() -> None:
    devices = CounterDevices({}, TrustStore, _unused)  # type: ignore[arg-type]
    assert not devices.has(DeviceKind.CAMERA)
    with pytest.raises(NotAvailableError, match="camera"):
        devices.capture_face(lambda: False, lambda _c: None)
    with pytest.raises(NotAvailableError, match="document_scanner"):
        devices.read_passport(lambda: False, lambda _c: None)
    with pytest.raises(NotAvailableError, match="fingerprint"):
        devices.scan_finger(FingerPosition.RIGHT_INDEX, lambda: False, lambda _c: None)
    devices.close()


def test_from_settings_picks_by_kind_and_skips_the_gate(tmp_path: Path) -> None:
    (tmp_path / "frames").mkdir()
    path = tmp_path / "gerbang.toml"
    path.write_text(f"""
[kiosk]
mode = "development"
step_timeout_s = 45

[paths]
data_dir = "{tmp_path / "data"}"

[[devices.device]]
id = "camera"
kind = "camera"
backend = "virtual-camera"
options = {{ source = "frames" }}

[[devices.device]]
id = "gate"
kind = "gate"
backend = "log"
""")
    settings, _ = load_settings(path)
    devices = CounterDevices.from_settings(settings, tmp_path, TrustStore, _unused)  # type: ignore[arg-type]
    assert set(devices.devices) == {DeviceKind.CAMERA}
    assert devices.timeouts.passport_s == 45 and devices.timeouts.face_s == 30

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devices.errors import VirtualDeviceRefusedError
from devices.factory import BACKENDS, backend_table, build_devices, is_virtual
from models.errors import ConfigError
from models.operations import DeviceKind
from models.settings import DeviceConfig, Settings, validate_settings


def settings(*devices: dict[str, Any], mode: str = "development") -> Settings:
    return validate_settings({"kiosk": {"mode": mode}, "devices": {"device": list(devices)}})


CAMERA = {"id": "cam", "kind": "camera", "backend": "virtual-camera", "options": {"source": "f"}}


def test_devices_are_built_with_relative_paths(tmp_path: Path) -> None:
    built = build_devices(
        settings(CAMERA, {"id": "gate", "kind": "gate", "backend": "log"}), tmp_path
    )
    assert [c.id for c, _ in built] == ["cam", "gate"]
    camera = built[0][1]
    assert camera.info.virtual and camera.info.kind is DeviceKind.CAMERA
    assert camera._path == tmp_path / "f"  # type: ignore[attr-defined]


def test_production_refuses_virtual_backends_and_replays(tmp_path: Path) -> None:
    with pytest.raises(VirtualDeviceRefusedError) as info:
        build_devices(settings(CAMERA, mode="production"), tmp_path)
    assert info.value.key == "devices.device[0].backend"
    assert info.value.code == "config.virtual_device_refused"
    replay = {"id": "c", "kind": "camera", "backend": "opencv", "options": {"source": "x.avi"}}
    with pytest.raises(VirtualDeviceRefusedError):
        build_devices(settings(replay, mode="production"), tmp_path)
    live = {"id": "c", "kind": "camera", "backend": "opencv", "options": {"source": 0}}
    assert len(build_devices(settings(live, mode="production"), tmp_path)) == 1
    assert not is_virtual(DeviceConfig.model_validate(live))
    assert is_virtual(DeviceConfig.model_validate(replay))


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        ({"id": "x", "kind": "camera", "backend": "nope"}, "devices.device[0].backend"),
        ({"id": "x", "kind": "gate", "backend": "opencv"}, "devices.device[0].kind"),
        (
            {"id": "x", "kind": "camera", "backend": "virtual-camera", "options": {"sauce": 1}},
            "devices.device[0].options.source",
        ),
        (
            {
                "id": "x",
                "kind": "camera",
                "backend": "virtual-camera",
                "options": {"source": "a", "fps": -1},
            },
            "devices.device[0].options.fps",
        ),
        (
            {"id": "x", "kind": "card_reader", "backend": "pcsc", "options": {"test_apdu": "zz"}},
            "devices.device[0].options.test_apdu",
        ),
    ],
)
def test_bad_device_settings_name_the_key(tmp_path: Path, entry: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_devices(settings(entry), tmp_path)
    assert info.value.key == key


def test_unknown_option_is_an_error_not_a_default(tmp_path: Path) -> None:
    entry = {"id": "g", "kind": "gate", "backend": "log", "options": {"hold": 3}}
    with pytest.raises(ConfigError, match="unknown option"):
        build_devices(settings(entry), tmp_path)


def test_vpcd_cannot_share_a_process_with_a_real_reader(tmp_path: Path) -> None:
    vpcd = {"id": "v", "kind": "card_reader", "backend": "virtual-vpcd"}
    real = {"id": "r", "kind": "card_reader", "backend": "pcsc"}
    with pytest.raises(ConfigError, match="virtual-vpcd"):
        build_devices(settings(vpcd, real), tmp_path)


def test_vpcd_readers_of_one_build_share_one_private_pcscd(tmp_path: Path) -> None:
    one = {"id": "v1", "kind": "card_reader", "backend": "virtual-vpcd"}
    two = {"id": "v2", "kind": "card_reader", "backend": "virtual-vpcd"}
    built = build_devices(settings(one, two), tmp_path)
    hosts = {id(device._host) for _, device in built}  # type: ignore[attr-defined]
    assert len(hosts) == 1
    names = {device._name for _, device in built}  # type: ignore[attr-defined]
    assert len(names) == 2  # a vpcd reader of its own each
    other = {**two, "options": {"workdir": "elsewhere"}}
    with pytest.raises(ConfigError, match="same workdir"):
        build_devices(settings(one, other), tmp_path)


def test_only_one_device_and_disabled_devices(tmp_path: Path) -> None:
    off = {"id": "g2", "kind": "gate", "backend": "log", "enabled": False}
    s = settings(CAMERA, {"id": "gate", "kind": "gate", "backend": "log"}, off)
    assert [c.id for c, _ in build_devices(s, tmp_path, only="gate")] == ["gate"]
    assert [c.id for c, _ in build_devices(s, tmp_path)] == ["cam", "gate"]
    with pytest.raises(ConfigError):
        build_devices(s, tmp_path, only="g2")


def test_every_backend_builds_from_its_defaults(tmp_path: Path) -> None:
    required = {
        "opencv": {"source": 0},
        "virtual-camera": {"source": "f"},
        "libfprint-virtual-image": {"source": "f"},
        "virtual-fingerprint": {"source": "f"},
        "camera-document": {"source": "/dev/video0"},
        "folder-document": {"folder": "f"},
        "virtual-document": {"source": "f"},
        "serial-relay": {"port": "/dev/ttyUSB0"},
    }
    for name, backend in BACKENDS.items():
        entry = {
            "id": "d",
            "kind": backend.kind.value,
            "backend": name,
            "options": required.get(name, {}),
        }
        [(_, device)] = build_devices(settings(entry), tmp_path)
        assert device.info.backend == name
        assert device.info.kind is backend.kind
    assert {row["name"] for row in backend_table()} == set(BACKENDS)


def test_settings_refuse_duplicate_ids() -> None:
    with pytest.raises(ConfigError, match="twice"):
        settings(CAMERA, CAMERA)
    with pytest.raises(ConfigError):
        validate_settings({"devices": {"reconnect_initial_s": 5, "reconnect_max_s": 1}})

"""Backends by name: ``[[devices.device]]`` entries of the settings become device objects.

Each backend validates its own ``options`` (unknown keys are errors, so a typo
does not silently fall back to a default). Relative paths in options are
relative to the settings file's folder.

Virtual backends (and replay sources such as a camera reading a video file)
are refused unless ``kiosk.mode = "development"``: a kiosk that silently
captured from a folder of images would pass recorded data as live.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from devices import params
from devices.base import Device
from devices.errors import VirtualDeviceRefusedError
from models.errors import ConfigError
from models.operations import DeviceKind
from models.settings import DeviceConfig, RunMode, Settings


@dataclass(frozen=True, slots=True)
class BuildContext:
    base_dir: Path  # relative paths in options start here
    development: bool  # settings.kiosk.mode == "development"
    # What the devices of one build share (the private pcscd of the virtual-vpcd readers).
    shared: dict[str, Any] = field(default_factory=dict, compare=False)

    def path(self, value: str | Path) -> Path:
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.base_dir / path


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _hex(value: str) -> bytes:
    try:
        return bytes.fromhex(value.replace(" ", ""))
    except ValueError as exc:
        raise ValueError("not a hex string") from exc


class _Scripted(_Options):
    script: tuple[str, ...] = ()
    loop_script: bool = True


class _Exposure(_Options):
    exposure_check: bool = True
    min_brightness: float = Field(default=params.BRIGHTNESS_MIN, ge=0, le=255)
    max_brightness: float = Field(default=params.BRIGHTNESS_MAX, ge=0, le=255)


class OpenCVOptions(_Exposure):
    source: int | str
    api: str = "any"
    loop: bool = False
    pace: bool = True
    width: int | None = Field(default=None, gt=0, le=16384)
    height: int | None = Field(default=None, gt=0, le=16384)
    fps: float | None = Field(default=None, gt=0, le=1000)
    autofocus: bool | None = None
    focus: float | None = None
    auto_exposure: bool | None = None
    exposure: float | None = None
    auto_white_balance: bool | None = None
    white_balance: float | None = Field(default=None, gt=0)


class VirtualCameraOptions(_Scripted, _Exposure):
    source: str
    fps: float = Field(default=15.0, gt=0, le=240)
    lens_focus: float | None = Field(default=None, ge=0, le=100)  # simulated manual focus
    focus: float | None = Field(default=None, ge=0, le=100)  # initial focus (with lens_focus)
    blur_per_unit: float = Field(default=0.08, ge=0, le=10)


class LibfprintOptions(_Options):
    driver: str | None = None
    index: int = Field(default=0, ge=0)
    ppi: int | None = Field(default=None, gt=0, le=4000)
    open_timeout_s: float = Field(default=params.FPRINT_OPEN_TIMEOUT_S, gt=0, le=120)


class VirtualImageOptions(_Scripted):
    source: str
    socket_path: str | None = None
    ppi: int = Field(default=params.FINGERPRINT_DEFAULT_PPI, gt=0, le=4000)


class VirtualFingerprintOptions(_Scripted):
    source: str
    ppi: int = Field(default=params.FINGERPRINT_DEFAULT_PPI, gt=0, le=4000)
    capture_s: float = Field(default=0.05, ge=0, le=60)
    # A slap scanner: captures at the slap positions (13/14/15) compose a slap from the
    # next four (two) images of the folder, and the scanner advertises slap_capture.
    slap: bool = False


class _ReaderOptions(_Options):
    test_apdu: str = "00A4000C023F00"  # SELECT MF: harmless on any ISO 7816 card

    @field_validator("test_apdu")
    @classmethod
    def _apdu(cls, value: str) -> str:
        if len(_hex(value)) < 4:
            raise ValueError("an APDU has at least 4 bytes")
        return value


class PcscOptions(_ReaderOptions):
    reader: str | None = None
    protocol: str = "any"
    share: str = "exclusive"
    extended_length: bool | None = None
    contactless: bool = False
    transmit_timeout_s: float = Field(default=10.0, gt=0, le=120)
    connect_timeout_s: float = Field(default=5.0, gt=0, le=120)


class _AppletOptions(_ReaderOptions):
    applet: str = "echo"
    applet_options: dict[str, Any] = Field(default_factory=dict)
    inserted: bool = True
    transmit_timeout_s: float = Field(default=10.0, gt=0, le=120)


class VpcdOptions(_AppletOptions):
    extended_length: bool = True
    workdir: str | None = None


class LoopbackOptions(_AppletOptions, _Scripted):
    pass


class CameraDocumentOptions(OpenCVOptions):
    frames: int = Field(default=3, ge=1, le=100)
    ppi: int | None = Field(default=None, gt=0)
    exposure_check: bool = False


class FolderDocumentOptions(_Options):
    folder: str
    consume: bool = True
    ppi: int | None = Field(default=None, gt=0)


class VirtualDocumentOptions(_Scripted):
    source: str
    ppi: int | None = Field(default=None, gt=0)


class SerialRelayOptions(_Options):
    port: str
    baudrate: int = Field(default=9600, gt=0)
    control: str = "bytes"
    open_bytes: str = "A00101A2"
    close_bytes: str = "A00100A1"
    invert: bool = False

    @field_validator("open_bytes", "close_bytes")
    @classmethod
    def _bytes(cls, value: str) -> str:
        _hex(value)
        return value


class LogGateOptions(_Options):
    pass


# ---------------------------------------------------------------- builders
def _camera_controls(o: OpenCVOptions) -> Any:
    from devices.backends.opencv_camera import Controls

    return Controls(
        width=o.width,
        height=o.height,
        fps=o.fps,
        autofocus=o.autofocus,
        focus=o.focus,
        auto_exposure=o.auto_exposure,
        exposure=o.exposure,
        auto_white_balance=o.auto_white_balance,
        white_balance=o.white_balance,
    )


def _opencv_camera(device_id: str, o: Any, ctx: BuildContext) -> Any:
    from devices.backends.opencv_camera import OpenCVCamera

    return OpenCVCamera(
        device_id,
        source=o.source,
        api=o.api,
        loop=o.loop,
        pace=o.pace,
        controls=_camera_controls(o),
        exposure_check=o.exposure_check,
        min_brightness=o.min_brightness,
        max_brightness=o.max_brightness,
        base_dir=ctx.base_dir,
    )


def _build_opencv(device_id: str, o: OpenCVOptions, ctx: BuildContext) -> Device:
    camera: Device = _opencv_camera(device_id, o, ctx)
    return camera


def _build_virtual_camera(device_id: str, o: VirtualCameraOptions, ctx: BuildContext) -> Device:
    from devices.virtual.camera import VirtualCamera

    return VirtualCamera(
        device_id,
        source=ctx.path(o.source),
        fps=o.fps,
        script=o.script,
        loop_script=o.loop_script,
        exposure_check=o.exposure_check,
        min_brightness=o.min_brightness,
        max_brightness=o.max_brightness,
        lens_focus=o.lens_focus,
        blur_per_unit=o.blur_per_unit,
        focus=o.focus,
    )


def _build_libfprint(device_id: str, o: LibfprintOptions, ctx: BuildContext) -> Device:
    from devices.backends.libfprint import LibfprintScanner

    return LibfprintScanner(
        device_id,
        driver=o.driver,
        index=o.index,
        ppi=o.ppi,
        open_timeout_s=o.open_timeout_s,
        allow_virtual=ctx.development,
    )


def _build_virtual_image(device_id: str, o: VirtualImageOptions, ctx: BuildContext) -> Device:
    from devices.virtual.fprint_virtual import VirtualImageScanner

    return VirtualImageScanner(
        device_id,
        source=ctx.path(o.source),
        socket_path=ctx.path(o.socket_path) if o.socket_path else None,
        ppi=o.ppi,
        script=o.script,
        loop_script=o.loop_script,
    )


def _build_virtual_fingerprint(
    device_id: str, o: VirtualFingerprintOptions, ctx: BuildContext
) -> Device:
    from devices.virtual.fingerprint import VirtualFingerprintScanner

    return VirtualFingerprintScanner(
        device_id,
        source=ctx.path(o.source),
        ppi=o.ppi,
        capture_s=o.capture_s,
        script=o.script,
        loop_script=o.loop_script,
        slap=o.slap,
    )


def _build_pcsc(device_id: str, o: PcscOptions, ctx: BuildContext) -> Device:
    from devices.backends.pcsc import PcscCardReader

    return PcscCardReader(
        device_id,
        reader=o.reader,
        protocol=o.protocol,
        share=o.share,
        extended_length=o.extended_length,
        contactless=o.contactless,
        transmit_timeout_s=o.transmit_timeout_s,
        connect_timeout_s=o.connect_timeout_s,
        allow_virtual_readers=ctx.development,
    )


def _build_vpcd(device_id: str, o: VpcdOptions, ctx: BuildContext) -> Device:
    from devices.virtual.applets import make_applet
    from devices.virtual.vpcd_host import VpcdHost
    from devices.virtual.vpcd_reader import VpcdCardReader

    workdir = ctx.path(o.workdir) if o.workdir else None
    host = ctx.shared.get("vpcd_host")
    if host is None:
        host = ctx.shared["vpcd_host"] = VpcdHost(workdir)
    elif workdir is not None and workdir != host.workdir_option:
        raise ConfigError(
            "virtual-vpcd readers share one private pcscd: give them the same workdir, or none",
            key="workdir",
        )
    return VpcdCardReader(
        device_id,
        applet=make_applet(o.applet, o.applet_options, base_dir=ctx.base_dir),
        inserted=o.inserted,
        extended_length=o.extended_length,
        transmit_timeout_s=o.transmit_timeout_s,
        host=host,
    )


def _build_loopback(device_id: str, o: LoopbackOptions, ctx: BuildContext) -> Device:
    from devices.virtual.applets import make_applet
    from devices.virtual.loopback import LoopbackCardReader

    return LoopbackCardReader(
        device_id,
        applet=make_applet(o.applet, o.applet_options, base_dir=ctx.base_dir),
        inserted=o.inserted,
        transmit_timeout_s=o.transmit_timeout_s,
        script=o.script,
        loop_script=o.loop_script,
    )


def _build_camera_document(device_id: str, o: CameraDocumentOptions, ctx: BuildContext) -> Device:
    from devices.backends.document import CameraDocumentScanner

    camera = _opencv_camera(f"{device_id}.camera", o, ctx)
    return CameraDocumentScanner(device_id, camera=camera, frames=o.frames, ppi=o.ppi)


def _build_folder_document(device_id: str, o: FolderDocumentOptions, ctx: BuildContext) -> Device:
    from devices.backends.document import FolderDocumentScanner

    return FolderDocumentScanner(device_id, folder=ctx.path(o.folder), consume=o.consume, ppi=o.ppi)


def _build_virtual_document(device_id: str, o: VirtualDocumentOptions, ctx: BuildContext) -> Device:
    from devices.virtual.document import VirtualDocumentScanner

    return VirtualDocumentScanner(
        device_id,
        source=ctx.path(o.source),
        ppi=o.ppi,
        script=o.script,
        loop_script=o.loop_script,
    )


def _build_serial_relay(device_id: str, o: SerialRelayOptions, ctx: BuildContext) -> Device:
    from devices.backends.gates import SerialRelayGate

    return SerialRelayGate(
        device_id,
        port=o.port,
        baudrate=o.baudrate,
        control=o.control,
        open_bytes=_hex(o.open_bytes),
        close_bytes=_hex(o.close_bytes),
        invert=o.invert,
    )


def _build_log_gate(device_id: str, o: LogGateOptions, ctx: BuildContext) -> Device:
    from devices.backends.gates import LogGate

    return LogGate(device_id)


@dataclass(frozen=True, slots=True)
class Backend:
    name: str
    kind: DeviceKind
    virtual: bool
    summary: str
    options: type[_Options]
    build: Callable[[str, Any, BuildContext], Device]


BACKENDS: dict[str, Backend] = {
    b.name: b
    for b in (
        Backend(
            "opencv",
            DeviceKind.CAMERA,
            False,
            "OpenCV camera: device index, V4L2 path, RTSP/HTTP URL (a video file is a replay)",
            OpenCVOptions,
            _build_opencv,
        ),
        Backend(
            "virtual-camera",
            DeviceKind.CAMERA,
            True,
            "frames from an image folder or a looping video file, scripted",
            VirtualCameraOptions,
            _build_virtual_camera,
        ),
        Backend(
            "libfprint",
            DeviceKind.FINGERPRINT,
            False,
            "libfprint 2 scanner through GObject introspection",
            LibfprintOptions,
            _build_libfprint,
        ),
        Backend(
            "libfprint-virtual-image",
            DeviceKind.FINGERPRINT,
            True,
            "libfprint's virtual_image driver fed from an image folder, scripted",
            VirtualImageOptions,
            _build_virtual_image,
        ),
        Backend(
            "virtual-fingerprint",
            DeviceKind.FINGERPRINT,
            True,
            "fingerprint images from a folder, scripted (no libfprint)",
            VirtualFingerprintOptions,
            _build_virtual_fingerprint,
        ),
        Backend(
            "pcsc",
            DeviceKind.CARD_READER,
            False,
            "PC/SC reader through pyscard and pcscd",
            PcscOptions,
            _build_pcsc,
        ),
        Backend(
            "virtual-vpcd",
            DeviceKind.CARD_READER,
            True,
            "a software card on vsmartcard's vpcd under a private pcscd (real PC/SC stack)",
            VpcdOptions,
            _build_vpcd,
        ),
        Backend(
            "virtual-loopback",
            DeviceKind.CARD_READER,
            True,
            "a software card driven in-process (no PC/SC)",
            LoopbackOptions,
            _build_loopback,
        ),
        Backend(
            "camera-document",
            DeviceKind.DOCUMENT_SCANNER,
            False,
            "document page from an OpenCV camera (sharpest of a few frames)",
            CameraDocumentOptions,
            _build_camera_document,
        ),
        Backend(
            "folder-document",
            DeviceKind.DOCUMENT_SCANNER,
            False,
            "document page from a flatbed's hot folder (new image files)",
            FolderDocumentOptions,
            _build_folder_document,
        ),
        Backend(
            "virtual-document",
            DeviceKind.DOCUMENT_SCANNER,
            True,
            "document pages from an image folder, scripted",
            VirtualDocumentOptions,
            _build_virtual_document,
        ),
        Backend(
            "serial-relay",
            DeviceKind.GATE,
            False,
            "gate relay on a serial port (bytes or DTR/RTS line)",
            SerialRelayOptions,
            _build_serial_relay,
        ),
        Backend(
            "log",
            DeviceKind.GATE,
            False,
            "log-only gate (no hardware)",
            LogGateOptions,
            _build_log_gate,
        ),
    )
}


def _is_replay(backend: Backend, options: _Options) -> bool:
    """A real backend configured with a recorded source (a camera reading a file)."""
    if not isinstance(options, OpenCVOptions):
        return False
    source = options.source
    return (
        isinstance(source, str)
        and not source.isdigit()
        and "://" not in source
        and not (source.startswith("/dev/"))
    )


def validate_options(config: DeviceConfig, key: str) -> tuple[Backend, _Options]:
    backend = BACKENDS.get(config.backend)
    if backend is None:
        raise ConfigError(
            f"{key}.backend: unknown backend {config.backend!r}; known: {', '.join(BACKENDS)}",
            key=f"{key}.backend",
        )
    if backend.kind is not config.kind:
        raise ConfigError(
            f"{key}: backend {backend.name!r} drives a {backend.kind.value}, "
            f"not a {config.kind.value}",
            key=f"{key}.kind",
        )
    try:
        options = backend.options.model_validate(dict(config.options))
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        message = "unknown option" if err["type"] == "extra_forbidden" else err["msg"]
        raise ConfigError(
            f"{key}.options.{field}: {message}", key=f"{key}.options.{field}"
        ) from exc
    return backend, options


def is_virtual(config: DeviceConfig) -> bool:
    backend, options = validate_options(config, "device")
    return backend.virtual or _is_replay(backend, options)


def build_device(config: DeviceConfig, ctx: BuildContext, *, key: str = "device") -> Device:
    """One device object (not opened). ConfigError for bad options or a refused virtual backend."""
    backend, options = validate_options(config, key)
    if (backend.virtual or _is_replay(backend, options)) and not ctx.development:
        raise VirtualDeviceRefusedError(
            f"{key} ({config.id}): backend {backend.name!r} is virtual or a replay and is "
            'refused in production; set kiosk.mode = "development" to use it',
            key=f"{key}.backend",
        )
    return backend.build(config.id, options, ctx)


def build_devices(
    settings: Settings, base_dir: Path, *, only: str | None = None
) -> list[tuple[DeviceConfig, Device]]:
    """The enabled devices of the settings (all of them, or the one with id ``only``)."""
    ctx = BuildContext(base_dir=base_dir, development=settings.kiosk.mode is RunMode.DEVELOPMENT)
    out: list[tuple[DeviceConfig, Device]] = []
    vpcd = 0
    real_pcsc = 0
    for i, config in enumerate(settings.devices.device):
        if not config.enabled or (only is not None and config.id != only):
            continue
        vpcd += config.backend == "virtual-vpcd"
        real_pcsc += config.backend == "pcsc"
        if vpcd and real_pcsc:
            raise ConfigError(
                "virtual-vpcd points the process's PC/SC client at its own pcscd: it cannot be "
                "combined with a pcsc reader (several virtual-vpcd readers share that pcscd)",
                key=f"devices.device[{i}].backend",
            )
        config = with_calibration(config, settings)
        out.append((config, build_device(config, ctx, key=f"devices.device[{i}]")))
    if only is not None and not out:
        raise ConfigError(f"no enabled device with id {only!r}", key="devices.device")
    return out


def with_calibration(config: DeviceConfig, settings: Settings) -> DeviceConfig:
    """The device's options with the saved calibration (``[calibration.camera.<id>]``,
    written by ``gerbang calibrate camera --save``) applied where the backend can use it.

    Only the focus is applied, and only when the options do not set it themselves (a
    value written by hand wins). Exposure and white-balance recommendations stay
    recommendations: their units differ from driver to driver.
    """
    saved = settings.calibration.camera.get(config.id)
    if config.kind is not DeviceKind.CAMERA or saved is None or saved.focus is None:
        return config
    options = dict(config.options)
    if config.backend == "opencv" and "focus" not in options:
        options["focus"] = saved.focus
        options.setdefault("autofocus", False)
    elif config.backend == "virtual-camera" and "lens_focus" in options:
        options.setdefault("focus", saved.focus)
    else:
        return config
    return config.model_copy(update={"options": options})


def document_reader_id(settings: Settings) -> str:
    """The card reader that reads travel documents: the first enabled one that is not a
    virtual reader holding the device layer's echo test card (ConfigError when none)."""
    for config in settings.devices.device:
        if not config.enabled or config.kind is not DeviceKind.CARD_READER:
            continue
        virtual_card = config.backend in ("virtual-vpcd", "virtual-loopback")
        if virtual_card and config.options.get("applet", "echo") == "echo":
            continue
        return config.id
    raise ConfigError(
        "no card reader for travel documents: configure a [[devices.device]] of kind "
        "card_reader (a virtual one must hold the epassport applet), or name one with --reader",
        key="devices.device",
    )


def backend_table() -> list[Mapping[str, Any]]:
    return [
        {"name": b.name, "kind": b.kind.value, "virtual": b.virtual, "summary": b.summary}
        for b in BACKENDS.values()
    ]

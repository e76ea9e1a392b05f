"""Typed settings, loaded from a TOML file with environment overrides.

Where settings come from, later wins:

1. defaults in the classes below;
2. the TOML file: ``--config PATH``, else ``$GERBANG_CONFIG``, else
   ``$XDG_CONFIG_HOME/gerbang/gerbang.toml`` (``~/.config/gerbang/gerbang.toml``)
   when it exists;
3. environment variables ``GERBANG_<SECTION>__<KEY>``, for example
   ``GERBANG_KIOSK__LANGUAGE=en`` or ``GERBANG_PATHS__DATA_DIR=/srv/gerbang``.
   Values are parsed as TOML values when they parse (``true``, ``42``,
   ``["a", "b"]``) and taken as plain strings otherwise.

Secrets never live here: keys are in the data directory's key files.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from models.errors import ConfigError
from models.operations import DeviceKind

ENV_PREFIX = "GERBANG_"
ENV_CONFIG = "GERBANG_CONFIG"
APP_NAME = "gerbang"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Language(StrEnum):
    INDONESIAN = "id"
    ENGLISH = "en"


class RunMode(StrEnum):
    PRODUCTION = "production"
    DEVELOPMENT = "development"


class KioskSettings(_Section):
    id: str = Field(
        default="KIOSK-DEV-01", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$"
    )
    office_id: str = Field(default="DEV", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    language: Language = Language.INDONESIAN
    # Development mode allows virtual devices and demo data. Production refuses them.
    mode: RunMode = RunMode.PRODUCTION
    step_timeout_s: float = Field(default=60.0, gt=0, le=600)


class PathSettings(_Section):
    data_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir(APP_NAME)))

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()


class LogSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    to_file: bool = True
    max_bytes: int = Field(default=5_000_000, ge=10_000)
    backups: int = Field(default=5, ge=0, le=100)
    json_stderr: bool = False


class SyncSettings(_Section):
    server_url: str = ""  # empty: no central server configured (offline only)
    interval_s: float = Field(default=300.0, ge=5)
    max_days_offline: int = Field(default=14, ge=1, le=365)
    # Offline policy defaults; a policy published by the central server overrides them.
    watchlist_stale_hours: float = Field(default=72.0, gt=0, le=24 * 365)
    max_outbox_items: int = Field(default=50_000, ge=100)


class ServerSettings(_Section):
    # SQLite file in the data directory by default; for PostgreSQL use
    # "postgresql+psycopg://user@host:5432/dbname".
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = Field(default=8470, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)  # uvicorn worker processes
    # TLS served by uvicorn itself (both or neither); usually TLS ends at a reverse
    # proxy instead (docs/security.md, "Central server hardening").
    tls_certfile: Path | None = None  # PEM certificate chain
    tls_keyfile: Path | None = None  # PEM private key (mode 0600)
    # Proxies whose X-Forwarded-For/-Proto are trusted (uvicorn's forwarded_allow_ips):
    # the client address that per-address rate limits count, and https for HSTS.
    forwarded_allow_ips: str = Field(default="127.0.0.1", max_length=1000)
    # Rate limits; unset = the defaults in sync/params.py, 0 = off.
    rate_ip_per_s: float | None = Field(default=None, ge=0)
    rate_ip_burst: int | None = Field(default=None, ge=0)
    rate_kiosk_per_min: int | None = Field(default=None, ge=0)

    @field_validator("tls_certfile", "tls_keyfile")
    @classmethod
    def _expand_tls(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @model_validator(mode="after")
    def _tls_pair(self) -> ServerSettings:
        if (self.tls_certfile is None) != (self.tls_keyfile is None):
            raise ValueError("tls_certfile and tls_keyfile go together (set both or neither)")
        return self


class BackupSettings(_Section):
    dir: Path | None = None  # default: <data_dir>/backups; better on another disk
    keep: int = Field(default=14, ge=1, le=1000)
    interval_h: float = Field(default=24.0, gt=0, le=24 * 31)


class RetentionSettings(_Section):
    events_days: int = Field(default=30, ge=1, le=3650)
    referrals_days: int = Field(default=90, ge=1, le=3650)
    images_days: int = Field(default=0, ge=0, le=3650)  # 0: images go once templates exist


class DocumentSettings(_Section):
    # CSCA master lists, certificates and CRLs (files or folders) for Passive Authentication.
    trust_paths: list[Path] = Field(default_factory=list)
    # Refuse master lists whose signer does not chain to a certificate given here.
    require_anchored_lists: bool = True


class DeviceConfig(_Section):
    """One configured device: ``[[devices.device]]`` in the settings file.

    ``backend`` names a backend of ``devices.factory`` (``gerbang devices backends``
    lists them); ``options`` are that backend's own settings, validated by the
    backend. Relative paths in options are relative to the settings file.
    """

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    kind: DeviceKind
    backend: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9-]+$")
    enabled: bool = True
    options: dict[str, Any] = Field(default_factory=dict)


class DeviceSettings(_Section):
    device: tuple[DeviceConfig, ...] = ()
    # The device manager's supervision: how often it checks each device's health,
    # and the backoff between attempts to reopen a device that failed.
    health_interval_s: float = Field(default=2.0, gt=0, le=600)
    reconnect_initial_s: float = Field(default=0.5, gt=0, le=60)
    reconnect_max_s: float = Field(default=30.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _check(self) -> DeviceSettings:
        seen: set[str] = set()
        for entry in self.device:
            if entry.id in seen:
                raise ValueError(f"device id {entry.id!r} is configured twice")
            seen.add(entry.id)
        if self.reconnect_max_s < self.reconnect_initial_s:
            raise ValueError("reconnect_max_s must not be below reconnect_initial_s")
        return self


class FaceOperatingPoint(_Section):
    """The kiosk's face 1:1 thresholds, measured by ``gerbang calibrate thresholds``.

    When present it replaces the shipped ``biometrics.face.params.VERIFICATION``
    thresholds (``biometrics.face.verify.policy_from_settings``).
    """

    accept: float = Field(ge=-1.0, le=1.0)
    reject: float = Field(ge=-1.0, le=1.0)
    accept_fmr: float = Field(ge=0, le=1)  # measured FMR at ``accept`` on the calibration set
    reject_fmr: float = Field(ge=0, le=1)
    target_fmr: float = Field(gt=0, lt=1)
    dataset: str = Field(default="", max_length=200)  # a name, never a person's data
    genuine_pairs: int = Field(default=0, ge=0)
    impostor_pairs: int = Field(default=0, ge=0)
    calibrated_at: str = Field(default="", max_length=40)
    calibrated_by: str = Field(default="", max_length=64)

    @model_validator(mode="after")
    def _order(self) -> FaceOperatingPoint:
        if self.reject > self.accept:
            raise ValueError("reject must not exceed accept")
        return self


class FingerprintOperatingPoint(_Section):
    """The kiosk's fingerprint 1:1 thresholds, measured by
    ``gerbang calibrate thresholds --modality fingerprint``.

    One finger: ``accept``/``reject`` on the LSS-R score (0..1); the one-finger
    ``accept`` is also the watchlist-hit threshold. Two fingers: ``fused_accept``/
    ``fused_reject`` on the sum of the two scores (0..2). When present it replaces
    the shipped ``biometrics.fingerprint.params`` ``VERIFICATION``/``FUSION`` points
    (``biometrics.fingerprint.verify.policy_from_settings``).
    """

    accept: float = Field(ge=0.0, le=1.0)
    reject: float = Field(ge=0.0, le=1.0)
    accept_fmr: float = Field(ge=0, le=1)  # measured FMR at ``accept`` on the calibration set
    reject_fmr: float = Field(ge=0, le=1)
    fused_accept: float = Field(ge=0.0, le=2.0)
    fused_reject: float = Field(ge=0.0, le=2.0)
    fused_accept_fmr: float = Field(ge=0, le=1)
    fused_reject_fmr: float = Field(ge=0, le=1)
    target_fmr: float = Field(gt=0, lt=1)
    dataset: str = Field(default="", max_length=200)  # names, never a person's data
    genuine_pairs: int = Field(default=0, ge=0)
    impostor_pairs: int = Field(default=0, ge=0)
    fused_genuine_pairs: int = Field(default=0, ge=0)
    fused_impostor_pairs: int = Field(default=0, ge=0)
    calibrated_at: str = Field(default="", max_length=40)
    calibrated_by: str = Field(default="", max_length=64)
    # The same points for ``gerbang_dual`` (both minutiae sets, 1:1 only), measured in
    # the same run; absent in calibrations saved before it existed, and then the
    # kiosk compares the raw sets only (``verify.policy_from_settings``).
    dual_accept: float | None = Field(default=None, ge=0.0, le=1.0)
    dual_reject: float | None = Field(default=None, ge=0.0, le=1.0)
    dual_accept_fmr: float | None = Field(default=None, ge=0, le=1)
    dual_reject_fmr: float | None = Field(default=None, ge=0, le=1)
    dual_fused_accept: float | None = Field(default=None, ge=0.0, le=2.0)
    dual_fused_reject: float | None = Field(default=None, ge=0.0, le=2.0)
    dual_fused_accept_fmr: float | None = Field(default=None, ge=0, le=1)
    dual_fused_reject_fmr: float | None = Field(default=None, ge=0, le=1)
    # True when the dual_* points were measured on ``gerbang_dual`` with the ridge flow
    # (biometrics.fingerprint.flow, since 2026-11-26). Points measured before it are on
    # another score scale: they are kept in the file but not used (dual off).
    dual_with_flow: bool = False
    # True when they were measured with the flow aligned by the minutiae (since the second
    # change of 2026-11-26); points of the searched flow before it are on another scale
    # and are kept but not used, like those without the flow.
    dual_flow_aligned: bool = False
    # True when every point here (raw and dual) was measured on the bit cylinders of the
    # matcher since the third change of 2026-11-26 (biometrics.fingerprint.match). Points
    # measured on the float cylinders before are on another scale: the whole calibration
    # is kept in the file but not used (the shipped points hold).
    bit_cylinders: bool = False

    @model_validator(mode="after")
    def _order(self) -> FingerprintOperatingPoint:
        if self.reject > self.accept:
            raise ValueError("reject must not exceed accept")
        if self.fused_reject > self.fused_accept:
            raise ValueError("fused_reject must not exceed fused_accept")
        dual = (
            self.dual_accept,
            self.dual_reject,
            self.dual_accept_fmr,
            self.dual_reject_fmr,
            self.dual_fused_accept,
            self.dual_fused_reject,
            self.dual_fused_accept_fmr,
            self.dual_fused_reject_fmr,
        )
        if any(v is None for v in dual) and any(v is not None for v in dual):
            raise ValueError("the dual_* points are all given or none")
        pairs = (
            ("dual_reject", self.dual_reject, "dual_accept", self.dual_accept),
            (
                "dual_fused_reject",
                self.dual_fused_reject,
                "dual_fused_accept",
                self.dual_fused_accept,
            ),
        )
        for low_name, low, high_name, high in pairs:
            if low is not None and high is not None and low > high:
                raise ValueError(f"{low_name} must not exceed {high_name}")
        return self

    @property
    def has_dual(self) -> bool:
        return self.dual_accept is not None and self.dual_with_flow and self.dual_flow_aligned


class CameraCalibration(_Section):
    """Recommended settings of one camera, measured by ``gerbang calibrate camera``."""

    focus: float | None = None  # best value of the focus sweep (driver units)
    exposure_scale: float = Field(default=1.0, gt=0, le=16)  # multiply the exposure by this
    white_balance_gains: tuple[float, float, float] = (1.0, 1.0, 1.0)  # B, G, R (grey world)
    brightness_mean: float = Field(default=0.0, ge=0, le=255)
    sharpness: float = Field(default=0.0, ge=0)
    inter_eye_px: float | None = Field(default=None, ge=0)
    calibrated_at: str = Field(default="", max_length=40)
    calibrated_by: str = Field(default="", max_length=64)


class CalibrationSettings(_Section):
    """Written by the technician's calibration (a managed block of the settings file)."""

    face: FaceOperatingPoint | None = None
    fingerprint: FingerprintOperatingPoint | None = None
    camera: dict[str, CameraCalibration] = Field(default_factory=dict)


class Settings(_Section):
    kiosk: KioskSettings = Field(default_factory=KioskSettings)
    paths: PathSettings = Field(default_factory=PathSettings)
    logging: LogSettings = Field(default_factory=LogSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    backup: BackupSettings = Field(default_factory=BackupSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    documents: DocumentSettings = Field(default_factory=DocumentSettings)
    devices: DeviceSettings = Field(default_factory=DeviceSettings)
    calibration: CalibrationSettings = Field(default_factory=CalibrationSettings)

    @property
    def data_dir(self) -> Path:
        return self.paths.data_dir

    @property
    def store_path(self) -> Path:
        return self.paths.data_dir / "kiosk.db"

    @property
    def key_dir(self) -> Path:
        return self.paths.data_dir / "keys"

    @property
    def backup_dir(self) -> Path:
        return self.backup.dir.expanduser() if self.backup.dir else self.paths.data_dir / "backups"

    @property
    def log_dir(self) -> Path:
        return self.paths.data_dir / "logs"


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "gerbang.toml"


def resolve_config_path(explicit: Path | None, environ: Mapping[str, str]) -> tuple[Path, bool]:
    """The settings file to read and whether it must exist (it must when named explicitly)."""
    if explicit is not None:
        return explicit, True
    if environ.get(ENV_CONFIG):
        return Path(environ[ENV_CONFIG]), True
    return default_config_path(), False


def _parse_env_value(raw: str) -> Any:
    """Arrays and tables are parsed as TOML; everything else stays text, which the
    setting's own type converts ("30" to a number, "false" to a boolean), so that
    ``GERBANG_KIOSK__ID=42`` stays the text "42"."""
    if raw.lstrip().startswith(("[", "{")):
        try:
            return tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            return raw
    return raw


def env_overrides(environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Collect ``GERBANG_<SECTION>__<KEY>`` variables into a nested mapping."""
    sections: dict[str, dict[str, Any]] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX) :].partition("__")
        if not section or not key:
            raise ConfigError(
                f"environment variable {name}: expected GERBANG_<SECTION>__<KEY>", key=name
            )
        sections.setdefault(section.lower(), {})[key.lower()] = _parse_env_value(raw)
    return sections


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            merged[key] = _merge(current, value)
        else:
            merged[key] = value
    return merged


def _describe(exc: ValidationError) -> tuple[str, str | None]:
    lines = []
    first_key: str | None = None
    for err in exc.errors():
        key = ".".join(str(part) for part in err["loc"])
        first_key = first_key or key
        message = "unknown setting" if err["type"] == "extra_forbidden" else err["msg"]
        lines.append(f"{key}: {message}")
    return "; ".join(lines), first_key


def validate_settings(data: Mapping[str, Any], *, source: str = "settings") -> Settings:
    try:
        return Settings.model_validate(dict(data))
    except ValidationError as exc:
        text, key = _describe(exc)
        raise ConfigError(f"{source}: {text}", key=key) from exc


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"settings file not found: {path}") from exc
    except PermissionError as exc:
        raise ConfigError(f"settings file not readable: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc


def load_settings(
    path: Path | None = None, environ: Mapping[str, str] | None = None
) -> tuple[Settings, Path | None]:
    """Load settings; returns them with the file actually read (None when defaults only)."""
    env = os.environ if environ is None else environ
    config_path, required = resolve_config_path(path, env)
    data: dict[str, Any] = {}
    used: Path | None = None
    if required or config_path.exists():
        data = read_toml(config_path)
        used = config_path
    data = _merge(data, env_overrides(env))
    return validate_settings(data, source=str(used) if used else "settings"), used

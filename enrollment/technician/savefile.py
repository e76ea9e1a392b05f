"""Saving calibration results into the settings file: a managed block, written atomically.

The technician's results live in ``[calibration]`` tables of the kiosk's own
settings file, so that the kiosk that reads its settings reads them too. The
block between the two marker lines below is owned by the calibration commands
and rewritten whole; the rest of the file (and its comments) is kept byte for
byte. A ``[calibration]`` table written by hand outside the block is refused
(it would be a duplicate table).

The new file is validated as settings *before* it replaces the old one, and is
replaced atomically (temporary file in the same folder, fsync, ``os.replace``):
a crash leaves either the old or the new file, never half of one. Every save is
audited by the caller (:mod:`enrollment.technician.apply`).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from models.errors import ConfigError
from models.settings import CalibrationSettings, Settings, validate_settings

BEGIN = "# >>> gerbang calibrate: managed block (rewritten by `gerbang calibrate`; do not edit) >>>"
END = "# <<< gerbang calibrate <<<"


def split_block(text: str) -> tuple[str, str]:
    """(the file without the managed block, the block's TOML text)."""
    start = text.find(BEGIN)
    if start < 0:
        return text, ""
    stop = text.find(END, start)
    if stop < 0:
        raise ConfigError(f"the calibration block has no end marker ({END!r})", key="calibration")
    inner = text[start + len(BEGIN) : stop]
    rest = text[:start] + text[stop + len(END) :].lstrip("\n")
    return rest, inner


def current(path: Path) -> CalibrationSettings:
    """The calibration saved in ``path`` (empty when the file or the block is absent)."""
    if not path.exists():
        return CalibrationSettings()
    text = path.read_text(encoding="utf-8")
    _, inner = split_block(text)
    try:
        data = tomllib.loads(inner)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: the calibration block is not valid TOML ({exc})") from exc
    return CalibrationSettings.model_validate(data.get("calibration", {}))


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigError("a calibration value is not finite", key="calibration")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise ConfigError(f"cannot write {type(value).__name__} to TOML", key="calibration")


def _table(name: str, values: Mapping[str, Any]) -> list[str]:
    lines = [f"[{name}]"]
    lines += [f"{k} = {_value(v)}" for k, v in values.items() if v is not None]
    return lines


def render(calibration: CalibrationSettings) -> str:
    """The managed block (markers included) for ``calibration``."""
    data = calibration.model_dump(mode="json", exclude_none=True)
    lines = [BEGIN]
    if "face" in data:
        lines += _table("calibration.face", data["face"])
    if "fingerprint" in data:
        lines += _table("calibration.fingerprint", data["fingerprint"])
    for device_id, values in sorted(data.get("camera", {}).items()):
        lines += _table(f"calibration.camera.{json.dumps(device_id)}", values)
    lines.append(END)
    return "\n".join(lines) + "\n"


def save(path: Path, calibration: CalibrationSettings) -> Settings:
    """Write ``calibration`` into the settings file at ``path``; return the settings it now holds."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    rest, _ = split_block(text)
    try:
        outside = tomllib.loads(rest)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    if "calibration" in outside:
        raise ConfigError(
            f"{path}: [calibration] is written by `gerbang calibrate`; remove it from the file",
            key="calibration",
        )
    if rest and not rest.endswith("\n"):
        rest += "\n"
    new_text = rest + ("\n" if rest else "") + render(calibration)
    try:
        settings = validate_settings(tomllib.loads(new_text), source=str(path))
    except tomllib.TOMLDecodeError as exc:  # a bug in render, never the user's file
        raise ConfigError(f"calibration block does not parse ({exc})") from exc
    atomic_write(path, new_text)
    return settings


def atomic_write(path: Path, content: str | bytes, *, new_mode: int = 0o644) -> None:
    """Replace ``path`` with ``content`` atomically, keeping its permission bits."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    mode = path.stat().st_mode & 0o7777 if path.exists() else new_mode
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temp).chmod(mode)
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)

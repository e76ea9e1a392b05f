"""Convert domain records to and from JSON-compatible values.

Records are frozen dataclasses whose fields are built from: ``str``, ``int``,
``float``, ``bool``, ``None``, enums, ``date``, ``datetime`` (timezone-aware),
``bytes`` (base64), ``tuple[X, ...]`` and nested records. Decoding is driven by
the type hints, so a payload that does not match the record's shape raises
:class:`~models.errors.MalformedDataError` naming the field.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import types
import typing
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar, Union

from models.errors import MalformedDataError

T = TypeVar("T")

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]


def to_json_value(value: Any) -> JsonValue:
    """Encode a record (or any supported value) to plain JSON-compatible data."""
    if value is None or (
        isinstance(value, bool | int | float | str) and not isinstance(value, Enum)
    ):
        return value
    if isinstance(value, Enum):
        return to_json_value(value.value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime: records hold timezone-aware times only")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, tuple | list):
        return [to_json_value(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    raise TypeError(f"cannot encode {type(value).__name__}")


def dumps(record: Any) -> bytes:
    """Canonical JSON bytes of a record (sorted keys, no whitespace)."""
    return json.dumps(to_json_value(record), sort_keys=True, separators=(",", ":")).encode()


def loads(cls: type[T], raw: bytes | str) -> T:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedDataError(f"{cls.__name__}: not JSON") from exc
    record: T = from_json_value(cls, data)
    return record


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def from_json_value(tp: Any, value: Any, path: str = "") -> Any:
    """Decode ``value`` into type ``tp`` (a record class or a field type)."""
    where = path or getattr(tp, "__name__", str(tp))
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors: list[str] = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return from_json_value(arg, value, where)
            except MalformedDataError as exc:
                errors.append(str(exc))
        raise MalformedDataError("; ".join(errors) or f"{where}: null not allowed")
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(value, list):
            raise MalformedDataError(f"{where}: expected a list")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_json_value(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
        if len(args) != len(value):
            raise MalformedDataError(f"{where}: expected {len(args)} items")
        return tuple(
            from_json_value(a, v, f"{where}[{i}]")
            for i, (a, v) in enumerate(zip(args, value, strict=True))
        )
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _decode_record(tp, value, where)
    if isinstance(tp, type) and issubclass(tp, Enum):
        try:
            return tp(value)
        except ValueError as exc:
            raise MalformedDataError(f"{where}: {value!r} is not a {tp.__name__}") from exc
    if tp is datetime:
        if not isinstance(value, str):
            raise MalformedDataError(f"{where}: expected an ISO date-time string")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise MalformedDataError(f"{where}: bad date-time {value!r}") from exc
        if parsed.tzinfo is None:
            raise MalformedDataError(f"{where}: date-time without timezone")
        return parsed
    if tp is date:
        if not isinstance(value, str):
            raise MalformedDataError(f"{where}: expected an ISO date string")
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise MalformedDataError(f"{where}: bad date {value!r}") from exc
    if tp is bytes:
        if not isinstance(value, str):
            raise MalformedDataError(f"{where}: expected base64 text")
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedDataError(f"{where}: bad base64") from exc
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise MalformedDataError(f"{where}: expected a number")
        return float(value)
    if tp in (int, str, bool):
        if type(value) is not tp:
            raise MalformedDataError(f"{where}: expected {tp.__name__}")
        return value
    raise TypeError(f"{where}: unsupported field type {tp!r}")


def _decode_record(cls: type[Any], value: Any, where: str) -> Any:
    if not isinstance(value, dict):
        raise MalformedDataError(f"{where}: expected an object")
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in value:
            kwargs[f.name] = from_json_value(hints[f.name], value[f.name], f"{where}.{f.name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise MalformedDataError(f"{where}.{f.name}: missing")
    unknown = set(value) - {f.name for f in dataclasses.fields(cls)}
    if unknown:
        raise MalformedDataError(f"{where}: unknown fields {sorted(unknown)}")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise MalformedDataError(f"{where}: {exc}") from exc

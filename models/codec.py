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


_Decoder = typing.Callable[[Any, str], Any]
_DECODERS: dict[Any, _Decoder] = {}


def from_json_value(tp: Any, value: Any, path: str = "") -> Any:
    """Decode ``value`` into type ``tp`` (a record class or a field type).

    Each type's decoder is built once from its type hints and cached, so the
    per-value work is only the checks themselves (the sync feed decodes
    hundreds of thousands of records in one catch-up).
    """
    where = path or getattr(tp, "__name__", str(tp))
    return _decoder(tp)(value, where)


def _decoder(tp: Any) -> _Decoder:
    decoder = _DECODERS.get(tp)
    if decoder is None:
        decoder = _DECODERS[tp] = _build(tp)
    return decoder


def _build(tp: Any) -> _Decoder:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        return _union(tp)
    if origin is tuple:
        return _tuple(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _record(tp)
    if isinstance(tp, type) and issubclass(tp, Enum):
        enum_type = tp

        def enum_value(value: Any, where: str) -> Any:
            try:
                return enum_type(value)
            except ValueError as exc:
                raise MalformedDataError(
                    f"{where}: {value!r} is not a {enum_type.__name__}"
                ) from exc

        return enum_value
    if tp is datetime:
        return _datetime
    if tp is date:
        return _date
    if tp is bytes:
        return _bytes
    if tp is float:
        return _float
    if tp in (int, str, bool):
        exact = tp

        def scalar(value: Any, where: str) -> Any:
            if type(value) is not exact:
                raise MalformedDataError(f"{where}: expected {exact.__name__}")
            return value

        return scalar

    def unsupported(value: Any, where: str) -> Any:
        raise TypeError(f"{where}: unsupported field type {tp!r}")

    return unsupported


def _union(tp: Any) -> _Decoder:
    args = typing.get_args(tp)
    nullable = type(None) in args
    options = [_decoder(a) for a in args if a is not type(None)]

    def union(value: Any, where: str) -> Any:
        if value is None and nullable:
            return None
        errors: list[str] = []
        for option in options:
            try:
                return option(value, where)
            except MalformedDataError as exc:
                errors.append(str(exc))
        raise MalformedDataError("; ".join(errors) or f"{where}: null not allowed")

    return union


def _tuple(tp: Any) -> _Decoder:
    args = typing.get_args(tp)
    if len(args) == 2 and args[1] is Ellipsis:
        item = _decoder(args[0])

        def variadic(value: Any, where: str) -> Any:
            if not isinstance(value, list):
                raise MalformedDataError(f"{where}: expected a list")
            return tuple(item(v, f"{where}[{i}]") for i, v in enumerate(value))

        return variadic
    items = [_decoder(a) for a in args]

    def fixed(value: Any, where: str) -> Any:
        if not isinstance(value, list):
            raise MalformedDataError(f"{where}: expected a list")
        if len(items) != len(value):
            raise MalformedDataError(f"{where}: expected {len(items)} items")
        return tuple(
            d(v, f"{where}[{i}]") for i, (d, v) in enumerate(zip(items, value, strict=True))
        )

    return fixed


def _record(cls: type[Any]) -> _Decoder:
    plan: list[tuple[str, _Decoder, bool]] = []
    names: frozenset[str] = frozenset(f.name for f in dataclasses.fields(cls))

    def record(value: Any, where: str) -> Any:
        if not plan:  # built on first use: nested types resolve lazily
            hints = _hints(cls)
            plan.extend(
                (
                    f.name,
                    _decoder(hints[f.name]),
                    f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
                )
                for f in dataclasses.fields(cls)
            )
        if not isinstance(value, dict):
            raise MalformedDataError(f"{where}: expected an object")
        kwargs: dict[str, Any] = {}
        for name, decode, required in plan:
            if name in value:
                kwargs[name] = decode(value[name], f"{where}.{name}")
            elif required:
                raise MalformedDataError(f"{where}.{name}: missing")
        if not value.keys() <= names:
            raise MalformedDataError(f"{where}: unknown fields {sorted(set(value) - names)}")
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as exc:
            raise MalformedDataError(f"{where}: {exc}") from exc

    return record


def _datetime(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise MalformedDataError(f"{where}: expected an ISO date-time string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise MalformedDataError(f"{where}: bad date-time {value!r}") from exc
    if parsed.tzinfo is None:
        raise MalformedDataError(f"{where}: date-time without timezone")
    return parsed


def _date(value: Any, where: str) -> date:
    if not isinstance(value, str):
        raise MalformedDataError(f"{where}: expected an ISO date string")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise MalformedDataError(f"{where}: bad date {value!r}") from exc


def _bytes(value: Any, where: str) -> bytes:
    if not isinstance(value, str):
        raise MalformedDataError(f"{where}: expected base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedDataError(f"{where}: bad base64") from exc


def _float(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedDataError(f"{where}: expected a number")
    return float(value)

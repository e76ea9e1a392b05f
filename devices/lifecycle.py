"""Shared plumbing of device backends: lifecycle, busy state, health records."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import ClassVar, Self

from devices.base import Capability, DeviceInfo, Health
from models.errors import DeviceUnavailableError
from models.operations import DeviceKind, DeviceState


class Backoff:
    """Exponential backoff between reconnect attempts (not thread-safe; one owner)."""

    def __init__(self, initial_s: float, maximum_s: float, factor: float = 2.0) -> None:
        self.initial_s = initial_s
        self.maximum_s = maximum_s
        self.factor = factor
        self._next = initial_s
        self.attempts = 0

    def next_delay(self) -> float:
        delay = self._next
        self._next = min(self._next * self.factor, self.maximum_s)
        self.attempts += 1
        return delay

    def reset(self) -> None:
        self._next = self.initial_s
        self.attempts = 0


def now() -> datetime:
    return datetime.now(UTC)


class DeviceBase:
    """Base of the backends: ``open``/``close``, ``with``, busy tracking, health.

    Subclasses set ``kind``, ``backend`` and ``virtual`` and implement
    ``_open``, ``_close`` and ``_health``. ``health()`` reports BUSY while a
    blocking call runs (see :meth:`_operation`).
    """

    kind: ClassVar[DeviceKind]
    backend: ClassVar[str]
    virtual: ClassVar[bool] = False

    def __init__(self, device_id: str) -> None:
        self._device_id = device_id
        self._state_lock = threading.RLock()
        self._is_open = False
        self._busy = 0
        self._capabilities: frozenset[Capability] = frozenset()
        self._vendor = ""
        self._model = ""
        self._firmware = ""
        self._driver = ""

    # ---------------------------------------------------------------- identity
    @property
    def device_id(self) -> str:
        return self._device_id

    @property
    def info(self) -> DeviceInfo:
        return DeviceInfo(
            device_id=self._device_id,
            kind=self.kind,
            backend=self.backend,
            vendor=self._vendor,
            model=self._model,
            firmware=self._firmware,
            driver=self._driver,
            virtual=self.virtual or self._virtual_instance(),
        )

    def _virtual_instance(self) -> bool:
        """True when this instance turned out to be virtual (e.g. a libfprint virtual driver)."""
        return False

    @property
    def capabilities(self) -> frozenset[Capability]:
        return self._capabilities

    @property
    def is_open(self) -> bool:
        return self._is_open

    # ---------------------------------------------------------------- lifecycle
    def open(self) -> None:
        with self._state_lock:
            if self._is_open:
                return
            self._open()
            self._is_open = True

    def close(self) -> None:
        with self._state_lock:
            if not self._is_open:
                return
            self._is_open = False
            self._close()

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def health(self) -> Health:
        if not self._is_open:
            return Health(DeviceState.ABSENT, now(), "closed")
        health = self._health()
        if self._busy and health.state is DeviceState.READY:
            return Health(DeviceState.BUSY, health.checked_at, health.detail, health.figures)
        return health

    # ---------------------------------------------------------------- helpers
    def _require_open(self) -> None:
        if not self._is_open:
            raise DeviceUnavailableError(
                f"device {self._device_id} is not open", device_id=self._device_id
            )

    @contextmanager
    def _operation(self) -> Iterator[None]:
        """Mark the device busy for the duration of a blocking call."""
        self._require_open()
        with self._state_lock:
            self._busy += 1
        try:
            yield
        finally:
            with self._state_lock:
                self._busy -= 1

    # ---------------------------------------------------------------- to implement
    def _open(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    def _health(self) -> Health:
        raise NotImplementedError

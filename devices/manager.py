"""The device manager: opens the configured devices, watches them, reopens them, reports.

One supervisor thread per device, owned by the manager and stopped by
``stop()``. A supervisor opens its device (with exponential backoff after a
failure), checks its health every ``health_interval_s``, and closes and
reopens it when it stays unhealthy. A device that hangs in ``open`` or
``health`` therefore only stalls its own supervisor: the others go on, and
``status()`` never waits for a device.

State changes (READY, BUSY, ABSENT, ERROR, with a detail code) go to
subscribers through one notifier thread, in order, so a slow subscriber does
not hold up supervision either. A subscriber that raises is logged and the
others still get the change; a device whose ``open`` or ``health`` raises
something outside the error tree is reported ERROR (``open_failed``,
``health_failed``) and supervised on; a supervisor that dies anyway reports
ERROR ``supervisor_failed`` on its way out.

Each ``start()`` is a new run with its own stop event and event queue: a
supervisor left behind by ``stop()`` (its device hung in a call) ends when its
call returns and never publishes into, or supervises for, a later run.

Virtual devices are refused here too (defence in depth behind
``devices.factory``): a device whose ``info.virtual`` turns out true after
opening is closed and reported as ERROR ``virtual_refused`` in production.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from devices import params
from devices.base import Device, Health
from devices.lifecycle import Backoff, now
from models.errors import CardRemovedError, ConfigError, DeviceError, DeviceUnavailableError
from models.operations import DeviceKind, DeviceState, DeviceStatus
from models.settings import DeviceConfig, RunMode, Settings

log = logging.getLogger(__name__)

Subscriber = Callable[[DeviceStatus], None]

REOPEN_AFTER_CHECKS = 2  # consecutive unhealthy checks before the manager reopens a device
STARTING = "starting"


@dataclass
class _Run:
    """One start()..stop(): the threads of a run watch only its own stop event and queue."""

    stop: threading.Event = field(default_factory=threading.Event)
    events: queue.SimpleQueue[DeviceStatus | None] = field(default_factory=queue.SimpleQueue)


@dataclass
class _Managed:
    config: DeviceConfig
    device: Device
    status: DeviceStatus
    wake: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    busy: int = 0
    refused: bool = False
    opened: bool = False


class DeviceManager:
    def __init__(
        self,
        devices: Sequence[tuple[DeviceConfig, Device]],
        *,
        development: bool = False,
        health_interval_s: float = 2.0,
        reconnect_initial_s: float = 0.5,
        reconnect_max_s: float = 30.0,
    ) -> None:
        self._development = development
        self._interval = health_interval_s
        self._backoff = (reconnect_initial_s, reconnect_max_s)
        self._lock = threading.Lock()
        self._run = _Run()
        self._run.stop.set()  # not started
        self._subscribers: list[Subscriber] = []
        self._notifier: threading.Thread | None = None
        self._devices: dict[str, _Managed] = {}
        for config, device in devices:
            status = DeviceStatus(
                device_id=config.id,
                kind=config.kind,
                backend=config.backend,
                state=DeviceState.ABSENT,
                observed_at=now(),
                detail=STARTING,
            )
            self._devices[config.id] = _Managed(config, device, status)

    @classmethod
    def from_settings(
        cls, settings: Settings, base_dir: Path, *, only: str | None = None
    ) -> DeviceManager:
        from devices.factory import build_devices

        d = settings.devices
        return cls(
            build_devices(settings, base_dir, only=only),
            development=settings.kiosk.mode is RunMode.DEVELOPMENT,
            health_interval_s=d.health_interval_s,
            reconnect_initial_s=d.reconnect_initial_s,
            reconnect_max_s=d.reconnect_max_s,
        )

    # ---------------------------------------------------------------- queries
    @property
    def ids(self) -> list[str]:
        return list(self._devices)

    def device(self, device_id: str) -> Device:
        return self._managed(device_id).device

    def config(self, device_id: str) -> DeviceConfig:
        return self._managed(device_id).config

    def status(self, device_id: str | None = None) -> list[DeviceStatus]:
        """Snapshot of the devices' last known states (never waits for a device)."""
        with self._lock:
            items = list(self._devices.values())
        return [m.status for m in items if device_id is None or m.config.id == device_id]

    def by_kind(self, kind: DeviceKind) -> list[Device]:
        return [m.device for m in self._devices.values() if m.config.kind is kind]

    def wait_for(self, predicate: Callable[[list[DeviceStatus]], bool], timeout_s: float) -> bool:
        """Block until ``predicate(status())`` holds or the timeout passes (checks every 20 ms)."""
        deadline = time.monotonic() + timeout_s
        while not predicate(self.status()):
            if time.monotonic() >= deadline:
                return predicate(self.status())
            time.sleep(0.02)
        return True

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Get every state change (on the notifier thread); returns an unsubscribe function."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    @contextmanager
    def use(self, device_id: str) -> Iterator[Device]:
        """Use a device for a blocking call: BUSY meanwhile; a DeviceError makes it re-checked now."""
        managed = self._managed(device_id)
        if managed.status.state not in (DeviceState.READY, DeviceState.BUSY):
            raise DeviceUnavailableError(
                f"device {device_id} is {managed.status.state.value} ({managed.status.detail})",
                device_id=device_id,
            )
        with self._lock:
            managed.busy += 1
        self._publish(managed, DeviceState.BUSY, "")
        try:
            yield managed.device
        except CardRemovedError:
            raise  # the traveller took the card: not a device failure
        except DeviceError as exc:
            self._publish(managed, DeviceState.ERROR, exc.code)
            raise
        finally:
            with self._lock:
                managed.busy -= 1
            managed.wake.set()  # check health now

    def check_now(self, device_id: str | None = None) -> None:
        for m in self._devices.values():
            if device_id is None or m.config.id == device_id:
                m.wake.set()

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> None:
        if self._notifier is not None:
            return
        run = self._run = _Run()
        self._notifier = threading.Thread(
            target=self._notify, args=(run,), name="devices-notify", daemon=True
        )
        self._notifier.start()
        for managed in self._devices.values():
            managed.wake = threading.Event()
            managed.thread = threading.Thread(
                target=self._supervise,
                args=(managed, run),
                name=f"devices-{managed.config.id}",
                daemon=True,
            )
            managed.thread.start()

    def stop(self, join_s: float = params.THREAD_JOIN_S) -> None:
        """Stop supervising and close every device; a device stuck in a call is left behind."""
        run = self._run
        run.stop.set()
        for managed in self._devices.values():
            managed.wake.set()
        for managed in self._devices.values():
            if managed.thread is not None:
                managed.thread.join(join_s)
                if managed.thread.is_alive():
                    log.warning(
                        "device supervisor did not stop", extra={"device_id": managed.config.id}
                    )
                managed.thread = None
        if self._notifier is not None:
            run.events.put(None)
            self._notifier.join(join_s)
            self._notifier = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---------------------------------------------------------------- internals
    def _managed(self, device_id: str) -> _Managed:
        try:
            return self._devices[device_id]
        except KeyError:
            raise ConfigError(f"no device with id {device_id!r}", key="devices.device") from None

    def _publish(
        self, managed: _Managed, state: DeviceState, detail: str, run: _Run | None = None
    ) -> None:
        """Record and announce a state; ``run``: only while that run is current (supervisors)."""
        caps = tuple(sorted(c.value for c in managed.device.capabilities))
        with self._lock:
            if run is not None and (run.stop.is_set() or run is not self._run):
                return  # a supervisor of a stopped run: its news is stale
            old = managed.status
            if old.state is state and old.detail == detail and old.capabilities == caps:
                return
            managed.status = replace(
                old, state=state, detail=detail, observed_at=now(), capabilities=caps
            )
            status = managed.status
        log.info(
            "device state",
            extra={"device_id": status.device_id, "state": state.value, "code": detail},
        )
        self._run.events.put(status)

    def _notify(self, run: _Run) -> None:
        while True:
            status = run.events.get()
            if status is None:
                return
            with self._lock:
                subscribers = list(self._subscribers)
            for callback in subscribers:
                try:
                    callback(status)
                except Exception:  # one subscriber's bug must not silence the rest
                    log.exception(
                        "device state subscriber failed",
                        extra={"device_id": status.device_id, "code": "subscriber_failed"},
                    )

    def _wait(self, managed: _Managed, seconds: float, run: _Run) -> bool:
        """Sleep up to ``seconds`` (woken early by check_now/use); True when stopping."""
        managed.wake.wait(seconds)
        managed.wake.clear()
        return run.stop.is_set()

    def _health(self, managed: _Managed) -> Health:
        try:
            return managed.device.health()
        except DeviceError as exc:
            return Health(DeviceState.ERROR, now(), exc.code)
        except Exception:  # a driver bug: reported as ERROR, the device reopened
            log.exception(
                "device health check failed",
                extra={"device_id": managed.config.id, "code": "health_failed"},
            )
            return Health(DeviceState.ERROR, now(), "health_failed")

    def _supervise(self, managed: _Managed, run: _Run) -> None:
        try:
            self._supervise_loop(managed, run)
        except Exception:  # the thread ends, but never silently
            log.exception(
                "device supervisor failed",
                extra={"device_id": managed.config.id, "code": "supervisor_failed"},
            )
            self._publish(managed, DeviceState.ERROR, "supervisor_failed", run)
        finally:
            if run is self._run:  # else a later run owns the device now: leave it open
                self._close(managed)

    def _supervise_loop(self, managed: _Managed, run: _Run) -> None:
        backoff = Backoff(*self._backoff, params.BACKOFF_FACTOR)
        unhealthy = 0
        while not run.stop.is_set():
            if not managed.opened or managed.refused:
                if managed.refused or not self._try_open(managed, run):
                    if self._wait(managed, backoff.next_delay(), run):
                        return
                    continue
                backoff.reset()
                unhealthy = 0
            health = self._health(managed)
            if managed.busy and health.state is DeviceState.READY:
                state = DeviceState.BUSY
            else:
                state = health.state
            self._publish(managed, state, health.detail, run)
            if health.state in (DeviceState.ABSENT, DeviceState.ERROR):
                unhealthy += 1
                if unhealthy >= REOPEN_AFTER_CHECKS and not managed.busy:
                    log.info("reopening device", extra={"device_id": managed.config.id})
                    self._close(managed)
                    unhealthy = 0
                    if self._wait(managed, backoff.next_delay(), run):
                        return
                    continue
            else:
                unhealthy = 0
            if self._wait(managed, self._interval, run):
                return

    def _close(self, managed: _Managed) -> None:
        managed.opened = False
        try:
            managed.device.close()
        except DeviceError as exc:
            log.warning(
                "device did not close cleanly",
                extra={"device_id": managed.config.id, "code": exc.code},
            )
        except Exception:  # a driver bug in close must not stop supervision
            log.exception(
                "device close failed",
                extra={"device_id": managed.config.id, "code": "close_failed"},
            )

    def _try_open(self, managed: _Managed, run: _Run) -> bool:
        device = managed.device
        try:
            device.open()
        except ConfigError as exc:  # e.g. a virtual driver found where a real one was expected
            managed.refused = True
            self._publish(managed, DeviceState.ERROR, exc.code, run)
            return False
        except DeviceUnavailableError as exc:
            self._publish(managed, DeviceState.ABSENT, exc.code, run)
            return False
        except DeviceError as exc:
            self._publish(managed, DeviceState.ERROR, exc.code, run)
            return False
        except Exception:  # a driver bug: ERROR, retried with backoff
            log.exception(
                "device open failed", extra={"device_id": managed.config.id, "code": "open_failed"}
            )
            self._publish(managed, DeviceState.ERROR, "open_failed", run)
            return False
        if device.info.virtual and not self._development:
            self._close(managed)
            managed.refused = True
            self._publish(managed, DeviceState.ERROR, "virtual_refused", run)
            return False
        managed.opened = True
        return True


def snapshot(status: DeviceStatus, device: Device) -> dict[str, Any]:
    """JSON-ready description of a device (``gerbang devices list``)."""
    info = device.info
    return {
        "id": status.device_id,
        "kind": status.kind.value,
        "backend": status.backend,
        "state": status.state.value,
        "detail": status.detail,
        "virtual": info.virtual,
        "capabilities": list(status.capabilities),
        "vendor": info.vendor,
        "model": info.model,
        "firmware": info.firmware,
        "driver": info.driver,
        "observed_at": status.observed_at.isoformat(),
    }

"""The one private pcscd that every virtual-vpcd reader of a process shares.

libpcsclite binds a process to one pcscd socket at its first call, so two
virtual-vpcd readers in one process (an echo test card and a virtual passport,
say) cannot each start their own daemon. A :class:`VpcdHost` starts one
:class:`~devices.virtual.pcsc_harness.PcscHarness` with a vpcd reader per
device: the readers reserve their names before it starts, the first
``acquire`` starts it and points the process's PC/SC client at it, the last
``release`` stops it and restores the environment. ``devices.factory`` gives
all the virtual-vpcd devices of one settings file the same host.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import threading
from pathlib import Path

from devices.virtual.pcsc_harness import SOCKET_ENV, PcscHarness
from models.errors import ConfigError

READER_PREFIX = "Gerbang Virtual PCD"


class VpcdHost:
    def __init__(self, workdir: Path | None = None) -> None:
        self._workdir_option = workdir
        self._workdir: Path | None = None
        self._names: list[str] = []
        self._users = 0
        self._lock = threading.Lock()
        self._previous_env: str | None = None
        self.harness: PcscHarness | None = None

    @property
    def workdir_option(self) -> Path | None:
        return self._workdir_option

    def reserve(self) -> str:
        """A reader of its own on the daemon, by a unique name (before the daemon starts).

        The random part makes finding "our" reader proof that the process talks to our
        pcscd and not to another one.
        """
        with self._lock:
            if self.harness is not None:
                raise ConfigError(
                    "a virtual-vpcd reader was added after its private pcscd started",
                    key="devices.device",
                )
            name = f"{READER_PREFIX} {secrets.token_hex(3)}"
            self._names.append(name)
            return name

    def acquire(self) -> PcscHarness:
        """The running daemon (started, with the client environment set, by the first user)."""
        with self._lock:
            if self.harness is None:
                workdir = self._workdir_option or Path(tempfile.mkdtemp(prefix="gerbang-pcscd-"))
                harness = PcscHarness(
                    workdir, reader_name=self._names[0], more_readers=self._names[1:]
                )
                try:
                    harness.start()
                except BaseException:
                    self._remove(workdir)
                    raise
                self._workdir = workdir
                self._previous_env = os.environ.get(SOCKET_ENV)
                harness.apply_client_env()
                self.harness = harness
            self._users += 1
            return self.harness

    def release(self) -> None:
        """One user less; the last one stops the daemon and restores the environment."""
        with self._lock:
            if self._users == 0:
                return
            self._users -= 1
            if self._users or self.harness is None:
                return
            harness, self.harness = self.harness, None
            harness.stop()
            if self._previous_env is None:
                os.environ.pop(SOCKET_ENV, None)
            else:
                os.environ[SOCKET_ENV] = self._previous_env
            if self._workdir is not None:
                self._remove(self._workdir)
                self._workdir = None

    def _remove(self, workdir: Path) -> None:
        if self._workdir_option is None:
            shutil.rmtree(workdir, ignore_errors=True)

"""A private pcscd with a vpcd reader, started and stopped by code (tests, demo, CLI).

Nothing is started by hand and nothing is shared with the system's pcscd or with
other runs:

* the daemon gets its own client socket: we create and bind a Unix socket in
  our work directory and hand it over as systemd does (socket activation:
  ``LISTEN_FDS=1``, ``LISTEN_PID``, descriptor 3). pcscd 1.9.9 takes the
  socket path from its build (``/run/pcscd/pcscd.comm``), not from the
  environment, so this is how a second daemon can run. Clients find it through
  ``PCSCLITE_CSOCK_NAME``, which libpcsclite reads once per process, before its
  first PC/SC call;
* its reader configuration is our own directory (``pcscd -c DIR``) with one vpcd
  reader on a free TCP port (vpcd uses that port and the next one), or several
  readers (``more_readers``), each on a port pair of its own;
* when ``unshare`` can make a mount namespace (root, or unprivileged user
  namespaces), the daemon also gets a private ``/run`` (so it does not write
  ``/run/pcscd/pcscd.pid`` over the system one) and an empty USB driver
  directory (so it does not grab a real reader from the system's pcscd).
  Without it, the daemon still runs but writes and later removes
  ``/run/pcscd/pcscd.pid``.

This module does not use pyscard: clients (``devices.backends.pcsc``) do.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from models.errors import DeviceUnavailableError

PCSCD = "/usr/sbin/pcscd"
VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
USB_DRIVER_DIR = "/usr/lib/pcsc/drivers"
SOCKET_ENV = "PCSCLITE_CSOCK_NAME"
READY_LINE = "daemon ready"

# Runs inside the (optional) namespace: move the passed socket to fd 3, set the
# socket-activation variables for our own pid, and become pcscd.
_ACTIVATE = (
    'if [ "$0" != 3 ]; then eval "exec 3<&$0 $0<&-"; fi; '
    "export LISTEN_FDS=1 LISTEN_PID=$$; "
    'exec "$@"'
)
_PRIVATE_MOUNTS = (
    "mount -n -t tmpfs -o size=1m,mode=755 gerbang-pcscd-run /run && "
    f"mount -n -t tmpfs -o size=1m,mode=755 gerbang-pcscd-drivers {USB_DRIVER_DIR} && "
)


def _unshare_prefix() -> list[str] | None:
    """The unshare command line for a private mount namespace, or None when not possible."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    prefix = [unshare, "--mount", "--propagation", "private"]
    if os.geteuid() != 0:
        prefix[1:1] = ["--user", "--map-root-user"]
    probe = subprocess.run(  # noqa: S603 - fixed arguments
        [*prefix, "--", "true"], capture_output=True, timeout=10, check=False
    )
    return prefix if probe.returncode == 0 else None


def free_port_pair(host: str = "0.0.0.0", avoid: Sequence[int] = ()) -> int:  # noqa: S104 - vpcd binds all interfaces
    """A port P such that P and P+1 are free now (vpcd opens one per slot) and not in ``avoid``."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind((host, 0))
            port = int(first.getsockname()[1])
            if port >= 65535 or {port, port + 1} & set(avoid):
                continue
            with socket.socket() as second:
                try:
                    second.bind((host, port + 1))
                except OSError:
                    continue
        return port
    raise DeviceUnavailableError("no free pair of TCP ports for vpcd")


class PcscHarness:
    """pcscd + vpcd in ``workdir``. ``start()``/``stop()``/``restart()``, or ``with``."""

    def __init__(
        self,
        workdir: Path,
        *,
        reader_name: str = "Gerbang Virtual PCD",
        port: int | None = None,
        isolate: bool | None = None,
        pcscd: str = PCSCD,
        more_readers: Sequence[str] = (),
    ) -> None:
        self.workdir = workdir
        self.reader_name = reader_name
        self.reader_names = (reader_name, *more_readers)
        self._fixed_port = port
        self.port = port or 0
        self.ports: dict[str, int] = {}  # vpcd port of each reader (the first one: ``port``)
        self._isolate = isolate
        self._pcscd = pcscd
        self._process: subprocess.Popen[bytes] | None = None
        self._unshare: list[str] | None = None
        self.isolated = False
        self.with_reader = False
        self.socket_path = workdir / "pcscd.comm"
        self.config_dir = workdir / "reader.conf.d"
        self.log_path = workdir / "pcscd.log"

    # ---------------------------------------------------------------- client side
    def client_env(self) -> dict[str, str]:
        """The environment a PC/SC client process needs to talk to this daemon."""
        return {SOCKET_ENV: str(self.socket_path)}

    def apply_client_env(self) -> None:
        """Point this process's PC/SC client at the harness.

        libpcsclite reads the variable at its first call in a process and keeps
        it, so this must run before anything in the process used PC/SC.
        """
        os.environ.update(self.client_env())

    def slot_name(self, slot: int = 0) -> str:
        """The PC/SC reader name of a vpcd slot (pcsc-lite appends reader and slot numbers)."""
        return f"{self.reader_name} 00 {slot:02d}"

    def port_of(self, reader_name: str) -> int:
        """The vpcd port of one of the readers (where its VpcdBridge connects)."""
        return self.ports[reader_name]

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # ---------------------------------------------------------------- lifecycle
    def start(self, *, with_reader: bool = True, timeout_s: float = 10.0) -> None:
        if self.running:
            return
        if not Path(self._pcscd).is_file():
            raise DeviceUnavailableError(f"{self._pcscd} not found (install the pcscd package)")
        if with_reader and not VPCD_DRIVER.is_file():
            raise DeviceUnavailableError(f"{VPCD_DRIVER} not found (install vsmartcard-vpcd)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self._isolate is not False and self._unshare is None:
            self._unshare = _unshare_prefix()
            if self._isolate and self._unshare is None:
                raise DeviceUnavailableError("unshare cannot create a private mount namespace")
        attempts = 1 if self._fixed_port else 6
        for attempt in range(attempts):
            # keep the ports across restarts (bridges reconnect to them) unless they failed
            reuse = dict(self.ports) if attempt == 0 else {}
            self.port = self._fixed_port or reuse.get(self.reader_name) or free_port_pair()
            self.ports = {self.reader_name: self.port}
            for name in self.reader_names[1:]:
                taken = [p + i for p in self.ports.values() for i in (0, 1)]
                self.ports[name] = reuse.get(name) or free_port_pair(avoid=taken)
            self._write_config(with_reader)
            self._spawn()
            if self._wait_ready(with_reader, timeout_s):
                self.with_reader = with_reader
                return
            self.stop()
            if attempt + 1 == attempts:
                break
        raise DeviceUnavailableError(
            f"private pcscd did not start; log {self.log_path}: {self.log_text()[-600:]}"
        )

    def stop(self, timeout_s: float = 5.0) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout_s)

    def kill(self) -> None:
        """Stop the daemon abruptly (SIGKILL), as a crash would."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(5)

    def restart(self, *, with_reader: bool = True, timeout_s: float = 10.0) -> None:
        """Stop and start again on the same socket path and port."""
        self.stop()
        self.start(with_reader=with_reader, timeout_s=timeout_s)

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
    def _write_config(self, with_reader: bool) -> None:
        self.config_dir.mkdir(parents=True, exist_ok=True)
        for old in self.config_dir.iterdir():
            old.unlink()
        if not with_reader:
            return
        for index, name in enumerate(self.reader_names):
            port = self.ports[name]
            driver = VPCD_DRIVER
            # A copy of the driver: hidden in the namespace otherwise, and one per reader,
            # because the vpcd driver keeps its slots in globals (pcscd loads a library
            # once per path: readers sharing one would share their cards).
            if self._unshare is not None or index > 0:
                driver = self.workdir / f"{VPCD_DRIVER.stem}-{index}{VPCD_DRIVER.suffix}"
                shutil.copyfile(VPCD_DRIVER, driver)
            (self.config_dir / f"vpcd-{index}").write_text(
                f'FRIENDLYNAME "{name}"\n'
                f"DEVICENAME   /dev/null:0x{port:04X}\n"
                f"LIBPATH      {driver}\n"
                f"CHANNELID    0x{port:04X}\n"
            )

    def _spawn(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(str(self.socket_path))
            self.socket_path.chmod(0o666)
            listener.listen(64)
            fd = listener.fileno()
            daemon = [self._pcscd, "--foreground", "--info", "-c", str(self.config_dir)]
            script = _ACTIVATE
            prefix: list[str] = []
            if self._unshare is not None:
                prefix = [*self._unshare, "--"]
                script = _PRIVATE_MOUNTS + script
                self.isolated = True
            with self.log_path.open("wb") as log_file:
                self._process = subprocess.Popen(  # noqa: S603 - fixed program, our arguments
                    [*prefix, "bash", "-c", script, str(fd), *daemon],
                    pass_fds=(fd,),
                    stdin=subprocess.DEVNULL,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        finally:
            listener.close()  # pcscd holds it now; when pcscd dies, clients get "no service"

    def _wait_ready(self, with_reader: bool, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        wants = [f"port {p}\n" for p in self.ports.values()] if with_reader else [READY_LINE]
        while time.monotonic() < deadline:
            text = self.log_text()
            if READY_LINE in text and all(want in text for want in wants):
                return "Could not initialize connection" not in text
            if self._process is None or self._process.poll() is not None:
                return False
            time.sleep(0.02)
        return False

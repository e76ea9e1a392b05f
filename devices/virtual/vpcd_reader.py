"""A virtual card reader on the real PC/SC stack: private pcscd + vpcd + a software card.

Opening it starts a :class:`PcscHarness` (a private pcscd with a vpcd reader),
points this process's PC/SC client at it, puts the applet on the reader with a
:class:`VpcdBridge`, and opens a :class:`PcscCardReader` on that reader. Every
APDU goes through pyscard, libpcsclite, pcscd and the vpcd driver, as with a
hardware reader. ``insert_card``/``remove_card`` move the virtual card.

libpcsclite binds a process to one pcscd socket at its first call, so this
reader must be the first PC/SC user of its process (the CLI and the demo are).
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path

from devices.backends.pcsc import PcscCardReader
from devices.base import CardApplet, CardChannel, Health, Retry
from devices.lifecycle import DeviceBase, now
from devices.virtual.pcsc_harness import SOCKET_ENV, PcscHarness
from devices.virtual.vpcd import VpcdBridge
from models.errors import DeviceUnavailableError
from models.operations import DeviceKind, DeviceState


class VpcdCardReader(DeviceBase):
    kind = DeviceKind.CARD_READER
    backend = "virtual-vpcd"
    virtual = True

    def __init__(
        self,
        device_id: str,
        *,
        applet: CardApplet,
        inserted: bool = True,
        extended_length: bool = True,
        transmit_timeout_s: float = 10.0,
        workdir: Path | None = None,
    ) -> None:
        super().__init__(device_id)
        self._applet = applet
        self._inserted = inserted
        self._extended = extended_length
        self._transmit_timeout_s = transmit_timeout_s
        self._workdir_option = workdir
        self._workdir: Path | None = None
        self.harness: PcscHarness | None = None
        self.bridge: VpcdBridge | None = None
        self._reader: PcscCardReader | None = None
        self._previous_env: str | None = None

    # ---------------------------------------------------------------- card handling
    def insert_card(self, timeout_s: float = 5.0) -> None:
        self._bridge().insert(timeout_s)

    def remove_card(self) -> None:
        self._bridge().remove()

    def _bridge(self) -> VpcdBridge:
        if self.bridge is None:
            self._require_open()
            raise DeviceUnavailableError("reader not open", device_id=self.device_id)
        return self.bridge

    def _pcsc(self) -> PcscCardReader:
        if self._reader is None:
            self._require_open()
            raise DeviceUnavailableError("reader not open", device_id=self.device_id)
        return self._reader

    # ---------------------------------------------------------------- CardReader
    def wait_for_card(self, timeout_s: float = 30.0) -> CardChannel | Retry:
        with self._operation():
            return self._pcsc().wait_for_card(timeout_s)

    def card_present(self) -> bool:
        return self._reader is not None and self._reader.card_present()

    def wait_for_removal(self, timeout_s: float = 30.0) -> bool:
        return self._pcsc().wait_for_removal(timeout_s)

    @property
    def atr(self) -> bytes | None:
        return self._reader.atr if self._reader is not None else None

    # ---------------------------------------------------------------- lifecycle
    def _open(self) -> None:
        self._workdir = self._workdir_option or Path(tempfile.mkdtemp(prefix="gerbang-pcscd-"))
        # a name of its own, so that finding "our" reader proves we talk to our pcscd
        harness = PcscHarness(
            self._workdir, reader_name=f"Gerbang Virtual PCD {secrets.token_hex(3)}"
        )
        harness.start()
        self._previous_env = os.environ.get(SOCKET_ENV)
        harness.apply_client_env()
        bridge = VpcdBridge(self._applet, port=harness.port)
        reader = PcscCardReader(
            self.device_id,
            reader=harness.slot_name(0),
            extended_length=self._extended,
            transmit_timeout_s=self._transmit_timeout_s,
            allow_virtual_readers=True,
        )
        try:
            if self._inserted:
                bridge.insert()
            reader.open()
            self._await_reader(reader, harness.slot_name(0))
        except DeviceUnavailableError:
            reader.close()
            bridge.remove()
            harness.stop()
            self._restore_env()
            self._remove_workdir()
            raise
        self.harness, self.bridge, self._reader = harness, bridge, reader
        info = reader.info
        self._model, self._driver = harness.slot_name(0), f"{info.driver}+vpcd"
        self._capabilities = reader.capabilities

    def _await_reader(self, reader: PcscCardReader, name: str) -> None:
        """Our reader (a unique name) must be listed, or the process talks to another pcscd."""
        if name not in reader.readers():
            raise DeviceUnavailableError(
                "the private pcscd's reader is not visible: this process's PC/SC client "
                "is bound to another pcscd (virtual-vpcd must be its first PC/SC user)",
                device_id=self.device_id,
            )

    def _close(self) -> None:
        reader, bridge, harness = self._reader, self.bridge, self.harness
        self._reader = self.bridge = self.harness = None
        if reader is not None:
            reader.close()
        if bridge is not None:
            bridge.remove()
        if harness is not None:
            harness.stop()
        self._restore_env()
        self._remove_workdir()

    def _restore_env(self) -> None:
        if self._previous_env is None:
            os.environ.pop(SOCKET_ENV, None)
        else:
            os.environ[SOCKET_ENV] = self._previous_env

    def _remove_workdir(self) -> None:
        if self._workdir is not None and self._workdir_option is None:
            shutil.rmtree(self._workdir, ignore_errors=True)
        self._workdir = None

    def _health(self) -> Health:
        reader = self._reader
        if reader is None:
            return Health(DeviceState.ABSENT, now(), "closed")
        return reader.health()

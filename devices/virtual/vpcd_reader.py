"""A virtual card reader on the real PC/SC stack: private pcscd + vpcd + a software card.

Opening it starts (or joins) the private pcscd of its :class:`VpcdHost` (a
:class:`PcscHarness` with one vpcd reader per virtual-vpcd device), points this
process's PC/SC client at it, puts the applet on its own vpcd reader with a
:class:`VpcdBridge`, and opens a :class:`PcscCardReader` on that reader. Every
APDU goes through pyscard, libpcsclite, pcscd and the vpcd driver, as with a
hardware reader. ``insert_card``/``remove_card`` move the virtual card.

libpcsclite binds a process to one pcscd socket at its first call, so these
readers must be the first PC/SC users of their process (the CLI and the demo
are), and all of them share one host (``devices.factory`` sees to that).
"""

from __future__ import annotations

from pathlib import Path

from devices.backends.pcsc import PcscCardReader
from devices.base import CardApplet, CardChannel, Health, Retry
from devices.lifecycle import DeviceBase, now
from devices.virtual.pcsc_harness import PcscHarness
from devices.virtual.vpcd import VpcdBridge
from devices.virtual.vpcd_host import VpcdHost
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
        host: VpcdHost | None = None,
    ) -> None:
        super().__init__(device_id)
        self._applet = applet
        self._inserted = inserted
        self._extended = extended_length
        self._transmit_timeout_s = transmit_timeout_s
        self._host = host or VpcdHost(workdir)
        self._name = self._host.reserve()
        self.harness: PcscHarness | None = None
        self.bridge: VpcdBridge | None = None
        self._reader: PcscCardReader | None = None

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
        harness = self._host.acquire()
        try:
            bridge = VpcdBridge(self._applet, port=harness.port_of(self._name))
            reader = PcscCardReader(
                self.device_id,
                reader=self._name,
                extended_length=self._extended,
                transmit_timeout_s=self._transmit_timeout_s,
                allow_virtual_readers=True,
            )
        except BaseException:
            self._host.release()
            raise
        try:
            if self._inserted:
                bridge.insert()
            reader.open()
            self._await_reader(reader)
        except DeviceUnavailableError:
            reader.close()
            bridge.remove()
            self._host.release()
            raise
        self.harness, self.bridge, self._reader = harness, bridge, reader
        info = reader.info
        self._model, self._driver = reader.reader_name or self._name, f"{info.driver}+vpcd"
        self._capabilities = reader.capabilities

    def _await_reader(self, reader: PcscCardReader) -> None:
        """Our reader (a unique name) must be listed, or the process talks to another pcscd."""
        if not any(name.startswith(f"{self._name} ") for name in reader.readers()):
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
            self._host.release()

    def _health(self) -> Health:
        reader = self._reader
        if reader is None:
            return Health(DeviceState.ABSENT, now(), "closed")
        return reader.health()

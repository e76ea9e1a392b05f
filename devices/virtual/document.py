"""Virtual document scanner: data-page images from a folder, scripted."""

from __future__ import annotations

import time
from pathlib import Path

from devices.base import DocumentImage, Health, Retry, RetryReason
from devices.errors import SourceLostError
from devices.lifecycle import now
from devices.virtual.script import StepKind
from devices.virtual.scripted import Deadline, ScriptedDevice
from devices.virtual.sources import ImageFolder
from models.operations import DeviceKind, DeviceState


class VirtualDocumentScanner(ScriptedDevice):
    kind = DeviceKind.DOCUMENT_SCANNER
    backend = "virtual-document"

    def __init__(
        self,
        device_id: str,
        *,
        source: Path,
        ppi: int | None = None,
        script: list[str] | tuple[str, ...] = (),
        loop_script: bool = True,
    ) -> None:
        super().__init__(device_id, script=script, loop_script=loop_script)
        self._folder = ImageFolder(source)
        self._ppi = ppi
        self._driver = "virtual"
        self._model = self._folder.describe()

    def _open(self) -> None:
        super()._open()
        try:
            self._folder.check()
        except SourceLostError as exc:
            raise SourceLostError(str(exc), device_id=self.device_id) from exc

    def _health(self) -> Health:
        base = super()._health()
        if base.state is not DeviceState.READY:
            return base
        try:
            self._folder.check()
        except SourceLostError:
            return Health(DeviceState.ABSENT, now(), "source_lost")
        return base

    def scan(self, timeout_s: float = 10.0) -> DocumentImage | Retry:
        with self._operation():
            deadline = time.monotonic() + timeout_s
            try:
                step = self._next_terminal(deadline)
            except Deadline:
                return Retry(RetryReason.NO_DOCUMENT, "no document within the timeout")
            if step.kind is StepKind.RETRY and step.reason is not None:
                return Retry(step.reason, "scripted")
            try:
                image = self._folder.next()
            except SourceLostError as exc:
                raise SourceLostError(str(exc), device_id=self.device_id) from exc
            if image is None:
                return Retry(RetryReason.NO_DOCUMENT, "unreadable image")
            return DocumentImage(image=image, timestamp=time.monotonic(), ppi=self._ppi)

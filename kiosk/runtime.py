"""The production kiosk, wired from the settings (Qt-free).

``gerbang kiosk`` builds one :class:`KioskRuntime`: the store and its keys, the
configured devices (document scanner, passport reader, camera, gate), the CSCA
trust store of ``documents.trust_paths``, the face models (the long dlib calls in
a child process), the face gallery index kept in step with the store, the
transaction recorder, and - when ``sync.server_url`` is set - the sync loop, whose
applied feed pages update the index. :meth:`KioskRuntime.offline_status` says
when the offline policy sends every traveller to an officer.

Production mode refuses virtual devices (the device factory does); a missing
device kind is a :class:`~models.errors.ConfigError` naming it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

from models.errors import ConfigError
from models.operations import DeviceKind
from models.policy import BorderPolicy

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from biometrics.face.worker import EmbeddingWorker
    from biometrics.index import BiometricIndex
    from devices.base import Camera, CardReader, DocumentScanner, GateController
    from devices.epassport.trust import TrustStore
    from kiosk.backup_schedule import BackupScheduler
    from kiosk.traveller.flow import TravellerFlow
    from kiosk.traveller.live import LiveServices
    from models.audit import AuditLog
    from models.settings import Settings
    from models.store import Store
    from sync.engine import SyncEngine
    from sync.loop import SyncLoop
    from sync.policy import OfflineStatus

log = logging.getLogger(__name__)


@dataclass
class KioskRuntime:
    settings: Settings
    store: Store
    audit: AuditLog
    policy: BorderPolicy
    flow: TravellerFlow
    services: LiveServices
    index: BiometricIndex
    embedder: EmbeddingWorker
    devices: tuple[object, ...]
    backups: BackupScheduler | None = None
    engine: SyncEngine | None = None
    loop: SyncLoop | None = None
    _closed: bool = field(default=False, repr=False)

    def offline_status(self, now: datetime | None = None) -> OfflineStatus | None:
        """The offline policy's verdict; None when no central server is configured."""
        return None if self.engine is None else self.engine.offline_status(now)

    def start(self) -> None:
        """Start the background work: the embedding process, backups, the sync loop."""
        self.embedder.start()
        if self.backups is not None:
            self.backups.start()
        if self.loop is not None:
            self.loop.start()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.loop is not None:
            self.loop.stop()
        if self.backups is not None:
            self.backups.stop()
        self.embedder.close()
        for device in self.devices:
            device.close()  # type: ignore[attr-defined]
        self.index.close()
        self.store.close()


def _pick(built: list[tuple[object, object]], kind: DeviceKind, chosen: str | None) -> object:
    from models.settings import DeviceConfig

    for config, device in built:
        assert isinstance(config, DeviceConfig)  # noqa: S101 - build_devices' contract
        if config.kind is kind and (chosen is None or config.id == chosen):
            return device
    raise ConfigError(
        f"the kiosk needs a {kind.value} device: configure an enabled [[devices.device]] "
        f"of kind {kind.value!r}",
        key="devices.device",
    )


def trust_store(settings: Settings, base_dir: Path) -> TrustStore:
    from devices.epassport.trust import TrustStore

    paths = [p if p.is_absolute() else base_dir / p for p in settings.documents.trust_paths]
    if not paths:
        raise ConfigError(
            "no CSCA trust store: set documents.trust_paths (a master list, certificates or a "
            "folder); without one no passport passes Passive Authentication",
            key="documents.trust_paths",
        )
    return TrustStore.from_paths(
        paths, require_anchored_lists=settings.documents.require_anchored_lists
    )


def build_runtime(
    settings: Settings, base_dir: Path, *, policy: BorderPolicy | None = None
) -> KioskRuntime:
    """Everything ``gerbang kiosk`` runs on. Call :meth:`KioskRuntime.start` next."""
    from biometrics.face.models import load_models
    from biometrics.face.verify import policy_from_settings
    from biometrics.face.worker import EmbeddingWorker
    from biometrics.index import FACE_GALLERY, BiometricIndex, StoreGallerySource
    from devices.factory import build_devices, document_reader_id
    from kiosk.backup_schedule import BackupScheduler
    from kiosk.traveller.document_step import DocumentStep
    from kiosk.traveller.face_step import FaceStep
    from kiosk.traveller.flow import Timeouts, TravellerFlow
    from kiosk.traveller.live import LiveServices
    from kiosk.traveller.recording import TransactionRecorder
    from models.audit import AuditLog
    from models.backup import finish_interrupted_restore
    from models.keys import KeyStore
    from models.store import Store

    border = policy or BorderPolicy()
    finish_interrupted_restore(settings.data_dir)
    keys = KeyStore(settings.key_dir)
    store = Store.open(settings.store_path, keys.store_key())
    opened: list[DocumentScanner | CardReader | Camera | GateController] = []
    try:
        built = cast("list[tuple[object, object]]", build_devices(settings, base_dir))
        scanner = cast("DocumentScanner", _pick(built, DeviceKind.DOCUMENT_SCANNER, None))
        reader = cast(
            "CardReader", _pick(built, DeviceKind.CARD_READER, document_reader_id(settings))
        )
        camera = cast("Camera", _pick(built, DeviceKind.CAMERA, None))
        gate = cast("GateController", _pick(built, DeviceKind.GATE, None))
        for device in (scanner, reader, camera, gate):
            device.open()
            opened.append(device)
        # after the devices: a virtual passport makes its test PKI when it is built
        trust = trust_store(settings, base_dir)
        index = BiometricIndex.open(
            StoreGallerySource(store, FACE_GALLERY),
            settings.data_dir / "index",
            keys.load_or_create("index"),
        )
    except BaseException:
        for device in opened:
            device.close()
        store.close()
        raise
    audit = AuditLog(store, keys.signing_key())
    embedder = EmbeddingWorker()
    step_s = settings.kiosk.step_timeout_s
    face = FaceStep(
        camera,
        load_models,
        store,
        index,
        liveness=border.require_liveness,
        timeout_s=step_s,
        # the technician's calibrated operating point ([calibration.face]), else the shipped one
        verification=policy_from_settings(settings.calibration.face),
        embedder=embedder,
    )
    services = LiveServices(
        document=DocumentStep(scanner, reader, trust, timeout_s=step_s),
        face=face,
        gate=gate,
        # staff alerts (device failures, a traveller asking for an officer, ...) are audited
        alert=lambda reason: audit.append(
            f"kiosk:{settings.kiosk.id}", "kiosk.alert", reason, {"code": reason}
        ),
        recorder=TransactionRecorder(
            store,
            audit,
            border,
            kiosk_id=settings.kiosk.id,
            office_id=settings.kiosk.office_id,
        ),
    )
    flow = TravellerFlow(border, timeouts=Timeouts(), clock=lambda: datetime.now(UTC))
    runtime = KioskRuntime(
        settings,
        store,
        audit,
        border,
        flow,
        services,
        index,
        embedder,
        (scanner, reader, camera, gate),
        backups=BackupScheduler(settings, store, keys, audit),
    )
    if settings.sync.server_url:
        _with_sync(runtime, keys.signing_key())
    return runtime


def _with_sync(runtime: KioskRuntime, signing_key: Ed25519PrivateKey) -> None:
    from sync.engine import SyncEngine
    from sync.loop import SyncLoop

    index = runtime.index

    def update_index(_: object) -> None:
        # The applied page's templates and watchlist memberships, without a rebuild.
        report = index.reconcile()
        log.info("index updated from the feed", extra={"outcome": str(report)})

    runtime.engine = SyncEngine(
        runtime.store,
        runtime.settings,
        signing_key,
        index_hook=update_index,
    )
    runtime.loop = SyncLoop(runtime.engine, interval_s=runtime.settings.sync.interval_s)

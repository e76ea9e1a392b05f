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

from models.errors import ConfigError, GerbangError
from models.operations import DeviceKind
from models.policy import BorderPolicy

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from biometrics.face.worker import EmbeddingWorker
    from biometrics.index import BiometricIndex
    from devices.base import (
        Camera,
        CardReader,
        Device,
        DocumentScanner,
        FingerprintScanner,
        GateController,
    )
    from devices.epassport.trust import TrustStore
    from kiosk.backup_schedule import BackupScheduler
    from kiosk.traveller.flow import TravellerFlow
    from kiosk.traveller.live import LiveServices
    from models.audit import AuditLog
    from models.settings import DeviceConfig, Settings
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
        if self.services.finger is not None:
            # the watchlist's fingerprint gallery, built before the first traveller needs it
            self.services.finger.watchlist.refresh()
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


def _pick(built: list[tuple[DeviceConfig, Device]], kind: DeviceKind, chosen: str | None) -> Device:
    for config, device in built:
        if config.kind is kind and (chosen is None or config.id == chosen):
            return device
    raise ConfigError(
        f"the kiosk needs a {kind.value} device: configure an enabled [[devices.device]] "
        f"of kind {kind.value!r}",
        key="devices.device",
    )


def trust_store(settings: Settings, base_dir: Path, store: Store | None = None) -> TrustStore:
    """The CSCA trust store: ``documents.trust_paths``, then the trust anchors the central
    server published in its (signature-verified) ``trust_anchor`` feed."""
    from devices.epassport.certinfo import CertInfo
    from devices.epassport.trust import TrustStore
    from models import codec
    from models.bundles import TrustAnchor

    paths = [p if p.is_absolute() else base_dir / p for p in settings.documents.trust_paths]
    anchors = (
        [codec.loads(TrustAnchor, d.payload) for d in store.feed_documents.of_kind("trust_anchor")]
        if store is not None
        else []
    )
    if not paths and not anchors:
        raise ConfigError(
            "no CSCA trust store: set documents.trust_paths (a master list, certificates or a "
            "folder) or sync with the central server; without one no passport passes "
            "Passive Authentication",
            key="documents.trust_paths",
        )
    trust = TrustStore.from_paths(
        paths, require_anchored_lists=settings.documents.require_anchored_lists
    )
    # certificates first: master lists are verified against them
    for anchor in sorted(anchors, key=lambda a: a.format != "csca-der"):
        source = f"feed:{anchor.anchor_id}"
        try:
            if anchor.format == "csca-der":
                trust.add_certificate(CertInfo.load(anchor.data), source=source)
            elif anchor.format == "masterlist-cms":
                trust.add_master_list(
                    anchor.data,
                    source=source,
                    require_anchored=settings.documents.require_anchored_lists,
                )
            elif anchor.format == "crl-der":
                trust.add_crl(anchor.data, source=source)
            else:
                log.warning("unknown trust anchor format", extra={"code": anchor.format})
        except GerbangError as exc:  # one bad anchor must not keep the kiosk from starting
            log.error("trust anchor refused", extra={"code": exc.code})  # noqa: TRY400
    return trust


def build_runtime(
    settings: Settings, base_dir: Path, *, policy: BorderPolicy | None = None
) -> KioskRuntime:
    """Everything ``gerbang kiosk`` runs on. Call :meth:`KioskRuntime.start` next."""
    from biometrics.face.models import load_models
    from biometrics.face.verify import policy_from_settings
    from biometrics.face.worker import EmbeddingWorker
    from biometrics.fingerprint.verify import policy_from_settings as finger_policy
    from biometrics.index import FACE_GALLERY, BiometricIndex, StoreGallerySource
    from devices.factory import build_devices, document_reader_id
    from kiosk.backup_schedule import BackupScheduler
    from kiosk.traveller.document_step import DocumentStep
    from kiosk.traveller.face_step import FaceStep
    from kiosk.traveller.finger_step import FingerStep
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
    opened: list[Device] = []
    try:
        built = build_devices(settings, base_dir)
        scanner = cast("DocumentScanner", _pick(built, DeviceKind.DOCUMENT_SCANNER, None))
        reader = cast(
            "CardReader", _pick(built, DeviceKind.CARD_READER, document_reader_id(settings))
        )
        camera = cast("Camera", _pick(built, DeviceKind.CAMERA, None))
        gate = cast("GateController", _pick(built, DeviceKind.GATE, None))
        fingers = [d for c, d in built if c.kind is DeviceKind.FINGERPRINT]
        finger_scanner = cast("FingerprintScanner", fingers[0]) if fingers else None
        needed: list[Device] = [scanner, reader, camera, gate]
        for device in needed + ([finger_scanner] if finger_scanner else []):
            device.open()
            opened.append(device)
        # after the devices: a virtual passport makes its test PKI when it is built
        trust = trust_store(settings, base_dir, store)
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

    def audited_alert(reason: str) -> None:
        # staff alerts (device failures, a traveller asking for an officer, ...) are audited
        audit.append(f"kiosk:{settings.kiosk.id}", "kiosk.alert", reason, {"code": reason})

    services = LiveServices(
        document=DocumentStep(scanner, reader, trust, timeout_s=step_s),
        face=face,
        gate=gate,
        alert=audited_alert,
        # no scanner configured: fingerprint checks are reported unavailable (never passed)
        # the technician's calibrated fingerprint points ([calibration.fingerprint]), else shipped
        finger=FingerStep(
            finger_scanner,
            store,
            timeout_s=min(step_s, 30.0),
            policy=finger_policy(settings.calibration.fingerprint),
        )
        if finger_scanner is not None
        else None,
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
        (scanner, reader, camera, gate, *([finger_scanner] if finger_scanner else [])),
        backups=BackupScheduler(settings, store, keys, audit),
    )
    if settings.sync.server_url:
        _with_sync(runtime, keys.signing_key())
    return runtime


def _with_sync(runtime: KioskRuntime, signing_key: Ed25519PrivateKey) -> None:
    from biometrics.index import FACE_GALLERY, StoreGallerySource
    from sync.apply import INDEX_DIRTY, WATCHLIST_GALLERY, IndexDelta
    from sync.engine import SyncEngine
    from sync.loop import SyncLoop

    store, index = runtime.store, runtime.index
    source = StoreGallerySource(store, FACE_GALLERY)
    finger = runtime.services.finger

    def update_index(delta: IndexDelta) -> None:
        # The applied page's template and watchlist changes, without a rebuild; the
        # store already holds them (the hook runs after the page's transaction).
        watch = delta.gallery == WATCHLIST_GALLERY
        index.apply(
            source.changes(
                templates=[r.template_id for r in delta.face_refs],
                removed_rows=delta.face_removed,
                watchlist=[store.watchlist.get(e) for e in delta.entries_upserted] if watch else [],
                removed_entries=delta.entries_removed if watch else [],
            )
        )
        if watch and finger is not None:
            finger.watchlist.refresh()  # rebuilt on its own thread, not the sync or UI thread

    if store.sync_state.get(INDEX_DIRTY):
        # a previous run stopped between a page's commit and the index update
        log.warning("index missed feed changes: rebuilding", extra={"code": "index.dirty"})
        index.rebuild().wait()
        store.sync_state.delete(INDEX_DIRTY)
    runtime.engine = SyncEngine(store, runtime.settings, signing_key, index_hook=update_index)
    runtime.loop = SyncLoop(runtime.engine, interval_s=runtime.settings.sync.interval_s)

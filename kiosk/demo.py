"""The demo kiosk: complete traveller transactions on virtual devices (Qt-free).

Everything real but the hardware: a document page image read by the MRZ OCR,
the virtual ePassport chip (PACE, Passive/Chip/Active Authentication, a test
CSCA it creates) on the in-process reader, a virtual camera playing frames of a
portrait, the face pipeline, the FAISS watchlist gallery, the encrypted store,
the audit log and the sync outbox. The portrait is a public-domain NASA photo
(``kiosk/demo_media/NOTICE.md``), never test data.

The camera plays a photograph, so the liveness challenge (blink, head turn)
cannot pass: the demo's policy does not require liveness, and says so.

Scenarios: ``pass``, ``watchlist_hit``, ``expired_document``,
``tampered_chip``, ``card_removed``, ``timeout``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from biometrics.face import api
from biometrics.face.worker import FaceEmbedder
from biometrics.index import FACE_GALLERY, BiometricIndex, StoreGallerySource, membership_for
from devices.backends.gates import LogGate
from devices.epassport.emulator.applet import epassport_applet
from devices.epassport.trust import TrustStore
from devices.mrz.compose import compose_mrz, encode_names
from devices.virtual.camera import VirtualCamera
from devices.virtual.document import VirtualDocumentScanner
from devices.virtual.loopback import LoopbackCardReader
from devices.virtual.media import document_page
from kiosk.traveller.document_step import DocumentStep
from kiosk.traveller.face_step import FaceStep
from kiosk.traveller.flow import Timeouts, TravellerFlow
from kiosk.traveller.live import LiveServices
from kiosk.traveller.recording import TransactionRecorder
from models.audit import AuditLog
from models.biometric import FaceTemplate, SampleSource
from models.identity import MrzType
from models.keys import KeyStore
from models.policy import BorderPolicy
from models.store import Store
from models.watchlist import WatchlistCategory, WatchlistEntry

PORTRAIT = Path(__file__).resolve().parent / "demo_media" / "portrait.jpg"
# Someone else's passport photo (see demo_media/NOTICE.md): the face-mismatch scenario.
OTHER_PERSON = PORTRAIT.with_name("other_person.jpg")


class Scenario(StrEnum):
    PASS = "pass"  # noqa: S105 - a scenario name, not a password
    FACE_MISMATCH = "face_mismatch"
    WATCHLIST_HIT = "watchlist_hit"
    EXPIRED_DOCUMENT = "expired_document"
    TAMPERED_CHIP = "tampered_chip"
    CARD_REMOVED = "card_removed"
    TIMEOUT = "timeout"


# The demo's border policy: Indonesian citizens, self service; liveness is off
# only because the virtual camera plays a photograph (see the module doc).
DEMO_POLICY = BorderPolicy(require_liveness=False)


def demo_mrz(expiry: date) -> tuple[str, ...]:
    fields = {
        "document_code": "P",
        "issuing_state": "IDN",
        "names": encode_names("DEMO", "TRAVELLER"),
        "document_number": "X7654321",
        "nationality": "IDN",
        "birth_date": "900512",
        "sex": "F",
        "expiry_date": expiry.strftime("%y%m%d"),
    }
    return compose_mrz(MrzType.TD3, fields)


def portrait_rgb() -> npt.NDArray[np.uint8]:
    bgr = cv2.imread(str(PORTRAIT), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(PORTRAIT)
    return np.ascontiguousarray(bgr[:, :, ::-1])


def write_frames(folder: Path, count: int = 24, seed: int = 3, *, source: Path = PORTRAIT) -> None:
    """640x480 camera frames of a portrait, moved and re-lit a little from frame to frame."""
    folder.mkdir(parents=True, exist_ok=True)
    portrait = cv2.imread(str(source), cv2.IMREAD_COLOR)
    if portrait is None:
        raise FileNotFoundError(source)
    scaled = cv2.resize(portrait, None, fx=1.45, fy=1.45, interpolation=cv2.INTER_CUBIC)
    rng = np.random.default_rng(seed)
    for i in range(count):
        frame = np.full((480, 640, 3), 60, np.uint8)
        dx, dy = (int(v) for v in rng.integers(-5, 6, size=2))
        h, w = min(scaled.shape[0], 480), min(scaled.shape[1], 640)
        top, left = (480 - h) // 2 + dy, (640 - w) // 2 + dx
        y0, x0 = max(top, 0), max(left, 0)
        crop = scaled[y0 - top : y0 - top + 480 - y0, x0 - left : x0 - left + 640 - x0]
        frame[y0 : y0 + crop.shape[0], x0 : x0 + crop.shape[1]] = crop
        gain = 1.0 + float(rng.uniform(-0.04, 0.04))
        frame = np.clip(frame.astype(np.float32) * gain, 0, 255).astype(np.uint8)
        cv2.imwrite(str(folder / f"frame-{i:03d}.jpg"), frame)


def write_empty_frames(folder: Path, count: int = 6) -> None:
    """Frames of an empty counter: nobody steps up to the camera."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        cv2.imwrite(str(folder / f"empty-{i:03d}.jpg"), np.full((480, 640, 3), 60 + i, np.uint8))


def write_page(folder: Path, mrz: tuple[str, ...]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    cv2.imwrite(str(folder / "page.png"), document_page(mrz=mrz))


@dataclass
class DemoKit:
    scenario: Scenario
    root: Path
    store: Store
    audit: AuditLog
    flow: TravellerFlow
    services: LiveServices
    devices: tuple[object, ...]
    index: BiometricIndex | None = None
    watchlisted: list[str] = field(default_factory=list)  # entries this kit added

    def close(self) -> None:
        """Close the devices and the store; the watchlist_hit scenario's entry is lifted
        first, so that the next pass on the same store is not a hit."""
        if self.watchlisted and self.index is not None:
            remove_watchlist_entries(self.store, self.index, self.watchlisted)
        for device in self.devices:
            device.close()  # type: ignore[attr-defined]
        self.store.close()


class DemoFactory:
    """Builds demo kits; the face models and the media are made once per factory."""

    def __init__(
        self, root: Path, *, kiosk_id: str = "KIOSK-DEMO-01", office_id: str = "DEMO"
    ) -> None:
        self.root = root
        self.kiosk_id = kiosk_id
        self.office_id = office_id
        self._models: api.FaceModels | None = None
        frames = root / "media" / "frames"
        if not any(frames.glob("*.jpg")):
            write_frames(frames)
        if not any((root / "media" / "nobody").glob("*.jpg")):
            write_empty_frames(root / "media" / "nobody")

    @property
    def models(self) -> api.FaceModels:
        if self._models is None:
            self._models = api.load_models()
        return self._models

    def build(
        self,
        scenario: Scenario,
        *,
        now: datetime | None = None,
        embedder: FaceEmbedder | None = None,
    ) -> DemoKit:
        """A kit for one transaction. ``embedder``: an :class:`EmbeddingWorker` for a kiosk
        window (the GUI thread must not wait on dlib); default: in the calling thread."""
        moment = now or datetime.now(UTC)
        root = self.root
        keys = KeyStore(root / "keys")
        store = Store.open(root / "kiosk.db", keys.store_key())
        audit = AuditLog(store, keys.signing_key())
        expiry = moment.date() + (
            timedelta(days=-30)
            if scenario is Scenario.EXPIRED_DOCUMENT
            else timedelta(days=5 * 365)
        )
        mrz = demo_mrz(expiry)
        write_page(root / "media" / f"page-{scenario.value}", mrz)
        faults = {Scenario.TAMPERED_CHIP: ["tamper-dg2"], Scenario.CARD_REMOVED: ["removed"]}.get(
            scenario, []
        )
        # face_mismatch: the passport of someone else (the camera still plays the portrait)
        chip_face = OTHER_PERSON if scenario is Scenario.FACE_MISMATCH else PORTRAIT
        chip = epassport_applet(
            mrz=mrz, face=str(chip_face), pki_dir=str(root / "virtual-pki"), faults=faults
        )
        trust = TrustStore.from_paths([root / "virtual-pki"])  # the demo's test CSCAs
        scanner = VirtualDocumentScanner(
            "document", source=root / "media" / f"page-{scenario.value}"
        )
        reader = LoopbackCardReader("passport-reader", applet=chip)
        frames = "nobody" if scenario is Scenario.TIMEOUT else "frames"
        camera = VirtualCamera("camera", source=root / "media" / frames, fps=15)
        gate = LogGate("gate")
        for device in (scanner, reader, camera, gate):
            device.open()
        index = BiometricIndex.open(
            StoreGallerySource(store, FACE_GALLERY), root / "index", keys.load_or_create("index")
        )
        watchlisted = (
            self._watchlist(store, index, moment) if scenario is Scenario.WATCHLIST_HIT else []
        )
        step_s = 4.0 if scenario is Scenario.TIMEOUT else 30.0
        services = LiveServices(
            document=DocumentStep(scanner, reader, trust, timeout_s=30.0, clock=lambda: moment),
            face=FaceStep(
                camera,
                lambda: self.models,
                store,
                index,
                liveness=False,
                timeout_s=step_s,
                clock=lambda: moment,
                embedder=embedder,
            ),
            gate=gate,
            recorder=TransactionRecorder(
                store, audit, DEMO_POLICY, kiosk_id=self.kiosk_id, office_id=self.office_id
            ),
        )
        flow = TravellerFlow(DEMO_POLICY, timeouts=Timeouts(), clock=lambda: moment)
        return DemoKit(
            scenario,
            root,
            store,
            audit,
            flow,
            services,
            (scanner, reader, camera, gate),
            index,
            watchlisted,
        )

    def _watchlist(self, store: Store, index: BiometricIndex, now: datetime) -> list[str]:
        """Put the portrait's face on the watchlist (as a partner agency's entry would arrive)."""
        still = api.embed_face(self.models, portrait_rgb())
        if still.embedding is None:
            raise RuntimeError("the demo portrait shows no face")
        return add_watchlist_faces(store, index, np.asarray([still.embedding]), now)


def add_watchlist_faces(
    store: Store,
    index: BiometricIndex,
    embeddings: npt.NDArray[np.float32],
    now: datetime,
    *,
    agency: str = "DEMO",
) -> list[str]:
    """One active watchlist entry per face embedding, stored and indexed in one batch."""
    batch = index.batch()
    entries: list[WatchlistEntry] = []
    with store.atomic():
        for embedding in embeddings:
            entry_id = f"wl-{agency.lower()}-{uuid.uuid4().hex[:12]}"
            template = FaceTemplate.from_array(
                embedding,
                template_id=f"{entry_id}-face",
                subject_id=entry_id,
                algorithm=FACE_GALLERY.template_kind,
                created_at=now,
                source=SampleSource.IMPORT,
            )
            entry = WatchlistEntry(
                entry_id=entry_id,
                source_agency=agency,
                category=WatchlistCategory.WANTED,
                reason="demo entry",
                valid_from=now - timedelta(days=1),
                valid_until=now + timedelta(days=30),
                created_at=now,
                updated_at=now,
                face_template_ids=(template.template_id,),
            )
            batch.upsert(store.face_templates.add(template), template.as_array())
            store.watchlist.add(entry)
            entries.append(entry)
    for entry in entries:
        batch.watchlist(membership_for(store, entry, FACE_GALLERY.modality))
    index.apply(batch.build())
    return [e.entry_id for e in entries]


def remove_watchlist_entries(store: Store, index: BiometricIndex, entry_ids: list[str]) -> None:
    """Lift entries added by :func:`add_watchlist_faces`: entries, templates and index rows."""
    batch = index.batch()
    with store.atomic():
        for entry_id in entry_ids:
            entry = store.watchlist.get(entry_id)
            for template_id in entry.face_template_ids:
                batch.remove(store.face_templates.row_id(template_id))
                store.face_templates.delete(template_id)
            store.watchlist.delete(entry_id)
    index.apply(batch.build())


def expected(scenario: Scenario) -> str:
    """What each scenario should end in (the demo prints it next to what happened)."""
    return {
        Scenario.PASS: "pass",
        Scenario.FACE_MISMATCH: "refer: face_mismatch",
        Scenario.WATCHLIST_HIT: "refer: watchlist_hit",
        Scenario.EXPIRED_DOCUMENT: "refer: document_expired",
        Scenario.TAMPERED_CHIP: "refer: passive_auth_failed",
        Scenario.CARD_REMOVED: "refer: card_removed",
        Scenario.TIMEOUT: "refer: face_quality_low (nobody at the camera until the step timed out)",
    }[scenario]

"""Counter enrollment from the counter's devices (Qt-free, runs on a worker thread).

* :func:`read_passport`: the data page's MRZ from the document scanner, then the
  chip on the card reader (PACE, else BAC, with the MRZ), inspected (Passive
  Authentication, Chip/Active Authentication, DG1 against the printed MRZ): the
  document and the chip photo, as a :class:`~enrollment.documents.LoadedDocument`;
* :func:`capture_face`: camera frames through the live face pipeline until the
  best frames are ready (or the window or the time runs out): the best frame, for
  :meth:`~enrollment.counter.CounterEnrollment.offer_face` (ICAO report etc.);
* :func:`scan_finger`: one finger from the fingerprint scanner, for
  :meth:`~enrollment.counter.CounterEnrollment.offer_finger` (NFIQ 2 + template);
* :func:`scan_slap`: a four-finger or two-thumb slap from a slap scanner
  (``Capability.SLAP_CAPTURE``), segmented into fingertips, for
  :meth:`~enrollment.counter.CounterEnrollment.offer_slap`.

What the officer or the traveller can put right (no page, no card, nobody in
front of the camera, no finger, the time ran out, the officer cancelled) is a
:class:`Missed` result with a reason code; device failures raise from the error
tree (:class:`~models.errors.DeviceError` and its kin).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from devices.base import (
    Camera,
    CardChannel,
    CardReader,
    DocumentScanner,
    FingerprintScanner,
    Retry,
)
from devices.epassport.access_key import MRZKey
from devices.epassport.errors import ReadStoppedError
from devices.epassport.faceimage import parse_dg2
from devices.epassport.inspection import inspect
from devices.epassport.session import ReadOptions, read_document
from devices.epassport.trust import TrustStore
from devices.mrz.scan import scan_mrz
from enrollment.documents import LoadedDocument
from enrollment.faces import encode_png, sniff_encoding
from enrollment.session import DocumentSource
from models.biometric import FingerPosition, ImageData
from models.events import CheckOutcome

if TYPE_CHECKING:
    from biometrics.face.models import FaceModels

Cancelled = Callable[[], bool]
Status = Callable[[str], None]  # a machine code of what is happening ("waiting_for_card", ...)
Clock = Callable[[], datetime]


def _never() -> bool:
    return False


def _quiet(_code: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Missed:
    """Nothing usable this time; ``reason``: ``cancelled``, ``timeout``, ``mrz_not_read``,
    ``mrz_check_digits``, ``no_chip``, ``no_face`` or a device retry reason."""

    reason: str


@dataclass(frozen=True, slots=True)
class PassportRead:
    loaded: LoadedDocument  # the printed MRZ's document, the chip photo
    passive_authentication: CheckOutcome
    chip_authentication: CheckOutcome
    dg1_matches_mrz: CheckOutcome
    face_problem: str = ""  # why the chip gave no photo (machine code)

    @property
    def problems(self) -> list[str]:
        """What the officer must look at before going on (empty: a sound chip)."""
        out = [
            f"{name}:{outcome.value}"
            for name, outcome in (
                ("passive_authentication", self.passive_authentication),
                ("chip_authentication", self.chip_authentication),
                ("dg1_matches_mrz", self.dg1_matches_mrz),
            )
            if outcome is CheckOutcome.FAILED
        ]
        if self.loaded.chip_pixels is None:
            out.append(f"no_chip_photo:{self.face_problem or 'missing'}")
        return out


def _chip_photo(data_groups: dict[int, bytes], width: int, height: int) -> ImageData | None:
    """The DG2 portrait as stored on the chip (encoded), sized as decoded."""
    raw = data_groups.get(2)
    faces = parse_dg2(raw) if raw is not None else []
    if not faces:
        return None
    data = faces[0].image_data
    return ImageData(sniff_encoding(data), data, width, height)


def read_passport(
    scanner: DocumentScanner,
    reader: CardReader,
    trust: TrustStore,
    *,
    timeout_s: float = 60.0,
    poll_s: float = 1.0,
    cancelled: Cancelled = _never,
    status: Status = _quiet,
    extended_length: bool = True,
    clock: Clock = lambda: datetime.now(UTC),
) -> PassportRead | Missed:
    """The data page on ``scanner``, then the chip on ``reader`` (one deadline for both)."""
    deadline = time.monotonic() + timeout_s
    status("scanning_page")
    reading = scan_mrz(
        scanner,
        cancelled=cancelled,
        deadline=deadline,
        poll_s=poll_s,
        reference_date=clock().date(),
    )
    if reading is None:
        return Missed("cancelled" if cancelled() else "mrz_not_read")
    if not reading.valid:
        return Missed("mrz_check_digits")
    status("waiting_for_card")
    channel: CardChannel | None = None
    while channel is None and not cancelled() and time.monotonic() < deadline:
        got = reader.wait_for_card(min(poll_s, max(deadline - time.monotonic(), 0.01)))
        if isinstance(got, CardChannel):
            channel = got
    if channel is None:
        return Missed("cancelled" if cancelled() else "no_chip")
    status("reading_chip")
    lines = list(reading.lines)
    try:
        result = read_document(
            channel,
            MRZKey.from_mrz(lines),
            ReadOptions(extended_length=extended_length),
            atr=reader.atr,
            deadline=deadline,
            cancelled=cancelled,
        )
    except ReadStoppedError as exc:
        return Missed("cancelled" if exc.reason == "cancelled" else "timeout")
    status("checking_chip")
    found = inspect(
        result,
        trust,
        clock(),
        printed_mrz=lines,
        issuing_country=reading.document.issuing_state,
    )
    face = found.face
    photo = _chip_photo(result.data_groups, face.width, face.height) if face else None
    pixels = face.pixels if face is not None and photo is not None else None
    loaded = LoadedDocument(reading.document, DocumentSource.CHIP, photo, pixels)
    return PassportRead(
        loaded,
        found.passive_authentication,
        found.chip_authentication,
        found.dg1_matches_printed,
        found.face_problem,
    )


@dataclass(frozen=True, slots=True)
class CapturedFace:
    image: ImageData  # the best frame, encoded (PNG)
    rgb: npt.NDArray[np.uint8]
    quality: float  # the live pipeline's unified quality of that frame
    frames_seen: int


def _rgb(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    if image.ndim == 2:
        return np.ascontiguousarray(np.stack([image] * 3, axis=-1))
    return np.ascontiguousarray(image[:, :, ::-1])  # BGR -> RGB


def capture_face(
    camera: Camera,
    models: FaceModels,
    *,
    timeout_s: float = 20.0,
    cancelled: Cancelled = _never,
    status: Status = _quiet,
    lock: AbstractContextManager[object] | None = None,
) -> CapturedFace | Missed:
    """Frames from ``camera`` until the best frames are ready, the capture window is
    full or ``timeout_s`` passes; the best frame seen (``Missed("no_face")`` when no
    frame had one usable face). ``lock`` serialises the dlib calls with other users."""
    from biometrics.face import api

    guard = lock if lock is not None else nullcontext()
    pipeline, best = api.LivePipeline(models), api.BestFrames()
    deadline = time.monotonic() + timeout_s
    shown = ""
    while not cancelled() and time.monotonic() < deadline:
        frame = camera.read(min(1.0, max(deadline - time.monotonic(), 0.01)))
        if isinstance(frame, Retry):
            continue
        rgb = _rgb(frame.image)
        with guard:
            result = pipeline.process(rgb, frame.timestamp)
        best.offer(result, rgb)
        hint = result.quality.guidance[0].value if result.quality.guidance else "hold_still"
        if hint != shown:
            shown = hint
            status(hint)
        if best.ready or best.expired:
            break
    if cancelled():
        return Missed("cancelled")
    chosen = best.selected()
    if not chosen:
        return Missed("no_face" if best.frames_seen else "timeout")
    top = chosen[0]
    return CapturedFace(encode_png(top.frame), top.frame, top.quality, best.frames_seen)


@dataclass(frozen=True, slots=True)
class ScannedFinger:
    position: FingerPosition
    image: ImageData  # encoded (PNG), 8-bit grey
    pixels: npt.NDArray[np.uint8]  # H x W grey, ridges dark
    ppi: int


def scan_finger(
    scanner: FingerprintScanner,
    position: FingerPosition,
    *,
    timeout_s: float = 15.0,
    poll_s: float = 1.0,
    cancelled: Cancelled = _never,
    status: Status = _quiet,
) -> ScannedFinger | Missed:
    """One ``position`` finger from ``scanner`` (waits in ``poll_s`` slices so that a
    cancel is seen); the device's retry reasons are passed to ``status``."""
    deadline = time.monotonic() + timeout_s
    last = "timeout"
    status("place_finger")
    while not cancelled() and time.monotonic() < deadline:
        got = scanner.capture(position, min(poll_s, max(deadline - time.monotonic(), 0.01)))
        if isinstance(got, Retry):
            if got.reason.value != "timeout":
                last = got.reason.value
                status(last)
            continue
        pixels = np.asarray(got.image, dtype=np.uint8)
        if pixels.ndim == 3:
            pixels = np.asarray(pixels.mean(axis=2), dtype=np.uint8)
        return ScannedFinger(position, encode_png(pixels), pixels, got.ppi)
    return Missed("cancelled" if cancelled() else last)


# ---------------------------------------------------------------- slaps
SLAP_POSITIONS = (
    FingerPosition.PLAIN_LEFT_FOUR,
    FingerPosition.PLAIN_RIGHT_FOUR,
    FingerPosition.PLAIN_THUMBS,
)


@dataclass(frozen=True, slots=True)
class ScannedSlap:
    """A slap and the fingertips segmented from it (``biometrics.fingerprint.slap``).

    ``fingers`` are the tips whose position is known, as 500 ppi crops ready for
    :meth:`~enrollment.counter.CounterEnrollment.offer_finger`; ``status`` is the
    segmentation's (``ok``, ``wrong-count``, ``touching``, ``blank``, ``bad-image``),
    ``missing`` the positions it could tell are absent, ``message`` says why."""

    position: FingerPosition  # 13, 14 or 15
    image: ImageData  # the whole slap, encoded (PNG)
    fingers: tuple[ScannedFinger, ...]
    status: str
    message: str = ""
    missing: tuple[FingerPosition, ...] = ()


def segment_slap_image(
    position: FingerPosition, pixels: npt.NDArray[np.uint8], ppi: int
) -> ScannedSlap:
    """Segment a slap image (from the scanner or a file) into its fingertips."""
    from biometrics.fingerprint import slap

    gray = np.asarray(pixels.mean(axis=2) if pixels.ndim == 3 else pixels, dtype=np.uint8)
    result = slap.segment_slap(gray, slap.SLAP_CODES[int(position)], float(ppi), extract=False)
    fingers = tuple(
        ScannedFinger(tip.position, encode_png(tip.crop), tip.crop, int(slap.TARGET_PPI))
        for tip in result.fingers
        if tip.position is not None
    )
    return ScannedSlap(
        position,
        encode_png(gray),
        fingers,
        result.status.value,
        result.message,
        result.missing,
    )


def scan_slap(
    scanner: FingerprintScanner,
    position: FingerPosition,
    *,
    timeout_s: float = 15.0,
    poll_s: float = 1.0,
    cancelled: Cancelled = _never,
    status: Status = _quiet,
) -> ScannedSlap | Missed:
    """One slap (``position`` 13, 14 or 15) from a slap scanner, segmented."""
    if position not in SLAP_POSITIONS:
        raise ValueError(f"{position.name} is not a slap position")
    got = scan_finger(
        scanner, position, timeout_s=timeout_s, poll_s=poll_s, cancelled=cancelled, status=status
    )
    if isinstance(got, Missed):
        return got
    status("segmenting_slap")
    return segment_slap_image(position, got.pixels, got.ppi)

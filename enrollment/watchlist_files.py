"""Watchlist files from partner agencies, read into subjects (pure: no store, no models).

Three formats:

* **ANSI/NIST-ITL transactions** (``.an2``, ``.an2k``, ``.eft``, ``.nist`` or any
  file starting with ``1.0``): one transaction is one subject. Type-2 gives the
  name (2.018 NAM), citizenship (2.021 CTZ) and reason (2.037 RFP); Type-10
  records with image type FACE give face images; Type-4 and Type-14 give
  fingerprint images (WSQ, JPEG, JPEG 2000 or raw; decoded to check them);
  Type-9 gives minutiae (legacy 9.010/9.012, the INCITS 378 block 9.126-9.140
  or EFS 9.331), converted to our matcher's template (``biometrics.fingerprint.
  ansi9``; the legacy y flip uses the image record of the same IDC when the
  transaction has one). Every other record
  (latents, palms, iris, signatures, low-resolution or binary fingerprint
  images, user-defined) is rejected with its reason.
* **CSV plus images** (``.csv``): one row is one subject; see :data:`CSV_COLUMNS`
  and docs/officer.md. Image paths are relative to the CSV file.
* **Finger minutiae records** (files starting with ``FMR\0``: ISO/IEC 19794-2:2005,
  INCITS 378-2004 or -2009): one file is one subject (the file name is its
  reference), every finger view is a minutiae template.

Nothing here raises for bad input: a file that does not parse, a record that
does not decode, a bad row, each becomes a :class:`Rejection` with its reason.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from biometrics.fingerprint import ansi9, incits378, iso
from biometrics.fingerprint.errors import TemplateError
from biometrics.fingerprint.record import TYPE9_FORMAT, enough_minutiae
from biometrics.fingerprint.template import MinutiaeTemplate
from enrollment import ansinist
from enrollment.faces import encode_png, sniff_encoding
from models.biometric import FingerPosition, ImageData
from models.errors import MalformedDataError
from models.watchlist import WatchlistCategory

MAX_CSV_BYTES = 8 * 1024 * 1024
MAX_IMAGE_BYTES = 16 * 1024 * 1024
MINUTIAE_FORMAT = TYPE9_FORMAT  # a Type-9 record's fields as JSON, kept as imported
CSV_COLUMNS = (
    "record_id",  # required: the agency's reference of the person
    "full_name",
    "nationality",  # ICAO 3-letter code
    "document_numbers",  # separated by ";"
    "category",  # a WatchlistCategory value; default: the import's --category
    "reason",
    "valid_until",  # YYYY-MM-DD (end of that day, UTC); empty: until removed
    "face_image",  # path relative to the CSV file
    "finger_images",  # POS=path;POS=path with POS a position number (1-10) or name (RIGHT_INDEX)
)
_SKIPPED = {
    3: "Type-3 low-resolution grey-scale fingerprint image (deprecated): not supported",
    5: "Type-5 low-resolution binary fingerprint image (deprecated): not supported",
    6: "Type-6 high-resolution binary fingerprint image (deprecated): not supported",
    7: "Type-7 user-defined image: content unknown",
    8: "Type-8 signature: not a biometric the kiosk screens",
    13: "Type-13 latent print: latents are not screened at the kiosk",
    15: "Type-15 palm print: not screened at the kiosk",
    16: "Type-16 user-defined test image: content unknown",
    17: "Type-17 iris image: the kiosk has no iris capture",
    99: "Type-99 CBEFF biometric data block: format not supported",
}
# Plain thumb impressions (11, 12) are the thumbs; slaps keep their own codes.
_POSITION_ALIASES = {11: FingerPosition.RIGHT_THUMB, 12: FingerPosition.LEFT_THUMB}


@dataclass(frozen=True, slots=True)
class Rejection:
    record: str  # "file", "Type-10 record 2", "row 3" ...
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"record": self.record, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class FaceImageIn:
    record: str
    image: ImageData  # as sent (stored encrypted as the entry's face sample)
    pixels: npt.NDArray[np.uint8] = field(repr=False)


@dataclass(frozen=True, slots=True)
class FingerImageIn:
    record: str
    position: FingerPosition
    image: ImageData
    ppi: int
    pixels: npt.NDArray[np.uint8] | None = None  # decoded, for the matcher's template


@dataclass(frozen=True, slots=True)
class MinutiaeIn:
    record: str
    position: FingerPosition
    data: bytes  # the Type-9 record's fields as canonical JSON (b"" for FMR records)
    count: int
    template: MinutiaeTemplate | None = field(default=None, repr=False)  # converted, 500 ppi


@dataclass
class SubjectIn:
    record: str  # "transaction" or "row N"
    reference: str  # the agency's reference (TCN, or the CSV record_id)
    full_name: str | None = None
    nationality: str | None = None
    document_numbers: tuple[str, ...] = ()
    reason: str | None = None
    category: WatchlistCategory | None = None
    valid_until: datetime | None = None
    faces: list[FaceImageIn] = field(default_factory=list)
    fingers: list[FingerImageIn] = field(default_factory=list)
    minutiae: list[MinutiaeIn] = field(default_factory=list)


@dataclass
class FileContents:
    subjects: list[SubjectIn] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


def read_file(path: Path) -> FileContents:
    """The subjects of one file, and what was rejected from it."""
    try:
        size = path.stat().st_size
        if size > ansinist.MAX_FILE:
            return FileContents(rejected=[Rejection("file", f"file of {size} bytes is too large")])
        data = path.read_bytes()
    except OSError as exc:
        return FileContents(rejected=[Rejection("file", f"cannot read the file: {exc.strerror}")])
    if path.suffix.lower() == ".csv":
        return read_csv(data, path.parent)
    if data.startswith(b"1.0"):
        return read_transaction(data)
    if data.startswith(incits378.MAGIC):
        return read_minutiae_record(data, path.name)
    return FileContents(
        rejected=[
            Rejection(
                "file",
                "neither an ANSI/NIST-ITL transaction, a finger minutiae record nor a .csv file",
            )
        ]
    )


# ---------------------------------------------------------------- ANSI/NIST-ITL
def read_transaction(data: bytes) -> FileContents:
    try:
        transaction = ansinist.parse(data)
    except MalformedDataError as exc:
        return FileContents(rejected=[Rejection("file", exc.message)])
    out = FileContents()
    subject = SubjectIn("transaction", transaction.control_number or transaction.agency)
    frames = _frames(transaction)
    for index, record in enumerate(transaction.records):
        label = f"Type-{record.type} record {index}"
        if record.type == 1:
            continue
        if record.type == 2:
            _demographics(record, subject)
        elif record.type == 10:
            _face(record, label, subject, out.rejected)
        elif record.type in (4, 14):
            _finger(record, label, subject, out.rejected)
        elif record.type == 9:
            _minutiae(record, label, subject, out.rejected, frames.get(record.idc))
        else:
            reason = _SKIPPED.get(record.type, f"Type-{record.type} record: not supported")
            out.rejected.append(Rejection(label, reason))
    out.subjects.append(subject)
    return out


def _demographics(record: ansinist.Record, subject: SubjectIn) -> None:
    name = record.text(18).strip()
    if name:
        surname, _, given = name.partition(",")
        subject.full_name = " ".join(f"{given} {surname}".split()).upper()
    citizenship = record.text(21).strip()
    subject.nationality = citizenship.upper() or None
    subject.reason = record.text(37).strip() or None


def _face(
    record: ansinist.Record, label: str, subject: SubjectIn, rejected: list[Rejection]
) -> None:
    kind = record.text(3).strip().upper()
    if kind != "FACE":
        rejected.append(Rejection(label, f"Type-10 image type {kind or 'missing'!r} is not FACE"))
        return
    try:
        pixels = ansinist.record_image(record)
    except MalformedDataError as exc:
        rejected.append(Rejection(label, exc.message))
        return
    subject.faces.append(FaceImageIn(label, _image_data(record.image, pixels), pixels))


def _finger(
    record: ansinist.Record, label: str, subject: SubjectIn, rejected: list[Rejection]
) -> None:
    if record.type == 4:
        fgp = record.header.get("fgp", ())
        codes = list(fgp) if isinstance(fgp, tuple) else [fgp]
        ppi = 500  # Type-4 is 500 ppi by definition (ISR 0: 19.69 ppmm)
    else:
        try:
            codes = [int(item[0]) for item in record.items(13) if item and item[0]]
        except ValueError:
            codes = []
        ppi = type14_ppi(record)
    code = codes[0] if codes else 0
    position = _position(code)
    if position is None:
        reason = f"finger position {code} is not a finger or slap the kiosk compares"
        rejected.append(Rejection(label, reason))
        return
    try:
        pixels = ansinist.record_image(record)
    except MalformedDataError as exc:
        rejected.append(Rejection(label, exc.message))
        return
    image = _image_data(record.image, pixels)
    subject.fingers.append(FingerImageIn(label, position, image, ppi, pixels))


def type14_ppi(record: ansinist.Record) -> int:
    try:
        scale, horizontal = int(record.text(8, "0") or 0), int(record.text(9, "0") or 0)
    except ValueError:
        return 500
    if scale == 1 and horizontal > 0:
        return horizontal
    if scale == 2 and horizontal > 0:
        return round(horizontal * 2.54)
    return 500


def _position(code: int) -> FingerPosition | None:
    if code in _POSITION_ALIASES:
        return _POSITION_ALIASES[code]
    try:
        return FingerPosition(code)
    except ValueError:
        return None


def _frames(transaction: ansinist.Transaction) -> dict[int, ansi9.Frame]:
    """Size and resolution of each fingerprint image record by IDC (Type-4, 13, 14), from
    the headers only: the legacy Type-9 y flip needs the height of the image of its IDC."""
    frames: dict[int, ansi9.Frame] = {}
    for record in transaction.records:
        if record.type == 4:
            width, height = record.header.get("hll"), record.header.get("vll")
            if isinstance(width, int) and isinstance(height, int):
                frames.setdefault(record.idc, ansi9.Frame(width, height, 500.0))
        elif record.type in (13, 14):
            try:
                width, height = int(record.text(6, "0") or 0), int(record.text(7, "0") or 0)
            except ValueError:
                continue
            frames.setdefault(record.idc, ansi9.Frame(width, height, float(type14_ppi(record))))
    return frames


def _minutiae(
    record: ansinist.Record,
    label: str,
    subject: SubjectIn,
    rejected: list[Rejection],
    frame: ansi9.Frame | None = None,
) -> None:
    """One Type-9 record's minutiae, converted (EFS, INCITS 378 block or legacy fields);
    a record that does not convert is rejected with the converter's reason."""
    text = {k: v.decode("latin-1") for k, v in sorted(record.fields.items()) if k != 999}
    try:
        converted = ansi9.from_type9(text, frame=frame)
    except TemplateError as exc:
        rejected.append(Rejection(label, f"Type-9 minutiae do not convert: {exc.message}"))
        return
    if not iso.frame_fits(converted.template):
        rejected.append(Rejection(label, _frame_reason(converted.template)))
        return
    # the block's own position field: 9.302 (EFS), 9.134 (INCITS 378), 9.006 (legacy)
    position = _position(converted.position) or FingerPosition.UNKNOWN
    fields = {str(k): v for k, v in text.items()}
    data = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    count = converted.template.count
    subject.minutiae.append(MinutiaeIn(label, position, data, count, converted.template))


def _frame_reason(template: MinutiaeTemplate) -> str:
    return (
        f"finger frame {template.width} x {template.height} px at 500 ppi is larger than a "
        f"stored template holds ({iso.MAX_FRAME} px a side)"
    )


# ---------------------------------------------------------------- FMR records
def read_minutiae_record(data: bytes, name: str) -> FileContents:
    """An ISO 19794-2:2005 or INCITS 378 record: one subject, a template per finger view."""
    try:
        parsed = incits378.parse(data)
    except TemplateError as exc:
        return FileContents(rejected=[Rejection("file", exc.message)])
    out = FileContents()
    subject = SubjectIn("record", name)
    for index, view in enumerate(parsed.views):
        label = f"finger view {index}"
        if view.enhanced_set:  # a Gerbang record's second set of the first view's capture
            continue
        position = _position(view.position)
        if position is None:
            reason = f"finger position {view.position} is not a finger the kiosk compares"
            out.rejected.append(Rejection(label, reason))
            continue
        if not enough_minutiae(view.template):
            reason = f"{view.template.count} minutiae: too few for the matcher"
            out.rejected.append(Rejection(label, reason))
            continue
        if not iso.frame_fits(view.template):
            out.rejected.append(Rejection(label, _frame_reason(view.template)))
            continue
        subject.minutiae.append(
            MinutiaeIn(label, position, b"", view.template.count, view.template)
        )
    out.subjects.append(subject)
    return out


def _image_data(raw: bytes, pixels: npt.NDArray[np.uint8]) -> ImageData:
    encoding = sniff_encoding(raw)
    if encoding == "unknown":  # an uncompressed record: store it as PNG
        return encode_png(pixels)
    return ImageData(encoding, raw, int(pixels.shape[1]), int(pixels.shape[0]))


# ---------------------------------------------------------------- CSV
def read_csv(data: bytes, base: Path) -> FileContents:
    out = FileContents()
    if len(data) > MAX_CSV_BYTES:
        out.rejected.append(Rejection("file", f"CSV of {len(data)} bytes is too large"))
        return out
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        out.rejected.append(Rejection("file", "CSV is not UTF-8 text"))
        return out
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        header = reader.fieldnames or []
        if "record_id" not in header:
            out.rejected.append(Rejection("file", "CSV header has no record_id column"))
            return out
        unknown = sorted(set(header) - set(CSV_COLUMNS))
        if unknown:
            out.rejected.append(Rejection("file", f"unknown CSV columns: {', '.join(unknown)}"))
            return out
        for number, row in enumerate(reader, start=2):  # line 1 is the header
            label = f"row {number}"
            if None in row:
                out.rejected.append(Rejection(label, "more values than columns"))
                continue
            subject = _row(row, label, base, out.rejected)
            if subject is not None:
                out.subjects.append(subject)
    except csv.Error as exc:
        out.rejected.append(Rejection("file", f"CSV does not parse: {exc}"))
    return out


def _row(
    row: dict[str, str | None], label: str, base: Path, rejected: list[Rejection]
) -> SubjectIn | None:
    def value(name: str) -> str:
        return (row.get(name) or "").strip()

    reference = value("record_id")
    if not reference:
        rejected.append(Rejection(label, "record_id is empty"))
        return None
    category = None
    if value("category"):
        try:
            category = WatchlistCategory(value("category").lower())
        except ValueError:
            rejected.append(Rejection(label, f"unknown category {value('category')!r}"))
            return None
    valid_until = None
    if value("valid_until"):
        try:
            day = datetime.strptime(value("valid_until"), "%Y-%m-%d")
        except ValueError:
            rejected.append(Rejection(label, "valid_until is not a YYYY-MM-DD date"))
            return None
        valid_until = day.replace(hour=23, minute=59, second=59, tzinfo=UTC)
    subject = SubjectIn(
        label,
        reference,
        full_name=value("full_name").upper() or None,
        nationality=value("nationality").upper() or None,
        document_numbers=tuple(
            d.strip() for d in value("document_numbers").split(";") if d.strip()
        ),
        reason=value("reason") or None,
        category=category,
        valid_until=valid_until,
    )
    if value("face_image"):
        loaded = _load_image(base, value("face_image"), label, rejected, "face_image")
        if loaded is not None:
            subject.faces.append(FaceImageIn(f"{label} face_image", *loaded))
    for item in value("finger_images").split(";"):
        if not item.strip():
            continue
        code, sep, name = item.partition("=")
        position = _parse_position(code.strip())
        if not sep or position is None:
            rejected.append(
                Rejection(label, f"finger_images item {item.strip()!r} is not POS=path")
            )
            continue
        loaded = _load_image(base, name.strip(), label, rejected, f"finger {position.name}")
        if loaded is not None:
            image, _ = loaded
            subject.fingers.append(FingerImageIn(f"{label} {position.name}", position, image, 500))
    return subject


def _parse_position(code: str) -> FingerPosition | None:
    if code.isdigit():
        return _position(int(code))
    try:
        return FingerPosition[code.upper()]
    except KeyError:
        return None


def _load_image(
    base: Path, name: str, label: str, rejected: list[Rejection], what: str
) -> tuple[ImageData, npt.NDArray[np.uint8]] | None:
    path = (base / name).resolve()
    if not path.is_relative_to(base.resolve()):
        rejected.append(Rejection(label, f"{what}: {name!r} is outside the CSV's folder"))
        return None
    try:
        if path.stat().st_size > MAX_IMAGE_BYTES:
            rejected.append(Rejection(label, f"{what}: {name} is too large"))
            return None
        raw = path.read_bytes()
    except OSError as exc:
        rejected.append(Rejection(label, f"{what}: cannot read {name}: {exc.strerror}"))
        return None
    try:
        pixels = ansinist.decode_image(raw, path.suffix.lstrip(".").upper())
    except MalformedDataError as exc:
        rejected.append(Rejection(label, f"{what}: {exc.message}"))
        return None
    return _image_data(raw, pixels), pixels

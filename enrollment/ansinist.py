"""ANSI/NIST-ITL 1-2011 (and earlier versions 0200-0500) transaction files: a strict parser.

Partner agencies send watchlist subjects as ANSI/NIST-ITL transactions. A file is
a sequence of logical records; the Type-1 record's CNT field (1.003) lists the
type and IDC of every record that follows.

* Tagged records (types 1, 2, 9, 10, 13-17, 18-22, 98, 99) hold ``t.nnn:value``
  fields separated by GS (0x1D), ending with FS (0x1C); subfields are separated
  by RS (0x1E), items by US (0x1F). Field ``t.001`` is the record length; the
  image field ``t.999`` is binary and runs to the end of the record.
* Binary records (types 3-8) start with a 4-byte big-endian length and a fixed
  header (Type-4: IDC, IMP, FGP[6], ISR, HLL, VLL, GCA, then the image).

Every length is checked against the data; any inconsistency raises
:class:`~models.errors.MalformedDataError` naming the record. Nothing here
decodes images: see :func:`decode_image`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from models.errors import MalformedDataError

FS, GS, RS, US = 0x1C, 0x1D, 0x1E, 0x1F
TAGGED = frozenset({1, 2, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 98, 99})
BINARY = frozenset({3, 4, 5, 6, 7, 8})
MAX_FILE = 64 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000


@dataclass(frozen=True, slots=True)
class Record:
    type: int
    idc: int
    fields: dict[int, bytes] = field(default_factory=dict)  # tagged: field number -> raw value
    header: dict[str, int | tuple[int, ...]] = field(default_factory=dict)  # binary: fixed header
    data: bytes = b""  # binary record image, or the tagged record's 999 field
    warnings: tuple[str, ...] = ()  # tolerated deviations from the standard

    def text(self, number: int, default: str = "") -> str:
        raw = self.fields.get(number)
        return default if raw is None else raw.decode("utf-8", errors="replace")

    def items(self, number: int) -> list[list[str]]:
        """A field as subfields of items (RS- then US-separated)."""
        return (
            [sub.split("\x1f") for sub in self.text(number).split("\x1e")]
            if number in self.fields
            else []
        )

    @property
    def image(self) -> bytes:
        return self.data if self.type in BINARY else self.fields.get(999, b"")


@dataclass(frozen=True, slots=True)
class Transaction:
    version: str
    transaction_type: str  # 1.004 TOT, e.g. "TPIS", "CAR"
    agency: str  # 1.008 ORI
    control_number: str  # 1.009 TCN
    records: tuple[Record, ...]

    def of_type(self, record_type: int) -> list[Record]:
        return [r for r in self.records if r.type == record_type]


def _tagged(buf: bytes, pos: int, expected_type: int, index: int) -> tuple[Record, int]:
    colon = buf.find(b":", pos, pos + 16)
    end_of_len = min(
        (i for i in (buf.find(bytes([GS]), pos), buf.find(bytes([FS]), pos)) if i >= 0), default=-1
    )
    if colon < 0 or end_of_len < 0:
        raise MalformedDataError(f"record {index}: no length field")
    tag = buf[pos:colon].decode("ascii", errors="replace")
    try:
        rtype, number = (int(part) for part in tag.split("."))
        length = int(buf[colon + 1 : end_of_len])
    except ValueError as exc:
        raise MalformedDataError(f"record {index}: bad length field {tag!r}") from exc
    if rtype != expected_type or number != 1:
        raise MalformedDataError(
            f"record {index}: expected a Type-{expected_type} record, found field {tag}"
        )
    end = pos + length
    if length < 6 or end > len(buf) or buf[end - 1] != FS:
        raise MalformedDataError(
            f"record {index} (Type-{rtype}): length {length} does not match the data"
        )
    fields: dict[int, bytes] = {}
    warnings: list[str] = []
    cursor = pos
    while cursor < end - 1:
        colon = buf.find(b":", cursor, end)
        if colon < 0:
            raise MalformedDataError(f"record {index} (Type-{rtype}): field without a tag")
        try:
            ftype, number = (int(part) for part in buf[cursor:colon].split(b"."))
        except ValueError as exc:
            raise MalformedDataError(
                f"record {index} (Type-{rtype}): bad tag {buf[cursor:colon]!r}"
            ) from exc
        if ftype != rtype:
            # Seen in real files (a Type-9 record holding "13.005"): keep the field, note it.
            warnings.append(f"field {ftype}.{number:03d} inside a Type-{rtype} record")
        if number == 999:
            image = bytes(buf[colon + 1 : end - 1])
            repeated = f"\x1d{rtype}.999:".encode()
            while image[:32].find(repeated) >= 0:
                # Seen in NBIS sample files: short 999 fields, then the real one.
                image = image[image.find(repeated) + len(repeated) :]
                warnings.append(f"field {rtype}.999 repeated")
            fields[999] = image
            break
        stop = buf.find(bytes([GS]), colon + 1, end)
        stop = end - 1 if stop < 0 else stop
        fields[number] = bytes(buf[colon + 1 : stop])
        cursor = stop + 1
    idc = 0
    if rtype != 1:
        try:
            idc = int(fields.get(2, b"0") or b"0")
        except ValueError as exc:
            raise MalformedDataError(f"record {index} (Type-{rtype}): bad IDC") from exc
    return Record(rtype, idc, fields, warnings=tuple(warnings)), end


def _binary(buf: bytes, pos: int, rtype: int, index: int) -> tuple[Record, int]:
    if pos + 5 > len(buf):
        raise MalformedDataError(f"record {index} (Type-{rtype}): truncated")
    length = int.from_bytes(buf[pos : pos + 4], "big")
    end = pos + length
    if length < 5 or end > len(buf):
        raise MalformedDataError(
            f"record {index} (Type-{rtype}): length {length} does not match the data"
        )
    body = buf[pos:end]
    header: dict[str, int | tuple[int, ...]] = {"idc": body[4]}
    if rtype in (3, 4, 5, 6):
        if length < 18:
            raise MalformedDataError(f"record {index} (Type-{rtype}): header truncated")
        header |= {
            "imp": body[5],
            "fgp": tuple(b for b in body[6:12] if b != 255),
            "isr": body[12],
            "hll": int.from_bytes(body[13:15], "big"),
            "vll": int.from_bytes(body[15:17], "big"),
            "gca": body[17],
        }
        data = bytes(body[18:])
    elif rtype == 8:
        if length < 12:
            raise MalformedDataError(f"record {index} (Type-8): header truncated")
        header |= {
            "sig": body[5],
            "srt": body[6],
            "isr": body[7],
            "hll": int.from_bytes(body[8:10], "big"),
            "vll": int.from_bytes(body[10:12], "big"),
        }
        data = bytes(body[12:])
    else:
        data = bytes(body[5:])
    return Record(rtype, body[4], {}, header, data), end


def parse(data: bytes) -> Transaction:
    if len(data) > MAX_FILE:
        raise MalformedDataError(f"transaction of {len(data)} bytes is larger than {MAX_FILE}")
    if not data.startswith(b"1.0"):
        raise MalformedDataError("not an ANSI/NIST-ITL transaction (no Type-1 record)")
    first, pos = _tagged(data, 0, 1, 0)
    content = first.items(3)
    if not content or len(content[0]) < 2:
        raise MalformedDataError("Type-1 CNT (1.003) missing")
    try:
        expected = [(int(t), int(idc or 0)) for t, idc, *_ in content[1:]]
    except ValueError as exc:
        raise MalformedDataError("Type-1 CNT (1.003) malformed") from exc
    records = [first]
    for index, (rtype, _idc) in enumerate(expected, start=1):
        if rtype in BINARY:
            record, pos = _binary(data, pos, rtype, index)
        elif rtype in TAGGED:
            record, pos = _tagged(data, pos, rtype, index)
        else:
            raise MalformedDataError(f"record {index}: unknown record type {rtype}")
        records.append(record)
    if pos != len(data):
        raise MalformedDataError(f"{len(data) - pos} bytes after the last record listed in CNT")
    return Transaction(
        version=first.text(2),
        transaction_type=first.text(4),
        agency=first.text(8),
        control_number=first.text(9),
        records=tuple(records),
    )


def record_image(record: Record) -> npt.NDArray[np.uint8]:
    """The image of a Type-3/4/5/6, 10, 13, 14, 15 or 17 record as an 8-bit array."""
    raw = record.image
    if not raw:
        raise MalformedDataError(f"Type-{record.type} record {record.idc} has no image")
    if record.type in BINARY:
        width, height, gca = (
            record.header.get("hll"),
            record.header.get("vll"),
            record.header.get("gca"),
        )
        uncompressed = gca == 0
        compression = "NONE" if uncompressed else f"GCA {gca}"
    else:
        try:
            width, height = int(record.text(6, "0") or 0), int(record.text(7, "0") or 0)
        except ValueError as exc:
            raise MalformedDataError(
                f"Type-{record.type} record {record.idc}: bad image size"
            ) from exc
        compression = record.text(11).upper()
        uncompressed = compression in ("NONE", "0")
    if uncompressed:
        if not isinstance(width, int) or not isinstance(height, int) or width * height != len(raw):
            raise MalformedDataError(f"Type-{record.type} raw image is not {width}x{height} 8-bit")
        return np.frombuffer(raw, dtype=np.uint8).reshape(height, width).copy()
    return decode_image(raw, compression)


def decode_image(raw: bytes, compression: str = "") -> npt.NDArray[np.uint8]:
    """Decode a record's image (WSQ, JPEG, JPEG 2000, PNG) to an 8-bit array."""
    if raw[:2] == b"\xff\xa0":
        return _decode_wsq(raw, compression)
    return _decode_pillow(raw, compression)


def _decode_pillow(raw: bytes, compression: str) -> npt.NDArray[np.uint8]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(raw)) as opened:
            if opened.width * opened.height > MAX_IMAGE_PIXELS:
                raise MalformedDataError(
                    f"image of {opened.width}x{opened.height} pixels is too large"
                )
            opened.load()
            image = opened if opened.mode in ("L", "RGB") else opened.convert("RGB")
            return np.asarray(image, dtype=np.uint8)
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        Image.DecompressionBombError,
        UnboundLocalError,  # the wsq plugin's parser on a truncated header (b"\xff\xa0")
    ) as exc:
        raise MalformedDataError(
            f"image ({compression or 'unknown compression'}) does not decode: {exc}"
        ) from exc


def _decode_wsq(raw: bytes, compression: str) -> npt.NDArray[np.uint8]:
    """WSQ through the ``wsq`` package's Pillow plugin (NBIS). Its C decoder reports
    corrupt data by raising a bare ``Exception("WSQ Error: -51")``: translated here,
    and only here, into MalformedDataError."""
    import wsq  # noqa: F401 - registers the WSQ plugin with Pillow

    try:
        return _decode_pillow(raw, compression or "WSQ")
    except MalformedDataError:
        raise
    except Exception as exc:  # the wsq plugin raises only bare Exception
        if not str(exc).startswith("WSQ Error"):
            raise
        raise MalformedDataError(f"WSQ image does not decode: {exc}") from exc

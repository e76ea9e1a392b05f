"""DG2 face records (ICAO Doc 9303 Part 10 §4.7.2) in ISO/IEC 19794-5 and ISO/IEC 39794-5.

DG2 is ``75 { 7F61 { 02 count, 7F60 { A1 header, 5F2E | 7F2E data } ... } }``:

* ``5F2E`` holds an ISO/IEC 19794-5:2005 record (binary, ``FAC\\0`` + version
  ``010\\0``): a general header and per face a facial information block,
  landmarks, an image information block and the JPEG or JPEG 2000 image.
* ``7F2E`` holds an ISO/IEC 39794-5 record (DER, ICAO application profile):
  ``[APPLICATION 5] FaceImageDataBlock`` (optionally under a context tag),
  whose representations carry ``representationData2D`` (the image) and its
  ``imageDataFormat`` (2 JPEG, 3/4 JPEG 2000).

The images are decoded by :func:`devices.epassport.images.decode_image`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from devices.epassport import tlv
from devices.epassport.images import DecodedImage, ImageFormat, decode_image, sniff_format
from devices.epassport.lds import check_size, expect_tag
from devices.epassport.pa_params import MAX_IMAGES_PER_GROUP
from models.errors import MalformedDataError

DG2_TAG = 0x75
BIT_GROUP = 0x7F61
BIT = 0x7F60
BHT = 0xA1
BDB_19794 = 0x5F2E
BDB_39794 = 0x7F2E


class RecordFormat(StrEnum):
    ISO_19794_5 = "iso19794-5"
    ISO_39794_5 = "iso39794-5"


@dataclass(frozen=True, slots=True)
class FaceImage:
    """One face image of DG2 with the facts its record states about it."""

    record_format: RecordFormat
    declared_format: ImageFormat  # what the record says
    image_data: bytes = field(repr=False)
    width: int | None  # as declared in the record
    height: int | None
    gender: str | None = None  # "male", "female", "other", "unspecified", "unknown"

    @property
    def image_format(self) -> ImageFormat:
        """The format of the image bytes themselves; records are not always right about it."""
        sniffed = sniff_format(self.image_data)
        return self.declared_format if sniffed is ImageFormat.UNKNOWN else sniffed

    def decode(self) -> DecodedImage:
        """The pixels (bounded decode; raises MalformedDataError on a bad image)."""
        return decode_image(self.image_data)


_GENDER_19794 = {0: "unspecified", 1: "male", 2: "female", 0xFF: "unknown"}
_GENDER_39794 = {1: "other", 2: "male", 3: "female"}
_FORMAT_19794 = {0: ImageFormat.JPEG, 1: ImageFormat.JPEG2000}
_FORMAT_39794 = {2: ImageFormat.JPEG, 3: ImageFormat.JPEG2000, 4: ImageFormat.JPEG2000}


def _u(data: bytes, offset: int, size: int) -> int:
    if offset + size > len(data):
        raise MalformedDataError("ISO 19794-5 record is truncated")
    return int.from_bytes(data[offset : offset + size], "big")


def parse_iso19794_5(record: bytes) -> list[FaceImage]:
    """The faces of an ISO/IEC 19794-5:2005 facial record."""
    if not record.startswith(b"FAC\x00"):
        raise MalformedDataError("ISO 19794-5 record does not start with FAC")
    if record[4:8] != b"010\x00":
        raise MalformedDataError(f"ISO 19794-5 version {record[4:8]!r} is not supported")
    length = _u(record, 8, 4)
    count = _u(record, 12, 2)
    if length > len(record) or length < 14:
        raise MalformedDataError("ISO 19794-5 record length disagrees with the data")
    if not 1 <= count <= MAX_IMAGES_PER_GROUP:
        raise MalformedDataError(f"ISO 19794-5 record with {count} faces")
    faces = []
    pos = 14
    for _ in range(count):
        block = _u(record, pos, 4)
        landmarks = _u(record, pos + 4, 2)
        gender = _u(record, pos + 6, 1)
        header = 20 + 8 * landmarks
        info = pos + header
        image_start = info + 12
        end = pos + block
        if block < header + 12 or end > length:
            raise MalformedDataError("ISO 19794-5 facial block length disagrees with the data")
        data_type = _u(record, info + 1, 1)
        width, height = _u(record, info + 2, 2), _u(record, info + 4, 2)
        image = record[image_start:end]
        kind = _FORMAT_19794.get(data_type, ImageFormat.UNKNOWN)
        faces.append(
            FaceImage(
                RecordFormat.ISO_19794_5,
                kind,
                image,
                width,
                height,
                _GENDER_19794.get(gender, "unknown"),
            )
        )
        pos = end
    return faces


def _int_value(item: tlv.TLV) -> int:
    if not 1 <= len(item.value) <= 4:
        raise MalformedDataError("ISO 39794-5 integer of unexpected size")
    return int.from_bytes(item.value, "big")


def _parse_representation(rep: tlv.TLV) -> FaceImage:
    # RepresentationBlock: [1] imageRepresentation -> [0] base -> [0] 2D block
    image_rep = rep.require(0xA1)
    base = image_rep.require(0xA0)
    block = base.require(0xA0)
    image = block.require(0x80).value
    info = block.require(0xA1)
    data_format = info.require(0xA0)  # CHOICE code [0] / extensionBlock [1]
    code = data_format.find(0x80)
    kind = _FORMAT_39794.get(_int_value(code), ImageFormat.UNKNOWN) if code else ImageFormat.UNKNOWN
    width = height = None
    size = info.find(0xA7)
    if size is not None:
        w, h = size.find(0x80), size.find(0x81)
        width = _int_value(w) if w else None
        height = _int_value(h) if h else None
    gender = None
    metadata = rep.find(0xA8)
    if metadata is not None:
        g = metadata.find(0xA0)
        ext = g.find(0xA1) if g else None
        fallback = ext.find(0x80) if ext else None
        if fallback is not None:
            gender = _GENDER_39794.get(_int_value(fallback), "unknown")
    return FaceImage(RecordFormat.ISO_39794_5, kind, image, width, height, gender)


def parse_iso39794_5(record: bytes) -> list[FaceImage]:
    """The faces of an ISO/IEC 39794-5 FaceImageDataBlock (DER)."""
    top = tlv.parse_one(record)
    if top.tag != 0x65 and top.constructed:  # wrapped in a context tag
        top = top.require(0x65)
    if top.tag != 0x65:
        raise MalformedDataError(f"ISO 39794-5 record starts with tag {top.tag:X}, expected 65")
    reps = top.require(0xA1).children()
    if not 1 <= len(reps) <= MAX_IMAGES_PER_GROUP:
        raise MalformedDataError(f"ISO 39794-5 record with {len(reps)} representations")
    return [_parse_representation(rep) for rep in reps]


def parse_dg2(data: bytes) -> list[FaceImage]:
    """All face images of EF.DG2 (the whole file, tag 0x75), in record order."""
    check_size(data, "DG2")
    group = expect_tag(data, DG2_TAG, "DG2").require(BIT_GROUP)
    items = group.children()
    count_item = items[0] if items and items[0].tag == 0x02 else None
    instances = [c for c in items if c.tag == BIT]
    if count_item is None or _int_value(count_item) != len(instances):
        raise MalformedDataError("DG2 instance count disagrees with its templates")
    if not 1 <= len(instances) <= MAX_IMAGES_PER_GROUP:
        raise MalformedDataError(f"DG2 with {len(instances)} biometric templates")
    faces: list[FaceImage] = []
    for bit in instances:
        children = {c.tag: c for c in bit.children()}
        if BDB_19794 in children:
            faces.extend(parse_iso19794_5(children[BDB_19794].value))
        elif BDB_39794 in children:
            faces.extend(parse_iso39794_5(children[BDB_39794].value))
        else:
            raise MalformedDataError("DG2 template without a biometric data block")
    return faces

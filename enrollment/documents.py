"""The travel document of a counter enrollment, from typed MRZ lines or a saved chip read.

A *chip dump* is the folder ``gerbang doc read --save DIR`` writes: ``DG1.bin``
(the MRZ) and ``DG2.bin`` (the portrait), among others. Passive Authentication
of a dump is ``gerbang doc verify``'s job; here the files are parsed strictly
and the MRZ's check digits must hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt

from devices.epassport.faceimage import parse_dg2
from devices.epassport.images import decode_image
from devices.epassport.lds import parse_dg1
from devices.mrz.parser import parse_mrz
from enrollment.faces import sniff_encoding
from enrollment.session import DocumentSource
from models.biometric import ImageData
from models.errors import MalformedDataError
from models.identity import TravelDocument

MAX_DG_FILE = 1024 * 1024


@dataclass(frozen=True, slots=True)
class LoadedDocument:
    document: TravelDocument
    source: DocumentSource
    chip_photo: ImageData | None = None
    chip_pixels: npt.NDArray[np.uint8] | None = None


def from_mrz(lines: tuple[str, ...] | list[str], today: date) -> LoadedDocument:
    """Typed MRZ lines (no chip): every check digit must hold (raises MRZError)."""
    reading = parse_mrz(list(lines), reference_date=today).require_valid()
    return LoadedDocument(reading.document, DocumentSource.TYPED_MRZ)


def _dg_file(folder: Path, number: int) -> bytes:
    for name in (f"DG{number}.bin", f"EF.DG{number}.bin", f"DG{number}", f"EF.DG{number}"):
        path = folder / name
        if path.is_file():
            if path.stat().st_size > MAX_DG_FILE:
                raise MalformedDataError(f"{path.name} is larger than {MAX_DG_FILE} bytes")
            return path.read_bytes()
    raise MalformedDataError(f"chip dump {folder} has no DG{number}.bin")


def from_chip_dump(folder: Path, today: date) -> LoadedDocument:
    """DG1 (MRZ) and DG2 (portrait) of a saved chip read."""
    if not folder.is_dir():
        raise MalformedDataError(f"chip dump {folder} is not a folder")
    dg1 = parse_dg1(_dg_file(folder, 1))
    reading = parse_mrz(list(dg1.lines), reference_date=today).require_valid()
    faces = parse_dg2(_dg_file(folder, 2))
    image = faces[0]
    decoded = decode_image(image.image_data)
    photo = ImageData(
        sniff_encoding(image.image_data), image.image_data, decoded.width, decoded.height
    )
    return LoadedDocument(reading.document, DocumentSource.CHIP, photo, decoded.pixels)

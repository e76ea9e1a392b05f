"""Build a ready-to-read virtual passport for the CLI, the demo and the benchmark."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from devices.epassport.access_key import MRZKey
from devices.epassport.cipher import AES128
from devices.epassport.emulator.chip import VirtualPassport
from devices.epassport.emulator.face import synthetic_face_jpeg
from devices.epassport.emulator.faults import ChipFaults
from devices.epassport.emulator.issuer import (
    IssuedDocument,
    PaceOffer,
    issue,
    new_aa_key,
    new_ca_key,
)
from devices.epassport.emulator.pki import TestPKI
from devices.mrz.checkdigit import check_digit

SPECIMEN_TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)


def td3_for(
    key: MRZKey, *, surname: str = "TRAVELLER", given: str = "TEST", nationality: str = "UTO"
) -> list[str]:
    """A valid TD3 MRZ carrying the three fields of ``key`` (for a virtual passport)."""
    name = f"{surname}<<{given}".replace(" ", "<")
    line1 = f"P<{nationality}{name}".ljust(44, "<")[:44]
    number = key.document_number.ljust(9, "<")[:9]
    optional = "<" * 14
    body = (
        number + check_digit(number) + nationality + key.birth_date + check_digit(key.birth_date) + "X"
        + key.expiry_date + check_digit(key.expiry_date) + optional + check_digit(optional)
    )  # fmt: skip
    composite = body[0:10] + body[13:20] + body[21:43]
    return [line1, body + check_digit(composite)]


def pad_jpeg(jpeg: bytes, size: int) -> bytes:
    """Grow a JPEG to ``size`` bytes with COM (comment) segments after SOI; decoders skip them."""
    out = bytearray(jpeg[:2])
    missing = size - len(jpeg)
    while missing > 0:
        chunk = min(missing, 65535 + 2)
        if chunk < 4:
            break
        out += b"\xff\xfe" + (chunk - 2).to_bytes(2, "big") + b"\x00" * (chunk - 4)
        missing -= chunk
    return bytes(out) + jpeg[2:]


@dataclass
class VirtualSetup:
    document: IssuedDocument
    chip: VirtualPassport


def make_virtual_passport(
    mrz_lines: list[str],
    *,
    at: datetime,
    profile: str = "pace",
    face_jpeg: bytes | None = None,
    can: str | None = None,
    faults: ChipFaults | None = None,
    pki: TestPKI | None = None,
) -> VirtualSetup:
    """A chip with PACE (brainpoolP256r1, AES-128) or BAC only, CA (ECDH) and AA (RSA)."""
    pki = pki or TestPKI.generate(not_before=at.replace(year=at.year - 1))
    document = issue(
        list(mrz_lines),
        pki=pki,
        issued_at=at,
        face_jpeg=face_jpeg or synthetic_face_jpeg(360, 480),
        pace=(PaceOffer(13, AES128),),
        aa_key=new_aa_key("rsa"),
        ca_key=new_ca_key("ecdh", AES128),
        can=can,
    )
    chip = VirtualPassport(document, pace=profile == "pace", faults=faults)
    return VirtualSetup(document, chip)

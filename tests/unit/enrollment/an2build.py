"""Build small ANSI/NIST-ITL transactions for tests (tagged Type-1/2/9/10/14, binary Type-4)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def tagged(rtype: int, fields: list[tuple[int, bytes]]) -> bytes:
    body = b"".join(f"{rtype}.{n:03d}:".encode() + v + b"\x1d" for n, v in fields)
    for digits in range(1, 9):
        length = len(f"{rtype}.001:".encode()) + digits + 1 + len(body)
        if len(str(length)) == digits:
            break
    return f"{rtype}.001:{length}\x1d".encode() + body[:-1] + b"\x1c"


def type4(idc: int, fgp: int, width: int = 16, height: int = 16) -> bytes:
    pixels = (np.arange(width * height) % 251).astype(np.uint8).tobytes()
    header = bytes([idc, 0, fgp, 255, 255, 255, 255, 255, 0])
    header += width.to_bytes(2, "big") + height.to_bytes(2, "big") + bytes([0])
    return (4 + len(header) + len(pixels)).to_bytes(4, "big") + header + pixels


def jpeg(width: int = 40, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), 128, np.uint8)).save(buffer, format="JPEG")
    return buffer.getvalue()


def face_record(idc: int, kind: bytes = b"FACE", image: bytes | None = None) -> bytes:
    data = image if image is not None else jpeg()
    return tagged(
        10,
        [
            (2, str(idc).encode()),
            (3, kind),
            (6, b"40"),
            (7, b"48"),
            (11, b"JPEGB"),
            (999, data),
        ],
    )


def transaction(records: list[tuple[int, bytes]], *, name: bytes = b"SANTOSO,BUDI") -> bytes:
    """A transaction: Type-1, a Type-2 with the name, then ``records`` as (type, bytes)."""
    cnt = [b"1\x1f" + str(len(records) + 1).encode(), b"2\x1f00"]
    cnt += [f"{rtype}\x1f{n + 1:02d}".encode() for n, (rtype, _) in enumerate(records)]
    type1 = tagged(
        1, [(2, b"0400"), (3, b"\x1e".join(cnt)), (4, b"CAR"), (8, b"POLRI"), (9, b"TCN-1")]
    )
    type2 = tagged(2, [(2, b"00"), (18, name), (21, b"IDN"), (37, b"warrant 17/2026")])
    return type1 + type2 + b"".join(data for _, data in records)

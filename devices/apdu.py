"""ISO/IEC 7816-4 command and response APDUs."""

from __future__ import annotations

from dataclasses import dataclass

from models.errors import DocumentError, MalformedDataError

SW_OK = 0x9000


class CardStatusError(DocumentError):
    """The card answered with a status word that the protocol step does not accept."""

    code = "document.status_word"

    def __init__(self, message: str, *, sw: int) -> None:
        super().__init__(f"{message} (SW {sw:04X})")
        self.sw = sw


@dataclass(frozen=True, slots=True)
class CommandAPDU:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None  # None: no Le; 0 with short encoding means 256, with extended 65536
    extended: bool = False  # force extended-length encoding

    def encode(self) -> bytes:
        for name in ("cla", "ins", "p1", "p2"):
            value = getattr(self, name)
            if not 0 <= value <= 0xFF:
                raise ValueError(f"{name} out of range: {value}")
        header = bytes([self.cla, self.ins, self.p1, self.p2])
        lc = len(self.data)
        le = self.le
        extended = self.extended or lc > 255 or (le is not None and le > 256)
        if lc > 65535 or (le is not None and not 0 <= le <= 65536):
            raise ValueError("APDU too long")
        out = bytearray(header)
        if not extended:
            if lc:
                out += bytes([lc]) + self.data
            if le is not None:
                out.append(le & 0xFF)  # 256 -> 0x00
            return bytes(out)
        if lc:
            out += b"\x00" + lc.to_bytes(2, "big") + self.data
        if le is not None:
            le_bytes = (le & 0xFFFF).to_bytes(2, "big")  # 65536 -> 0x0000
            out += le_bytes if lc else b"\x00" + le_bytes
        return bytes(out)


@dataclass(frozen=True, slots=True)
class ResponseAPDU:
    data: bytes
    sw1: int
    sw2: int

    @property
    def sw(self) -> int:
        return (self.sw1 << 8) | self.sw2

    @property
    def ok(self) -> bool:
        return self.sw == SW_OK

    @classmethod
    def parse(cls, raw: bytes) -> ResponseAPDU:
        if len(raw) < 2:
            raise MalformedDataError(f"response APDU of {len(raw)} bytes has no status word")
        return cls(bytes(raw[:-2]), raw[-2], raw[-1])

    def encode(self) -> bytes:
        return self.data + bytes([self.sw1, self.sw2])

    def check(self, what: str) -> bytes:
        """The data if the status is 9000, else CardStatusError naming the step."""
        if not self.ok:
            raise CardStatusError(f"{what} refused by the card", sw=self.sw)
        return self.data

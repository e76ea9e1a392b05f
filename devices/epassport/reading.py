"""Reading the files of the LDS application (ICAO 9303-10 §3, 9303-11 §9.8).

With as few APDUs as the reader and chip allow: the first READ BINARY of a file uses its
short EF identifier (no SELECT) and asks for a whole chunk at once; the length comes
from the file's first TLV header; later reads ask for the largest chunk the channel
takes (extended length when both ends support it, else 223 bytes so that the protected
answer fits a short APDU). Offsets beyond 32767 use READ BINARY with odd INS (B1).
A chip that refuses a long Le for a short file is asked for the header first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from devices.apdu import CardStatusError, CommandAPDU, ResponseAPDU
from devices.base import CardChannel
from devices.epassport import params, tlv
from devices.epassport.command import exchange
from devices.epassport.errors import FileTooLargeError
from devices.epassport.lds import DG_TAGS, parse_ef_com
from devices.epassport.sm import SecureChannel
from models.errors import MalformedDataError

log = logging.getLogger(__name__)

LDS_AID = bytes.fromhex("A0000002471001")
SW_OK = 0x9000
SW_END_OF_FILE = 0x6282
SW_NOT_FOUND = (0x6A82,)
SW_WRONG_LENGTH = 0x6700
SW_WRONG_OFFSET = 0x6B00
SW_SFI_REFUSED = (0x6A81, 0x6A86, 0x6981, 0x6986, 0x6D00, 0x6E00)


@dataclass(frozen=True, slots=True)
class EF:
    name: str
    fid: int
    sfi: int
    tag: int
    dg: int | None = None


EF_CARD_ACCESS = EF("EF.CardAccess", 0x011C, 0x1C, 0x31)
EF_COM = EF("EF.COM", 0x011E, 0x1E, DG_TAGS[0])
EF_SOD = EF("EF.SOD", 0x011D, 0x1D, 0x77)
DATA_GROUPS: dict[int, EF] = {
    n: EF(f"DG{n}", 0x0100 + n, n, tag, n) for n, tag in DG_TAGS.items() if n > 0
}
FILES: dict[str, EF] = {ef.name: ef for ef in (EF_COM, EF_SOD, *DATA_GROUPS.values())}


@dataclass(frozen=True, slots=True)
class ReadProgress:
    file: str
    read: int  # bytes of this file read so far
    total: int  # bytes of this file


ProgressCallback = Callable[[ReadProgress], None]


def com_data_groups(com: bytes) -> set[int]:
    """The data groups EF.COM lists (:func:`devices.epassport.lds.parse_ef_com`)."""
    return set(parse_ef_com(com).data_groups)


class _Counting:
    """Counts the APDUs a FileReader sends (its statistics for the benchmark and the UI)."""

    def __init__(self, inner: CardChannel) -> None:
        self.inner = inner
        self.count = 0

    def transmit(self, apdu: bytes) -> bytes:
        self.count += 1
        return self.inner.transmit(apdu)


_MAX_HEADER = 9  # a 4-byte tag and a length field of 1 + 4 bytes


def _header(head: bytes) -> tuple[int, int, int] | None:
    """(tag, header size, value length) of a BER-TLV header, None when more bytes are needed.

    Raises MalformedDataError for headers no LDS file may have: tags longer than 4
    bytes, indefinite lengths (LDS files are DER), length fields longer than 4 bytes
    (the limits of :func:`tlv.read_tag` and :func:`tlv.read_length`).
    """
    try:
        tag, pos = tlv.read_tag(head, 0)
        length, pos = tlv.read_length(head, pos)
    except MalformedDataError:
        # Either the header is cut short (it parses once more bytes come: ask for them)
        # or it is malformed whatever follows (parsing the padded bytes raises again).
        padded = head + bytes(_MAX_HEADER)
        tag, pos = tlv.read_tag(padded, 0)
        tlv.read_length(padded, pos)
        return None
    if length is None:
        raise MalformedDataError("file has an indefinite length")
    return tag, pos, length


class FileAbsentError(CardStatusError):
    """The chip has no such file (6A82)."""

    code = "document.file_absent"


class FileReader:
    """Reads files over one (plain or secure) channel. ``partial`` keeps what a failed
    read got, so that the caller can resume after re-establishing the session."""

    def __init__(
        self,
        channel: CardChannel,
        *,
        extended_length: bool = False,
        read_size: int | None = None,
        short_file_ids: bool = True,
        max_file_size: int = params.MAX_FILE_SIZE,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.channel = _Counting(channel)
        short = channel.short_response_limit if isinstance(channel, SecureChannel) else 256
        self.chunk = read_size or (params.EXTENDED_READ_SIZE if extended_length else short)
        self.short_file_ids = short_file_ids
        self.max_file_size = max_file_size
        self.progress = progress
        self.partial = b""
        self._selected: int | None = None

    @property
    def apdus(self) -> int:
        """APDUs sent so far by this reader."""
        return self.channel.count

    def select_application(self) -> None:
        response = exchange(self.channel, CommandAPDU(0x00, 0xA4, 0x04, 0x0C, LDS_AID))
        response.check("SELECT of the eMRTD application")
        self._selected = None

    def _select(self, ef: EF) -> None:
        response = exchange(
            self.channel, CommandAPDU(0x00, 0xA4, 0x02, 0x0C, ef.fid.to_bytes(2, "big"))
        )
        if response.sw in SW_NOT_FOUND:
            raise FileAbsentError(f"{ef.name} is not on the chip", sw=response.sw)
        response.check(f"SELECT {ef.name}")
        self._selected = ef.fid

    def _read_command(self, ef: EF, offset: int, length: int) -> ResponseAPDU:
        if self._selected != ef.fid and self.short_file_ids and offset < 256:
            response = exchange(
                self.channel, CommandAPDU(0x00, 0xB0, 0x80 | ef.sfi, offset, le=length)
            )
            if response.sw in SW_SFI_REFUSED:
                self.short_file_ids = False  # this chip does not take SFIs: select from now on
                return self._read_command(ef, offset, length)
            if response.sw in (SW_OK, SW_END_OF_FILE):
                self._selected = ef.fid
            return response
        if self._selected != ef.fid:
            self._select(ef)
        if offset <= params.MAX_EVEN_INS_OFFSET:
            return exchange(
                self.channel, CommandAPDU(0x00, 0xB0, offset >> 8, offset & 0xFF, le=length)
            )
        offset_do = tlv.encode(0x54, offset.to_bytes(3, "big"))
        response = exchange(
            self.channel, CommandAPDU(0x00, 0xB1, 0x00, 0x00, offset_do, le=min(length + 4, 65536))
        )
        if response.sw in (SW_OK, SW_END_OF_FILE) and response.data:
            wrapped = tlv.parse_one(response.data)
            if wrapped.tag != 0x53:
                raise MalformedDataError("READ BINARY (B1) answer is not a 53 data object")
            return ResponseAPDU(wrapped.value, response.sw1, response.sw2)
        return response

    def _total(self, ef: EF, head: bytes) -> int | None:
        """File length from its first TLV header; None while ``head`` is too short to tell."""
        header = _header(head)
        if header is None:
            return None
        tag, size, length = header
        if tag != ef.tag:
            raise MalformedDataError(f"{ef.name} starts with tag {tag:X}, expected {ef.tag:X}")
        total = size + length
        if total > self.max_file_size:
            raise FileTooLargeError(ef.name, total, self.max_file_size)
        return total

    def read(self, ef: EF, *, resume: bytes = b"") -> bytes:
        """The whole file. Raises FileAbsentError when the chip does not have it."""
        data = bytearray(resume)
        self.partial = bytes(data)
        total = self._total(ef, bytes(data)) if data else None
        want_header = False
        while total is None or len(data) < total:
            offset = len(data)
            if total is None:
                length = params.HEADER_READ_SIZE if want_header else self.chunk
            else:
                length = min(self.chunk, total - offset)
            response = self._read_command(ef, offset, length)
            if response.sw in SW_NOT_FOUND and not data:
                raise FileAbsentError(f"{ef.name} is not on the chip", sw=response.sw)
            if response.sw == SW_WRONG_LENGTH and total is None and not want_header:
                want_header = True
                continue
            if response.sw not in (SW_OK, SW_END_OF_FILE):
                response.check(f"READ BINARY of {ef.name}")
            if not response.data:
                raise MalformedDataError(f"{ef.name}: the chip returned no data at offset {offset}")
            data += response.data
            self.partial = bytes(data)
            if total is None:
                total = self._total(ef, bytes(data))
                if total is None and response.sw == SW_END_OF_FILE:
                    raise MalformedDataError(f"{ef.name} ends inside its header")
            if total is not None and self.progress is not None:
                self.progress(ReadProgress(ef.name, min(len(data), total), total))
        log.debug("file read", extra={"step": ef.name, "count": total})
        return bytes(data[:total])

    def read_optional(self, ef: EF) -> bytes | None:
        """The file, or None when the chip does not have it (an absent optional file is not an error)."""
        try:
            return self.read(ef)
        except FileAbsentError:
            return None

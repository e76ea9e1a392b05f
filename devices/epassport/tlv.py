"""BER-TLV as used by ICAO 9303 (LDS files, secure messaging, PACE/CA data objects).

Parsing is strict and bounded: tags of at most 4 bytes, lengths of at most 4
bytes, no value may run past its parent, and indefinite lengths (0x80) are
accepted only for constructed values and only where ``allow_indefinite`` is
set (CMS in EF.SOD uses them). Any violation raises
:class:`~models.errors.MalformedDataError`; nothing here can loop forever or
allocate more than its input.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from models.errors import MalformedDataError

MAX_DEPTH = 32


@dataclass(frozen=True, slots=True)
class TLV:
    tag: int
    value: bytes  # for indefinite-length values: the content without the end-of-contents octets
    offset: int  # where the TLV starts in the buffer it was parsed from
    end: int  # one past its last byte (end-of-contents included)

    @property
    def constructed(self) -> bool:
        return bool(_first_tag_byte(self.tag) & 0x20)

    def children(self, *, allow_indefinite: bool = False) -> list[TLV]:
        if not self.constructed:
            raise MalformedDataError(f"tag {self.tag:X} is primitive, it has no children")
        return parse_all(self.value, allow_indefinite=allow_indefinite)

    def find(self, tag: int) -> TLV | None:
        return next((c for c in self.children() if c.tag == tag), None)

    def require(self, tag: int) -> TLV:
        found = self.find(tag)
        if found is None:
            raise MalformedDataError(f"tag {tag:X} missing inside {self.tag:X}")
        return found


def _first_tag_byte(tag: int) -> int:
    length = max(1, (tag.bit_length() + 7) // 8)
    return tag >> (8 * (length - 1))


def read_tag(buf: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(buf):
        raise MalformedDataError("truncated TLV: tag missing")
    first = buf[pos]
    tag = first
    pos += 1
    if first & 0x1F == 0x1F:
        for count in range(3):
            if pos >= len(buf):
                raise MalformedDataError("truncated TLV: multi-byte tag")
            byte = buf[pos]
            tag = (tag << 8) | byte
            pos += 1
            if not byte & 0x80:
                break
            if count == 2:
                raise MalformedDataError("TLV tag longer than 4 bytes")
    return tag, pos


def read_length(buf: bytes, pos: int) -> tuple[int | None, int]:
    """The length and the position after it; ``None`` for the indefinite form."""
    if pos >= len(buf):
        raise MalformedDataError("truncated TLV: length missing")
    first = buf[pos]
    pos += 1
    if first < 0x80:
        return first, pos
    if first == 0x80:
        return None, pos
    count = first & 0x7F
    if count > 4:
        raise MalformedDataError(f"TLV length field of {count} bytes")
    if pos + count > len(buf):
        raise MalformedDataError("truncated TLV: length bytes")
    return int.from_bytes(buf[pos : pos + count], "big"), pos + count


def _parse_one(buf: bytes, pos: int, allow_indefinite: bool, depth: int) -> TLV:
    if depth > MAX_DEPTH:
        raise MalformedDataError("TLV nested too deeply")
    start = pos
    tag, pos = read_tag(buf, pos)
    length, pos = read_length(buf, pos)
    if length is None:
        if not allow_indefinite:
            raise MalformedDataError(f"indefinite length for tag {tag:X} not allowed here")
        if not _first_tag_byte(tag) & 0x20:
            raise MalformedDataError(f"indefinite length on primitive tag {tag:X}")
        inner = pos
        while True:
            if inner + 2 > len(buf):
                raise MalformedDataError("truncated TLV: end-of-contents missing")
            if buf[inner] == 0 and buf[inner + 1] == 0:
                return TLV(tag, bytes(buf[pos:inner]), start, inner + 2)
            inner = _parse_one(buf, inner, allow_indefinite, depth + 1).end
    end = pos + length
    if end > len(buf):
        raise MalformedDataError(f"TLV value of tag {tag:X} runs past the data ({length} bytes)")
    return TLV(tag, bytes(buf[pos:end]), start, end)


def parse_one(buf: bytes, pos: int = 0, *, allow_indefinite: bool = False) -> TLV:
    return _parse_one(buf, pos, allow_indefinite, 0)


def iter_tlv(buf: bytes, *, allow_indefinite: bool = False) -> Iterator[TLV]:
    pos = 0
    while pos < len(buf):
        item = parse_one(buf, pos, allow_indefinite=allow_indefinite)
        yield item
        pos = item.end


def parse_all(buf: bytes, *, allow_indefinite: bool = False) -> list[TLV]:
    return list(iter_tlv(buf, allow_indefinite=allow_indefinite))


def encode_tag(tag: int) -> bytes:
    if tag < 0:
        raise ValueError("negative tag")
    return tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")


def encode_length(length: int) -> bytes:
    if length < 0:
        raise ValueError("negative length")
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def encode(tag: int, value: bytes) -> bytes:
    return encode_tag(tag) + encode_length(len(value)) + value

"""What an ATR says about extended-length APDUs (ISO/IEC 7816-3 §8, 7816-4 §8.1.1.2.7).

A contactless reader builds the ATR from the card's ATS; its historical bytes may carry
the "card capabilities" compact-TLV object (tag 7), whose third byte has bit 7 (0x40)
set when the card takes extended Lc/Le fields.
"""

from __future__ import annotations


def historical_bytes(atr: bytes) -> bytes:
    """The historical bytes of an ATR, or b"" when the ATR is malformed."""
    if len(atr) < 2:
        return b""
    count = atr[1] & 0x0F
    pos, y = 2, atr[1] >> 4
    while True:
        pos += bin(y & 0x7).count("1")  # TA, TB, TC
        if y & 0x8:  # TD
            if pos >= len(atr):
                return b""
            y = atr[pos] >> 4
            pos += 1
        else:
            break
    if pos + count > len(atr):
        return b""
    return atr[pos : pos + count]


def supports_extended_length(atr: bytes) -> bool:
    hist = historical_bytes(atr)
    if not hist or hist[0] not in (0x00, 0x80):
        return False
    body = hist[1:-3] if hist[0] == 0x00 else hist[1:]
    pos = 0
    while pos < len(body):
        tag, length = body[pos] >> 4, body[pos] & 0x0F
        value = body[pos + 1 : pos + 1 + length]
        if tag == 0x7 and len(value) >= 3:
            return bool(value[2] & 0x40)
        pos += 1 + length
    return False


def contactless_atr(historical: bytes) -> bytes:
    """The ATR a PC/SC reader builds for an ISO 14443-4 card (PC/SC part 3 §3.1.3.2.3)."""
    body = bytes([0x80 | len(historical), 0x80, 0x01]) + historical
    tck = 0
    for byte in body:
        tck ^= byte
    return b"\x3b" + body + bytes([tck])

"""Parsing command APDUs (ISO/IEC 7816-3 cases 1-4, short and extended).

The reader's secure messaging and the virtual chip both take apart command APDUs that
arrive as bytes. The result is :class:`devices.apdu.CommandAPDU`.
"""

from __future__ import annotations

from devices.apdu import CommandAPDU, ResponseAPDU
from devices.base import CardChannel
from models.errors import MalformedDataError


def parse_command(raw: bytes) -> CommandAPDU:
    if len(raw) < 4:
        raise MalformedDataError(f"command APDU of {len(raw)} bytes has no header")
    cla, ins, p1, p2 = raw[:4]
    body = raw[4:]
    if not body:
        return CommandAPDU(cla, ins, p1, p2)
    if len(body) == 1:  # case 2 short
        return CommandAPDU(cla, ins, p1, p2, le=body[0] or 256)
    if body[0] != 0:  # short case 3 or 4
        lc = body[0]
        if len(body) == 1 + lc:
            return CommandAPDU(cla, ins, p1, p2, bytes(body[1:]))
        if len(body) == 2 + lc:
            return CommandAPDU(cla, ins, p1, p2, bytes(body[1 : 1 + lc]), le=body[-1] or 256)
        raise MalformedDataError("short command APDU length does not match Lc")
    # extended: 00 then 2 bytes
    if len(body) == 3:  # case 2 extended
        le = int.from_bytes(body[1:3], "big")
        return CommandAPDU(cla, ins, p1, p2, le=le or 65536, extended=True)
    if len(body) < 3:
        raise MalformedDataError("extended command APDU is truncated")
    lc = int.from_bytes(body[1:3], "big")
    if lc == 0:
        raise MalformedDataError("extended command APDU with Lc = 0")
    if len(body) == 3 + lc:
        return CommandAPDU(cla, ins, p1, p2, bytes(body[3:]), extended=True)
    if len(body) == 5 + lc:
        le = int.from_bytes(body[-2:], "big")
        return CommandAPDU(cla, ins, p1, p2, bytes(body[3 : 3 + lc]), le=le or 65536, extended=True)
    raise MalformedDataError("extended command APDU length does not match Lc")


MAX_GET_RESPONSE = 64  # bound on 61xx chains: a card cannot keep the reader busy forever


def exchange(channel: CardChannel, command: CommandAPDU) -> ResponseAPDU:
    """Send ``command``; follow 61xx with GET RESPONSE and repeat once on 6Cxx (exact Le)."""
    response = ResponseAPDU.parse(channel.transmit(command.encode()))
    if response.sw1 == 0x6C and command.le is not None:
        exact = CommandAPDU(
            command.cla, command.ins, command.p1, command.p2, command.data, le=response.sw2 or 256
        )
        response = ResponseAPDU.parse(channel.transmit(exact.encode()))
    data = response.data
    for _ in range(MAX_GET_RESPONSE):
        if response.sw1 != 0x61:
            return ResponseAPDU(data, response.sw1, response.sw2)
        get = CommandAPDU(command.cla & 0x0C, 0xC0, 0x00, 0x00, le=response.sw2 or 256)
        response = ResponseAPDU.parse(channel.transmit(get.encode()))
        data += response.data
    raise MalformedDataError("the card keeps answering 61xx")

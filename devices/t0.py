"""ISO/IEC 7816-4 §5.3.4 transport rules a card channel applies for its caller.

A card may answer ``61xx`` (more data: send GET RESPONSE for ``xx`` bytes) or
``6Cxx`` (wrong Le: resend with Le = ``xx``), mostly over T=0. The channels
of this package resolve both so that callers always get the final response,
as javax.smartcardio does.
"""

from __future__ import annotations

from collections.abc import Callable

from devices import params
from devices.errors import CardProtocolError


def _get_response_cla(cla: int) -> int:
    """GET RESPONSE in the interindustry class, on the same logical channel."""
    if cla & 0x40:
        return 0x40 | (cla & 0x0F)
    return cla & 0x03


def _with_le(apdu: bytes, le: int) -> bytes | None:
    """The short APDU with its Le replaced, or None when it has no short Le to replace."""
    if len(apdu) == 5:
        return apdu[:4] + bytes([le])
    if len(apdu) > 5 and apdu[4] != 0 and len(apdu) == 6 + apdu[4]:
        return apdu[:-1] + bytes([le])
    return None


def resolve(raw: Callable[[bytes], bytes], apdu: bytes, device_id: str | None = None) -> bytes:
    """Transmit ``apdu`` with ``raw`` and follow 6Cxx / 61xx until the final response."""
    response = raw(apdu)
    if len(response) >= 2 and response[-2] == 0x6C:
        retried = _with_le(apdu, response[-1])
        if retried is not None:
            response = raw(retried)
    data = bytearray()
    for _ in range(params.PCSC_MAX_GET_RESPONSE):
        if len(response) < 2 or response[-2] != 0x61:
            return bytes(data) + response
        data += response[:-2]
        le = response[-1]
        response = raw(bytes([_get_response_cla(apdu[0]), 0xC0, 0x00, 0x00, le]))
    raise CardProtocolError(
        f"card asked for more than {params.PCSC_MAX_GET_RESPONSE} GET RESPONSE rounds",
        device_id=device_id,
    )

"""Secure messaging (ICAO 9303-11 §9.8): protected APDUs, and a CardChannel that speaks them.

:class:`SecureChannel` wraps another :class:`~devices.base.CardChannel`: it takes plain
command APDUs, sends them protected (DO87/DO85 cryptogram, DO97 Le, DO8E MAC) and returns
plain responses after checking the MAC of the chip's answer in constant time. The send
sequence counter (SSC) is incremented before every command and every response. After any
failure (wrong MAC, missing objects, a chip that dropped the session, the card leaving, a
timeout) the channel is closed and refuses further commands: the caller must run access
control again. The chip-side counterparts (:func:`unprotect_command`,
:func:`protect_response`) serve the virtual chip.

Nothing here logs: plaintext APDUs carry personal data and keys are secret.
"""

from __future__ import annotations

import hmac

from devices.apdu import CommandAPDU
from devices.base import CardChannel
from devices.epassport import tlv
from devices.epassport.cipher import SessionKeys, pad, unpad
from devices.epassport.command import parse_command
from devices.epassport.errors import SecureMessagingError, SecureMessagingMacError
from models.errors import DeviceError, MalformedDataError

SM_CLA = 0x0C
SW_SM_MISSING = 0x6987  # expected secure-messaging data objects missing
SW_SM_INCORRECT = 0x6988  # secure-messaging data objects incorrect (wrong MAC)


def _next(ssc: int, keys: SessionKeys) -> int:
    ssc += 1
    if ssc >= 1 << (8 * keys.ssc_size):
        raise SecureMessagingError("send sequence counter exhausted", reason="ssc_exhausted")
    return ssc


def _le_bytes(le: int, extended: bool) -> bytes:
    if not extended and le <= 256:
        return bytes([le & 0xFF])
    return (le & 0xFFFF).to_bytes(2, "big")


def protect_command(
    keys: SessionKeys, ssc: int, command: CommandAPDU, *, extended: bool = False
) -> bytes:
    """The protected form of ``command``; ``ssc`` is the counter value for this command."""
    block = keys.spec.block_size
    cla = command.cla | SM_CLA
    header = bytes([cla, command.ins, command.p1, command.p2])
    odd = bool(command.ins & 1)
    objects = b""
    if command.data:
        cryptogram = keys.encrypt(ssc, pad(command.data, block))
        objects += tlv.encode(0x85, cryptogram) if odd else tlv.encode(0x87, b"\x01" + cryptogram)
    long_le = command.le is not None and command.le > 256
    use_extended = extended or command.extended or long_le
    if command.le is not None:
        objects += tlv.encode(0x97, _le_bytes(command.le, use_extended))
    mac = keys.mac(ssc, pad(header, block) + objects)
    body = objects + tlv.encode(0x8E, mac)
    use_extended = use_extended or len(body) > 255
    return CommandAPDU(
        cla,
        command.ins,
        command.p1,
        command.p2,
        body,
        le=65536 if use_extended else 256,
        extended=use_extended,
    ).encode()


def short_plain_limit(block: int) -> int:
    """Largest n such that DO87(pad(n)) + DO99 + DO8E fits in 256 bytes: 231 (3DES), 223 (AES)."""
    for n in range(256, 0, -1):
        do87 = (n // block + 1) * block + 1
        if 1 + len(tlv.encode_length(do87)) + do87 + 4 + 10 <= 256:
            return n
    return 0


def _objects(body: bytes) -> list[tlv.TLV]:
    try:
        return tlv.parse_all(body)
    except MalformedDataError as exc:
        raise SecureMessagingError(
            "secure-messaging response does not parse", reason="malformed"
        ) from exc


def unprotect_response(keys: SessionKeys, ssc: int, raw: bytes) -> bytes:
    """Verify and open a protected response; returns plain data || SW from DO99."""
    if len(raw) < 2:
        raise SecureMessagingError("response without status word", reason="malformed")
    body = raw[:-2]
    objects = _objects(body)
    if not objects or objects[-1].tag != 0x8E or len(objects[-1].value) != 8:
        raise SecureMessagingError("response has no 8-byte MAC (DO8E)", reason="missing_objects")
    covered = body[: objects[-1].offset]
    expected = keys.mac(ssc, covered)
    if not hmac.compare_digest(expected, objects[-1].value):
        raise SecureMessagingMacError()
    status = next((o for o in objects if o.tag == 0x99), None)
    if status is None or len(status.value) != 2:
        raise SecureMessagingError("response has no status object (DO99)", reason="missing_objects")
    data = b""
    for obj in objects[:-1]:
        if obj.tag == 0x87:
            if not obj.value or obj.value[0] != 0x01:
                raise SecureMessagingError("DO87 without padding indicator 01", reason="malformed")
            data = unpad(keys.decrypt(ssc, obj.value[1:]), keys.spec.block_size)
        elif obj.tag == 0x85:
            data = unpad(keys.decrypt(ssc, obj.value), keys.spec.block_size)
        elif obj.tag not in (0x99, 0x81):
            raise SecureMessagingError(
                f"unexpected object {obj.tag:X} in response", reason="malformed"
            )
    return data + status.value


class SecureChannel:
    """A CardChannel that protects every APDU with secure messaging."""

    def __init__(
        self, inner: CardChannel, keys: SessionKeys, ssc: int = 0, *, extended_length: bool = False
    ) -> None:
        self.inner = inner
        self._keys = keys
        self._ssc = ssc
        self.extended_length = extended_length
        self.closed = False

    def __repr__(self) -> str:
        return f"SecureChannel({self._keys.spec.label}, closed={self.closed})"

    @property
    def cipher_label(self) -> str:
        return self._keys.spec.label

    @property
    def short_response_limit(self) -> int:
        """The most plaintext a protected answer can carry in a short APDU (256 bytes)."""
        return short_plain_limit(self._keys.spec.block_size)

    def rekey(self, keys: SessionKeys, ssc: int = 0) -> None:
        """Switch to new keys (after Chip Authentication)."""
        self._keys = keys
        self._ssc = ssc
        self.closed = False

    def transmit(self, apdu: bytes) -> bytes:
        if self.closed:
            raise SecureMessagingError("secure messaging session is closed", reason="closed")
        try:
            command = parse_command(apdu)
            self._ssc = _next(self._ssc, self._keys)
            protected = protect_command(
                self._keys, self._ssc, command, extended=self.extended_length and command.extended
            )
            raw = self.inner.transmit(protected)
            self._ssc = _next(self._ssc, self._keys)
            if len(raw) == 2:
                return self._plain_status(raw)
            return unprotect_response(self._keys, self._ssc, raw)
        except (SecureMessagingError, DeviceError):
            self.closed = True
            raise

    def _plain_status(self, raw: bytes) -> bytes:
        sw = int.from_bytes(raw, "big")
        if sw in (SW_SM_MISSING, SW_SM_INCORRECT):
            raise SecureMessagingError(
                f"the chip rejected secure messaging (SW {sw:04X})", reason="chip_rejected"
            )
        if sw == 0x9000 or raw[0] == 0x61:
            raise SecureMessagingError("the chip answered without protection", reason="unprotected")
        # An error status without protection (e.g. 6A82 file not found): ISO 7816-4 lets a
        # card answer errors in plain. It carries no data, so nothing is trusted from it.
        return raw


# ---------------------------------------------------------------- chip side


def unprotect_command(keys: SessionKeys, ssc: int, raw: bytes) -> CommandAPDU:
    """Verify and open a protected command (chip side); raises SecureMessagingError."""
    command = parse_command(raw)
    if command.cla & SM_CLA != SM_CLA:
        raise SecureMessagingError("command is not protected", reason="unprotected")
    objects = _objects(command.data)
    if not objects or objects[-1].tag != 0x8E or len(objects[-1].value) != 8:
        raise SecureMessagingError("command has no 8-byte MAC", reason="missing_objects")
    block = keys.spec.block_size
    header = bytes([command.cla, command.ins, command.p1, command.p2])
    covered = command.data[: objects[-1].offset]
    if not hmac.compare_digest(keys.mac(ssc, pad(header, block) + covered), objects[-1].value):
        raise SecureMessagingMacError("secure messaging MAC of the command is wrong")
    data = b""
    le: int | None = None
    for obj in objects[:-1]:
        if obj.tag == 0x87:
            if not obj.value or obj.value[0] != 0x01:
                raise SecureMessagingError("DO87 without padding indicator", reason="malformed")
            data = unpad(keys.decrypt(ssc, obj.value[1:]), keys.spec.block_size)
        elif obj.tag == 0x85:
            data = unpad(keys.decrypt(ssc, obj.value), keys.spec.block_size)
        elif obj.tag == 0x97:
            value = int.from_bytes(obj.value, "big") if obj.value else None
            if value is not None:
                le = value or (256 if len(obj.value) == 1 else 65536)
        else:
            raise SecureMessagingError(
                f"unexpected object {obj.tag:X} in command", reason="malformed"
            )
    return CommandAPDU(
        command.cla & ~SM_CLA & 0xFF,
        command.ins,
        command.p1,
        command.p2,
        data,
        le,
        extended=command.extended,
    )


def protect_response(
    keys: SessionKeys, ssc: int, data: bytes, sw: int, *, odd_ins: bool = False
) -> bytes:
    """The protected response (chip side)."""
    objects = b""
    if data:
        cryptogram = keys.encrypt(ssc, pad(data, keys.spec.block_size))
        objects += (
            tlv.encode(0x85, cryptogram) if odd_ins else tlv.encode(0x87, b"\x01" + cryptogram)
        )
    objects += tlv.encode(0x99, sw.to_bytes(2, "big"))
    return objects + tlv.encode(0x8E, keys.mac(ssc, objects)) + sw.to_bytes(2, "big")

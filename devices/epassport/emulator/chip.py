"""The virtual ePassport chip: a :class:`devices.base.CardApplet` that plays an ICAO 9303 chip.

It answers SELECT, READ BINARY (short file identifiers, odd INS B1 for large offsets,
short and extended length), GET CHALLENGE and EXTERNAL AUTHENTICATE (BAC), MSE:Set AT
and GENERAL AUTHENTICATE (PACE-GM and Chip Authentication), MSE:Set KAT (3DES Chip
Authentication) and INTERNAL AUTHENTICATE (Active Authentication), enforces secure
messaging on the LDS files, and plays the faults of :class:`ChipFaults`.

Development and test only; production start-up refuses virtual devices.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import rsa

from devices.apdu import CommandAPDU
from devices.epassport import params, sm, tlv
from devices.epassport.atr import contactless_atr
from devices.epassport.cipher import TDES, SessionKeys
from devices.epassport.command import parse_command
from devices.epassport.emulator.faults import ChipFaults
from devices.epassport.emulator.issuer import AAKey, IssuedDocument, new_aa_key
from devices.epassport.emulator.protocols import (
    SW_AUTH_FAILED,
    SW_CONDITIONS,
    SW_OK,
    SW_WRONG_DATA,
    ChipBac,
    ChipPace,
    aa_sign,
)
from devices.epassport.errors import SecureMessagingError
from devices.epassport.oids import CA_ALGORITHMS
from devices.epassport.pace import oid_content
from devices.epassport.reading import DATA_GROUPS, EF_CARD_ACCESS, EF_COM, EF_SOD, LDS_AID
from models.errors import CardRemovedError, MalformedDataError

SW_NOT_FOUND = 0x6A82
SW_SECURITY = 0x6982
SW_NO_EF = 0x6986
SW_WRONG_LENGTH = 0x6700
SW_WRONG_OFFSET = 0x6B00
SW_INS = 0x6D00
SW_P1P2 = 0x6A86
SW_END = 0x6282
MF_FID = 0x3F00
EXTENDED_MAX = 0xFF00


@dataclass
class _File:
    name: str
    fid: int
    sfi: int
    data: bytes
    in_mf: bool = False


def _tampered(data: bytes) -> bytes:
    changed = bytearray(data)
    changed[len(data) // 2] ^= 0x01
    return bytes(changed)


def _oversized(data: bytes) -> bytes:
    head = tlv.parse_one(data)
    return tlv.encode_tag(head.tag) + b"\x84\x01\x00\x00\x00" + head.value


class VirtualPassport:
    """A software ePassport chip for one :class:`IssuedDocument`."""

    def __init__(
        self,
        document: IssuedDocument,
        *,
        bac: bool = True,
        pace: bool = True,
        extended_length: bool = True,
        faults: ChipFaults | None = None,
    ) -> None:
        self.document = document
        self.bac_enabled = bac
        self.pace_enabled = pace and bool(document.pace)
        self.extended_length = extended_length
        self.faults = faults or ChipFaults()
        self.removed = False
        self.commands = 0
        self.bytes_served = 0
        self._protected_reads = 0
        self._clone_aa: AAKey | None = None
        self._bac = ChipBac(document.access_key)
        self._pace = ChipPace(
            document.pace if self.pace_enabled else (), document.access_key, document.can
        )
        self._files = self._build_files()
        self.reset()

    def _build_files(self) -> dict[int, _File]:
        files: dict[int, _File] = {}
        docs = self.document.files
        for ef in (EF_COM, EF_SOD, *DATA_GROUPS.values()):
            if ef.name not in docs:
                continue
            data = docs[ef.name]
            if ef.dg is not None and ef.dg == self.faults.tamper_dg:
                data = _tampered(data)
            if ef.dg is not None and ef.dg == self.faults.oversize_dg:
                data = _oversized(data)
            files[ef.fid] = _File(ef.name, ef.fid, ef.sfi, data)
        if self.pace_enabled and "EF.CardAccess" in docs:
            ef = EF_CARD_ACCESS
            files[ef.fid] = _File(ef.name, ef.fid, ef.sfi, docs["EF.CardAccess"], in_mf=True)
        return files

    # ------------------------------------------------------------------ CardApplet

    def atr(self) -> bytes:
        capabilities = 0xC0 if self.extended_length else 0x80  # chaining; extended Lc/Le
        return contactless_atr(bytes([0x80, 0x73, 0x80, 0x21, capabilities]))

    def reset(self) -> None:
        self._session: SessionKeys | None = None
        self._ssc = 0
        self._app = False
        self._current: _File | None = None
        self._pending_keys: SessionKeys | None = None
        self._ca_oid: str | None = None

    def _end_session(self) -> None:
        """Drop secure messaging (and with it the access rights); the selection stays."""
        self._session, self._ssc = None, 0
        self._pending_keys, self._ca_oid = None, None

    def reinsert(self) -> None:
        """The card comes back after a removal fault."""
        self.removed = False
        self.faults.remove_after_bytes = None
        self.reset()

    def process(self, apdu: bytes) -> bytes:
        if self.removed:
            raise CardRemovedError("the virtual passport left the field")
        self.commands += 1
        self._maybe_slow()
        try:
            command = parse_command(apdu)
        except MalformedDataError:
            return SW_WRONG_LENGTH.to_bytes(2, "big")
        if command.extended and not self.extended_length:
            return SW_WRONG_LENGTH.to_bytes(2, "big")
        if self._session is None:
            if command.cla & sm.SM_CLA == sm.SM_CLA:
                return sm.SW_SM_MISSING.to_bytes(2, "big")
            data, sw = self._dispatch(command, protected=False, limit=self._plain_limit(command))
            return data + sw.to_bytes(2, "big")
        if command.cla & sm.SM_CLA != sm.SM_CLA:
            self._end_session()  # a plain command ends secure messaging (ICAO 9303-11 §9.8.1)
            data, sw = self._dispatch(command, protected=False, limit=self._plain_limit(command))
            return data + sw.to_bytes(2, "big")
        return self._process_protected(apdu, command)

    # ------------------------------------------------------------------ secure messaging

    def _process_protected(self, apdu: bytes, outer: CommandAPDU) -> bytes:
        keys = self._session
        assert keys is not None  # noqa: S101 - checked by the caller
        self._ssc += 1
        try:
            command = sm.unprotect_command(keys, self._ssc, apdu)
        except (SecureMessagingError, MalformedDataError):
            self._end_session()
            return sm.SW_SM_INCORRECT.to_bytes(2, "big")
        limit = EXTENDED_MAX if outer.extended else sm.short_plain_limit(keys.spec.block_size)
        data, sw = self._dispatch(command, protected=True, limit=limit)
        self._ssc += 1
        response = sm.protect_response(keys, self._ssc, data, sw, odd_ins=bool(command.ins & 1))
        if command.ins in (0xB0, 0xB1):
            response = self._maybe_corrupt(response)
        if (
            self._pending_keys is not None
        ):  # Chip Authentication: answer under old keys, then switch
            self._session, self._ssc, self._pending_keys = self._pending_keys, 0, None
        return response

    def _maybe_corrupt(self, response: bytes) -> bytes:
        index = self._protected_reads
        self._protected_reads += 1
        f = self.faults
        if index < f.wrong_mac_after or f.wrong_mac == 0:
            return response
        if f.wrong_mac > 0 and index - f.wrong_mac_after >= f.wrong_mac:
            return response
        corrupted = bytearray(response)
        corrupted[-3] ^= 0x5A  # last MAC byte
        return bytes(corrupted)

    def _maybe_slow(self) -> None:
        f = self.faults
        if f.slow_s <= 0 or self.commands <= f.slow_after:
            return
        if f.slow_count >= 0 and self.commands - f.slow_after > f.slow_count:
            return
        time.sleep(f.slow_s)

    # ------------------------------------------------------------------ commands

    @staticmethod
    def _plain_limit(command: CommandAPDU) -> int:
        return EXTENDED_MAX if command.extended else 256

    def _dispatch(self, command: CommandAPDU, *, protected: bool, limit: int) -> tuple[bytes, int]:
        handlers = {
            0xA4: self._select,
            0xB0: self._read_binary,
            0xB1: self._read_binary,
            0x84: self._get_challenge,
            0x82: self._external_authenticate,
            0x22: self._mse,
            0x86: self._general_authenticate,
            0x88: self._internal_authenticate,
        }
        handler = handlers.get(command.ins)
        if handler is None:
            return b"", SW_INS
        return handler(command, protected, limit)

    def _select(self, command: CommandAPDU, protected: bool, limit: int) -> tuple[bytes, int]:
        if command.p1 == 0x04:
            if command.data != LDS_AID:
                return b"", SW_NOT_FOUND
            self._app, self._current = True, None
            return b"", SW_OK
        if command.p1 in (0x00, 0x02) and len(command.data) == 2:
            fid = int.from_bytes(command.data, "big")
            if fid == MF_FID and command.p1 == 0x00:
                self._app, self._current = False, None
                return b"", SW_OK
            found = self._files.get(fid)
            if found is None or found.in_mf == self._app:
                return b"", SW_NOT_FOUND
            self._current = found
            if command.p2 & 0x0C == 0x0C:
                return b"", SW_OK
            fcp = tlv.encode(
                0x62,
                tlv.encode(0x80, len(found.data).to_bytes(2, "big"))
                + tlv.encode(0x83, command.data),
            )
            return fcp, SW_OK
        return b"", SW_P1P2

    def _read_binary(self, command: CommandAPDU, protected: bool, limit: int) -> tuple[bytes, int]:
        if command.ins == 0xB0 and command.p1 & 0x80:
            sfi = command.p1 & 0x1F
            found = next(
                (f for f in self._files.values() if f.sfi == sfi and f.in_mf != self._app), None
            )
            if found is None:
                return b"", SW_NOT_FOUND
            self._current, offset = found, command.p2
        elif command.ins == 0xB0:
            offset = (command.p1 << 8) | command.p2
        else:
            try:
                obj = tlv.parse_one(command.data)
            except MalformedDataError:
                return b"", SW_WRONG_DATA
            if obj.tag != 0x54 or not obj.value:
                return b"", SW_WRONG_DATA
            offset = int.from_bytes(obj.value, "big")
        current = self._current
        if current is None:
            return b"", SW_NO_EF
        if not current.in_mf and not protected:
            return b"", SW_SECURITY
        if offset > len(current.data):
            return b"", SW_WRONG_OFFSET
        want = command.le or 256
        if command.ins == 0xB1:
            want = max(0, want - 4)
        chunk = current.data[offset : offset + min(want, limit)]
        self._serve(len(chunk))
        sw = SW_END if offset + want > len(current.data) else SW_OK
        if command.ins == 0xB1:
            return tlv.encode(0x53, chunk), sw
        return chunk, sw

    def _serve(self, count: int) -> None:
        self.bytes_served += count
        limit = self.faults.remove_after_bytes
        if limit is not None and self.bytes_served > limit:
            self.removed = True
            raise CardRemovedError("the virtual passport left the field")

    def _get_challenge(
        self, command: CommandAPDU, protected: bool, limit: int
    ) -> tuple[bytes, int]:
        if not self.bac_enabled or not self._app or command.le != 8:
            return b"", SW_CONDITIONS
        return self._bac.get_challenge(), SW_OK

    def _external_authenticate(
        self, command: CommandAPDU, protected: bool, limit: int
    ) -> tuple[bytes, int]:
        if not self.bac_enabled or not self._app:
            return b"", SW_CONDITIONS
        result = self._bac.external_authenticate(command.data)
        if result is None:
            return b"", SW_AUTH_FAILED
        answer, keys, ssc = result
        self._session, self._ssc = keys, ssc
        return answer, SW_OK

    def _mse(self, command: CommandAPDU, protected: bool, limit: int) -> tuple[bytes, int]:
        selector = (command.p1, command.p2)
        if selector == (0xC1, 0xA4) and not protected:
            if not self.pace_enabled:
                return b"", SW_WRONG_DATA
            return b"", self._pace.set_at(command.data)
        if not protected or self.document.ca_key is None:
            return b"", SW_CONDITIONS
        try:
            objects = {o.tag: o.value for o in tlv.parse_all(command.data)}
        except MalformedDataError:
            return b"", SW_WRONG_DATA
        ca = self.document.ca_key
        if selector == (0x41, 0xA4):
            if objects.get(0x80) != oid_content(ca.algorithm):
                return b"", SW_WRONG_DATA
            self._ca_oid = ca.algorithm
            return b"", SW_OK
        if (
            selector == (0x41, 0xA6)
            and CA_ALGORITHMS[ca.algorithm].cipher is TDES
            and 0x91 in objects
        ):
            return self._chip_authenticate(objects[0x91])
        return b"", SW_WRONG_DATA

    def _chip_authenticate(self, reader_public: bytes) -> tuple[bytes, int]:
        ca = self.document.ca_key
        assert ca is not None  # noqa: S101 - checked by the caller
        private = ca.private
        if self.faults.ca_clone:
            private = secrets.randbelow(ca.domain.private_bound() - 2) + 1
        try:
            shared = ca.domain.agree(private, reader_public)
        except MalformedDataError:
            return b"", SW_WRONG_DATA
        self._pending_keys = SessionKeys.derive(shared, CA_ALGORITHMS[ca.algorithm].cipher)
        return b"", SW_OK

    def _general_authenticate(
        self, command: CommandAPDU, protected: bool, limit: int
    ) -> tuple[bytes, int]:
        if not protected:
            if not self.pace_enabled:
                return b"", SW_CONDITIONS
            data, sw, session = self._pace.general_authenticate(command.cla, command.data)
            if session is not None:
                self._session, self._ssc, self._app, self._current = session, 0, False, None
            return data, sw
        if self._ca_oid is None:
            return b"", SW_CONDITIONS
        self._ca_oid = None
        try:
            outer = tlv.parse_one(command.data)
            public = outer.require(0x80).value if outer.tag == 0x7C else b""
        except MalformedDataError:
            return b"", SW_WRONG_DATA
        data, sw = self._chip_authenticate(public)
        return (tlv.encode(0x7C, b"") if sw == SW_OK else data), sw

    def _internal_authenticate(
        self, command: CommandAPDU, protected: bool, limit: int
    ) -> tuple[bytes, int]:
        key = self.document.aa_key
        if not protected or key is None:
            return b"", SW_CONDITIONS
        if len(command.data) != params.AA_CHALLENGE_SIZE:
            return b"", SW_WRONG_DATA
        if self.faults.aa_clone:
            if self._clone_aa is None:
                self._clone_aa = new_aa_key("rsa" if isinstance(key, rsa.RSAPrivateKey) else "ec")
            key = self._clone_aa
        return aa_sign(key, command.data), SW_OK

"""Property-based tests: parsers and secure messaging never crash on hostile input.

Every function here either returns a value or raises one of our typed errors.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.apdu import CommandAPDU
from devices.epassport import atr, sm
from devices.epassport.access_key import MRZKey
from devices.epassport.cipher import AES128, AES256, TDES, SessionKeys
from devices.epassport.command import parse_command
from devices.epassport.errors import SecureMessagingError, UnsupportedProtocolError
from devices.epassport.publickeys import parse_spki
from devices.epassport.reading import FILES, FileReader
from devices.epassport.securityinfos import parse_dg14, parse_security_infos
from devices.epassport.session import read_document
from models.errors import GerbangError, MalformedDataError, MRZError

DG14 = bytes.fromhex(
    "6E82017E3182017A300D060804007F0007020202020101300F060A04007F000702020302020201013012060A04007F00070202"
    "04020202010202010D30820142060904007F000702020102308201333081EC06072A8648CE3D02013081E0020101302C0607"
    "2A8648CE3D0101022100A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377304404207D5A0975"
    "FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9042026DC5C6CE94A4B44F330B5D9BBD77CBF95841629"
    "5CF7E1CE6BCCDC18FF8C07B60441048BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262547EF8"
    "35C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997022100A9FB57DBA1EEA9BC3E660A909D838D718C39"
    "7AA3B561A6F7901E0E82974856A7020101034200041983917269AC877C0B61544C2C022000D2A5ABA723E2D80141E648B409"
    "11DC3459761F27480E4B57181A53D8FE1190EA86C939AC14363178CAFFC621F0F905C3"
)
TYPED = (MalformedDataError, UnsupportedProtocolError)
# Each example parses a few hundred bytes: far below this even on a loaded machine. A real
# hang never returns to Hypothesis, so the test-wide timeout (pytest-timeout) catches that.
PER_EXAMPLE = timedelta(seconds=2)
pytestmark = pytest.mark.timeout(120)


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[pos] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            del data[pos:]
        else:
            data[pos:pos] = draw(st.binary(min_size=1, max_size=4))
    return bytes(data)


@settings(max_examples=300, deadline=PER_EXAMPLE)
@given(st.binary(max_size=300))
def test_security_infos_random_bytes(data: bytes) -> None:
    with contextlib.suppress(TYPED):
        parse_security_infos(data)


@settings(max_examples=300, deadline=PER_EXAMPLE)
@given(mutated(DG14))
def test_dg14_mutations(data: bytes) -> None:
    try:
        infos = parse_dg14(data)
    except TYPED:
        return
    for key in infos.chip_authentication_keys:
        assert key.key.encoded


@settings(max_examples=200, deadline=PER_EXAMPLE)
@given(mutated(DG14[4 + 0x4B + 4 + 15 :]))
def test_spki_mutations(data: bytes) -> None:
    with contextlib.suppress(TYPED):
        parse_spki(data)


KEYS = [
    SessionKeys(TDES, bytes(range(16)), bytes(range(16, 32))),
    SessionKeys(AES128, bytes(range(16)), bytes(range(16, 32))),
    SessionKeys(AES256, bytes(range(32)), bytes(range(32, 64))),
]


@settings(max_examples=300, deadline=PER_EXAMPLE)
@given(st.sampled_from(KEYS), st.integers(0, 2**32), st.binary(max_size=300))
def test_secure_messaging_response_parsing(keys: SessionKeys, ssc: int, raw: bytes) -> None:
    with contextlib.suppress(SecureMessagingError):
        sm.unprotect_response(keys, ssc, raw)


@settings(max_examples=300, deadline=PER_EXAMPLE)
@given(st.sampled_from(KEYS), st.integers(0, 2**32), st.binary(max_size=300))
def test_secure_messaging_command_parsing(keys: SessionKeys, ssc: int, raw: bytes) -> None:
    with contextlib.suppress(SecureMessagingError, MalformedDataError):
        sm.unprotect_command(keys, ssc, raw)


commands = st.builds(
    CommandAPDU,
    cla=st.sampled_from([0x00, 0x10]),
    ins=st.integers(0, 255).filter(lambda i: i & 0xF0 not in (0x60, 0x90)),
    p1=st.integers(0, 255),
    p2=st.integers(0, 255),
    data=st.binary(max_size=400),
    le=st.one_of(st.none(), st.integers(1, 65536)),
)


@settings(max_examples=300, deadline=PER_EXAMPLE)
@given(commands)
def test_command_apdu_round_trip(command: CommandAPDU) -> None:
    assert parse_command(command.encode()).encode() == command.encode()


@settings(max_examples=200, deadline=PER_EXAMPLE)
@given(
    st.sampled_from(KEYS),
    st.integers(0, 2**60),
    commands,
    st.binary(max_size=300),
    st.integers(0, 0xFFFF),
)
def test_secure_messaging_round_trip(
    keys: SessionKeys, ssc: int, command: CommandAPDU, data: bytes, sw: int
) -> None:
    protected = sm.protect_command(keys, ssc, command)
    opened = sm.unprotect_command(keys, ssc, protected)
    assert (opened.cla, opened.ins, opened.p1, opened.p2, opened.data) == (
        command.cla, command.ins, command.p1, command.p2, command.data,
    )  # fmt: skip
    assert opened.le == command.le
    response = sm.protect_response(keys, ssc + 1, data, sw, odd_ins=bool(command.ins & 1))
    assert sm.unprotect_response(keys, ssc + 1, response) == data + sw.to_bytes(2, "big")
    corrupted = bytearray(response)
    corrupted[len(corrupted) // 2] ^= 0x01
    try:
        sm.unprotect_response(keys, ssc + 1, bytes(corrupted))
    except SecureMessagingError:
        pass
    else:
        raise AssertionError("a corrupted response was accepted")


@settings(max_examples=300, deadline=PER_EXAMPLE)
@given(st.binary(max_size=40))
def test_atr_parsing(data: bytes) -> None:
    atr.supports_extended_length(data)


@settings(max_examples=300, deadline=PER_EXAMPLE)
@given(
    st.lists(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789< ", max_size=46), max_size=3)
)
def test_mrz_key_extraction(lines: list[str]) -> None:
    with contextlib.suppress(MRZError):
        MRZKey.from_mrz(lines)


class HostileChip:
    """Answers with whatever hypothesis drew, then 'file not found' forever."""

    def __init__(self, responses: list[bytes]) -> None:
        self.responses = list(responses)
        self.count = 0

    def transmit(self, apdu: bytes) -> bytes:
        self.count += 1
        assert self.count < 10_000, "the reader does not stop"
        return self.responses.pop(0) if self.responses else b"\x6a\x82"


responses = st.lists(
    st.one_of(
        st.binary(max_size=60),
        st.sampled_from(
            [
                b"\x90\x00",
                b"\x62\x82",
                b"\x6a\x82",
                b"\x67\x00",
                b"\x6c\x05",
                b"\x61\x10",
                b"\x63\x00",
            ]
        ),
        st.builds(lambda b: b + b"\x90\x00", st.binary(max_size=40)),
        st.builds(lambda b: b"\x77\x84\x7f\xff\xff\xff" + b + b"\x90\x00", st.binary(max_size=8)),
        st.builds(lambda b: b"\x31\x80" + b + b"\x62\x82", st.binary(max_size=8)),
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=PER_EXAMPLE, suppress_health_check=[HealthCheck.too_slow])
@given(responses)
def test_hostile_chip_gives_typed_errors(script: list[bytes]) -> None:
    chip = HostileChip(script)
    with contextlib.suppress(GerbangError):
        read_document(chip, MRZKey("L898902C", "740812", "120415"))


@settings(max_examples=200, deadline=PER_EXAMPLE)
@given(responses)
def test_file_reader_on_hostile_answers(script: list[bytes]) -> None:
    reader = FileReader(HostileChip(script))
    for name in ("EF.SOD", "DG2"):
        with contextlib.suppress(GerbangError):
            reader.read_optional(FILES[name])

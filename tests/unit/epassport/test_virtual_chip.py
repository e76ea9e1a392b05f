"""Full reads of the virtual chip through an in-process channel: BAC, PACE, CA, AA."""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

import pytest

from devices.epassport.access_key import CANKey, MRZKey
from devices.epassport.cipher import AES128, AES192, AES256, TDES, CipherSpec
from devices.epassport.emulator.chip import VirtualPassport
from devices.epassport.emulator.face import synthetic_face_jpeg
from devices.epassport.emulator.issuer import (
    IssuedDocument,
    PaceOffer,
    issue,
    new_aa_key,
    new_ca_key,
)
from devices.epassport.emulator.pki import TestPKI
from devices.epassport.errors import AccessControlError
from devices.epassport.reading import ReadProgress
from devices.epassport.session import ChipReadResult, ReadOptions, read_document

from .conftest import ISSUED_AT, TD3
from .scripted import LoopbackChannel

EXPECTED = ("EF.COM", "EF.SOD", "DG1", "DG2", "DG7", "DG11", "DG12", "DG14", "DG15")


def read(
    chip: VirtualPassport, key: MRZKey | CANKey, **options: Any
) -> tuple[ChipReadResult, LoopbackChannel]:
    channel = LoopbackChannel(chip)
    result = read_document(channel, key, ReadOptions(**options), atr=chip.atr())
    return result, channel


@pytest.mark.parametrize("extended", [False, True])
def test_full_pace_read(document: IssuedDocument, extended: bool) -> None:
    chip = VirtualPassport(document)
    progress: list[ReadProgress] = []
    channel = LoopbackChannel(chip)
    result = read_document(
        channel,
        document.access_key,
        ReadOptions(extended_length=extended),
        atr=chip.atr(),
        progress=progress.append,
    )
    assert result.access.protocol == "PACE"
    assert result.access.algorithm == "id-PACE-ECDH-GM-AES-CBC-CMAC-128"
    assert result.access.domain == "brainpoolP256r1"
    assert result.access.extended_length is extended
    assert sorted(result.files) == sorted(EXPECTED)
    for name in EXPECTED:
        assert result.files[name] == document.files[name], name
    assert result.absent == ()
    assert result.chip_authentication.valid is True
    assert result.active_authentication.valid is True
    assert result.retries == 0
    dg2 = [p for p in progress if p.file == "DG2"]
    assert dg2[-1].read == dg2[-1].total == len(document.files["DG2"])
    assert all(a.read < b.read for a, b in itertools.pairwise(dg2))
    # 1 EF.CardAccess + 5 PACE + 1 SELECT + 9 files + 3 CA + 1 AA with extended reads
    if extended:
        assert channel.apdus == 20
    else:
        assert channel.apdus > 100  # about 20 KB of DG2 in 223-byte reads


@pytest.mark.parametrize("extended", [False, True])
def test_full_bac_read_when_the_chip_offers_no_pace(
    document: IssuedDocument, extended: bool
) -> None:
    chip = VirtualPassport(document, pace=False)
    result, _ = read(chip, document.access_key, extended_length=extended)
    assert result.access.protocol == "BAC"
    assert result.access.fallback_reason == "no_card_access"
    assert result.files == {k: v for k, v in document.files.items() if k != "EF.CardAccess"}
    assert result.chip_authentication.valid and result.active_authentication.valid


def test_pace_with_the_can(document: IssuedDocument) -> None:
    result, _ = read(VirtualPassport(document), CANKey("123456"), files=("DG1",))
    assert result.access.password == "CAN"  # noqa: S105
    assert result.files["DG1"] == document.files["DG1"]


def test_can_on_a_bac_only_chip_is_refused(document: IssuedDocument) -> None:
    with pytest.raises(AccessControlError) as caught:
        read(VirtualPassport(document, pace=False), CANKey("123456"))
    assert caught.value.reason == "password"


@pytest.mark.parametrize("pace", [True, False])
def test_wrong_mrz_is_refused(document: IssuedDocument, pace: bool) -> None:
    with pytest.raises(AccessControlError) as caught:
        read(VirtualPassport(document, pace=pace), MRZKey("L898902C", "740812", "120416"))
    assert caught.value.reason == "refused"
    assert caught.value.protocol == ("PACE" if pace else "BAC")


def test_policy_can_refuse_bac_only_documents(document: IssuedDocument) -> None:
    with pytest.raises(AccessControlError) as caught:
        read(VirtualPassport(document, pace=False), document.access_key, allow_bac=False)
    assert caught.value.reason == "policy"


def test_chip_without_extended_length_is_read_with_short_apdus(document: IssuedDocument) -> None:
    chip = VirtualPassport(document, extended_length=False)
    result, channel = read(chip, document.access_key, extended_length=True)
    assert result.access.extended_length is False
    assert result.files["DG2"] == document.files["DG2"]
    assert all(len(apdu) < 261 for apdu, _ in channel.log)


def test_reader_without_short_file_ids_selects(document: IssuedDocument) -> None:
    result, channel = read(
        VirtualPassport(document), document.access_key, short_file_ids=False, extended_length=True
    )
    assert result.files["DG1"] == document.files["DG1"]
    assert channel.apdus > 20


@pytest.fixture(scope="module")
def variants_pki() -> TestPKI:
    from datetime import UTC, datetime

    return TestPKI.generate(
        not_before=datetime(2026, 1, 1, tzinfo=UTC), csca_key="brainpoolP256r1", dsc_key="rsa"
    )


@pytest.mark.parametrize(
    ("parameter_id", "spec"),
    [
        (12, AES256),  # NIST P-256
        (15, AES192),  # NIST P-384
        (18, AES256),  # NIST P-521
        (16, AES128),  # brainpoolP384r1
        (17, AES256),  # brainpoolP512r1
        (13, TDES),  # brainpoolP256r1 with 3DES
        (0, AES128),  # DH 1024/160 (RFC 5114)
        (2, AES256),  # DH 2048/256 (RFC 5114)
    ],
)
def test_pace_variants(variants_pki: TestPKI, parameter_id: int, spec: CipherSpec) -> None:
    document = issue(
        TD3,
        pki=variants_pki,
        issued_at=ISSUED_AT,
        face_jpeg=synthetic_face_jpeg(60, 80),
        pace=(PaceOffer(parameter_id, spec),),
    )
    result, _ = read(
        VirtualPassport(document), document.access_key, files=("DG1",), extended_length=True
    )
    assert result.access.parameter_id == parameter_id
    assert result.access.cipher == spec.label
    assert result.files["DG1"] == document.files["DG1"]
    assert result.chip_authentication.reason == "not_offered"
    assert result.active_authentication.reason == "no_dg15"


def test_the_strongest_offered_pace_is_chosen(variants_pki: TestPKI) -> None:
    document = issue(
        TD3,
        pki=variants_pki,
        issued_at=ISSUED_AT,
        face_jpeg=synthetic_face_jpeg(60, 80),
        pace=(PaceOffer(0, AES128), PaceOffer(13, AES128), PaceOffer(12, AES256)),
    )
    result, _ = read(VirtualPassport(document), document.access_key, files=("DG1",))
    assert result.access.algorithm == "id-PACE-ECDH-GM-AES-CBC-CMAC-256"


@pytest.mark.parametrize(
    ("ca_kind", "ca_cipher", "aa_kind"),
    [("ecdh", TDES, "ec"), ("dh", AES256, "ec"), ("dh", TDES, "rsa"), ("ecdh", AES192, "rsa")],
)
def test_chip_and_active_authentication_variants(
    variants_pki: TestPKI, ca_kind: str, ca_cipher: CipherSpec, aa_kind: str
) -> None:
    document = issue(
        TD3,
        pki=variants_pki,
        issued_at=ISSUED_AT,
        face_jpeg=synthetic_face_jpeg(60, 80),
        aa_key=new_aa_key(aa_kind),
        ca_key=new_ca_key(ca_kind, ca_cipher, key_id=7),
    )
    result, _ = read(VirtualPassport(document), document.access_key, extended_length=True)
    assert result.chip_authentication.valid is True, result.chip_authentication
    assert ("3DES" in result.chip_authentication.algorithm) == (ca_cipher is TDES)
    assert result.active_authentication.valid is True, result.active_authentication
    assert result.active_authentication.algorithm.startswith("ECDSA" if aa_kind == "ec" else "RSA")
    assert result.files["DG2"] == document.files["DG2"]


def test_large_dg2_uses_odd_ins_beyond_32k(variants_pki: TestPKI) -> None:
    big = synthetic_face_jpeg(360, 480, quality=97)
    assert len(big) > 0x8000
    document = issue(TD3, pki=variants_pki, issued_at=ISSUED_AT, face_jpeg=big)
    for extended in (False, True):
        result, channel = read(
            VirtualPassport(document), document.access_key, files=("DG2",), extended_length=extended
        )
        assert (
            hashlib.sha256(result.files["DG2"]).digest()
            == hashlib.sha256(document.files["DG2"]).digest()
        )
        odd = [apdu for apdu, _ in channel.log if apdu[1] == 0xB1]
        # short reads cross offset 0x7FFF in many steps; extended ones in 0x7F00 chunks stay below
        assert bool(odd) is not extended


def test_a_second_read_without_reset_still_finds_pace(document: IssuedDocument) -> None:
    chip = VirtualPassport(document)
    read(chip, document.access_key, files=("DG1",))
    # no power cycle: the chip is still inside the eMRTD application with a session
    result, channel = read(chip, document.access_key, files=("DG1",))
    assert result.access.protocol == "PACE"
    assert [apdu[:4].hex() for apdu, _ in channel.log[:3]] == ["00b09c00", "00a4000c", "00b09c00"]

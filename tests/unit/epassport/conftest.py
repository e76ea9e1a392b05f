"""Fixtures: a test PKI and virtual documents, made once per session (RSA key generation is slow)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devices.epassport.cipher import AES128
from devices.epassport.emulator.face import synthetic_face_jpeg
from devices.epassport.emulator.issuer import (
    IssuedDocument,
    PaceOffer,
    issue,
    new_aa_key,
    new_ca_key,
)
from devices.epassport.emulator.pki import TestPKI

ISSUED_AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
TD3 = [
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
]


@pytest.fixture(scope="session")
def pki() -> TestPKI:
    return TestPKI.generate(not_before=datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture(scope="session")
def face() -> bytes:
    return synthetic_face_jpeg(360, 480)  # about 20 KB, the size the benchmark reads


@pytest.fixture(scope="session")
def document(pki: TestPKI, face: bytes) -> IssuedDocument:
    """PACE ECDH-GM brainpoolP256r1 AES-128, CA ECDH AES-128, AA RSA, DG7 present."""
    return issue(
        TD3,
        pki=pki,
        issued_at=ISSUED_AT,
        face_jpeg=face,
        pace=(PaceOffer(13, AES128),),
        aa_key=new_aa_key("rsa"),
        ca_key=new_ca_key("ecdh", AES128),
        signature_image=b"\xff\xd8 not a real signature image \xff\xd9",
        can="123456",
    )

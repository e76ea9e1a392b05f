"""Every switchable fault of the virtual chip, seen from the reader."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from asn1crypto import cms  # type: ignore[import-untyped]

from devices.epassport.emulator.chip import VirtualPassport
from devices.epassport.emulator.faults import ChipFaults
from devices.epassport.emulator.issuer import IssuedDocument
from devices.epassport.errors import FileTooLargeError, SecureMessagingMacError
from devices.epassport.session import ChipReadResult, ReadOptions, read_document
from devices.epassport.sm import SecureChannel
from models.errors import CardRemovedError, DeviceTimeoutError

from .scripted import LoopbackChannel


def _read(
    chip: VirtualPassport,
    document: IssuedDocument,
    channel: LoopbackChannel | None = None,
    **options: Any,
) -> ChipReadResult:
    return read_document(
        channel or LoopbackChannel(chip),
        document.access_key,
        ReadOptions(**options),
        atr=chip.atr(),
    )  # type: ignore[arg-type]


def sod_hashes(sod: bytes) -> dict[int, bytes]:
    info = cms.ContentInfo.load(sod[4:] if sod[1] == 0x82 else sod[2:])
    content = info["content"]["encap_content_info"]["content"].native
    from devices.epassport.emulator.pki import LDSSecurityObject

    lds = LDSSecurityObject.load(content)
    return {
        int(v["data_group_number"].native): bytes(v["data_group_hash_value"].native)
        for v in lds["data_group_hash_values"]
    }


def test_one_wrong_mac_is_retried_after_new_access_control(document: IssuedDocument) -> None:
    chip = VirtualPassport(document, faults=ChipFaults(wrong_mac=1, wrong_mac_after=10))
    result = _read(chip, document)
    assert result.retries == 1
    assert result.files["DG2"] == document.files["DG2"]
    assert result.chip_authentication.valid is True  # CA re-run after the new session


def test_persistent_wrong_mac_is_a_typed_error(document: IssuedDocument) -> None:
    chip = VirtualPassport(document, faults=ChipFaults(wrong_mac=-1))
    with pytest.raises(SecureMessagingMacError):
        _read(chip, document, retries=2)


def test_wrong_mac_closes_the_secure_channel(document: IssuedDocument) -> None:
    chip = VirtualPassport(document, faults=ChipFaults(wrong_mac=-1))
    result_channel = LoopbackChannel(chip)
    with pytest.raises(SecureMessagingMacError):
        _read(chip, document, result_channel, retries=0)
    # the reader stopped after the first corrupted answer and did not carry on with that session
    assert result_channel.apdus < 12


def test_a_slow_answer_times_out_and_is_retried(document: IssuedDocument) -> None:
    chip = VirtualPassport(document, faults=ChipFaults(slow_s=0.3, slow_count=1, slow_after=14))
    channel = LoopbackChannel(chip, timeout_s=0.2)
    result = _read(chip, document, channel)
    assert result.retries == 1
    assert result.files == {k: v for k, v in document.files.items() if k != "EF.CardAccess"}


def test_a_chip_that_stays_slow_gives_a_timeout_error(document: IssuedDocument) -> None:
    chip = VirtualPassport(document, faults=ChipFaults(slow_s=0.05, slow_after=10))
    with pytest.raises(DeviceTimeoutError):
        _read(chip, document, LoopbackChannel(chip, timeout_s=0.01), retries=1)


def test_card_removed_mid_read(document: IssuedDocument) -> None:
    chip = VirtualPassport(document, faults=ChipFaults(remove_after_bytes=5000))
    with pytest.raises(CardRemovedError):
        _read(chip, document)
    assert chip.removed
    with pytest.raises(CardRemovedError):
        chip.process(bytes.fromhex("00A4040C07A0000002471001"))
    chip.reinsert()
    assert _read(chip, document).files["DG2"] == document.files["DG2"]


def test_tampered_data_group_no_longer_matches_the_sod(document: IssuedDocument) -> None:
    chip = VirtualPassport(document, faults=ChipFaults(tamper_dg=2))
    result = _read(chip, document, extended_length=True)
    hashes = sod_hashes(result.files["EF.SOD"])
    assert hashlib.sha256(result.files["DG1"]).digest() == hashes[1]
    assert hashlib.sha256(result.files["DG2"]).digest() != hashes[2]
    assert len(result.files["DG2"]) == len(document.files["DG2"])


def test_oversized_file_is_a_typed_error(document: IssuedDocument) -> None:
    chip = VirtualPassport(document, faults=ChipFaults(oversize_dg=2))
    with pytest.raises(FileTooLargeError) as caught:
        _read(chip, document)
    assert caught.value.file == "DG2" and caught.value.size > 16_000_000


def test_cloned_chip_fails_active_authentication(document: IssuedDocument) -> None:
    result = _read(VirtualPassport(document, faults=ChipFaults(aa_clone=True)), document)
    assert result.active_authentication.performed is True
    assert result.active_authentication.valid is False
    # another key's signature recovers to noise: no 9796-2 header, trailer or matching hash
    assert result.active_authentication.reason in (
        "bad_header",
        "bad_trailer",
        "signature_mismatch",
        "signature_out_of_range",
    )
    assert result.chip_authentication.valid is True


def test_cloned_chip_fails_chip_authentication_and_reading_goes_on(
    document: IssuedDocument,
) -> None:
    result = _read(VirtualPassport(document, faults=ChipFaults(ca_clone=True)), document)
    assert result.chip_authentication.performed is True
    assert result.chip_authentication.valid is False
    # the clone cannot verify our MAC under the new keys (6988), nor make one we accept
    assert result.chip_authentication.reason in (
        "secure_messaging_chip_rejected",
        "secure_messaging_mac",
    )
    assert result.files["DG2"] == document.files["DG2"]  # read in a fresh session
    assert result.active_authentication.valid is True


def test_chip_rejects_a_forged_command_mac_and_drops_the_session(document: IssuedDocument) -> None:
    chip = VirtualPassport(document)
    channel = LoopbackChannel(chip)
    _read(chip, document, channel, files=("DG1",))
    apdu, _ = channel.log[-1]  # the chip is still inside the session of that last command
    forged = bytearray(apdu)
    forged[-3] ^= 0x01
    assert chip.process(bytes(forged))[-2:] == bytes.fromhex("6988")
    # the session is gone: protected commands are refused as having no session
    assert chip.process(apdu)[-2:] == bytes.fromhex("6987")


def test_files_need_secure_messaging(document: IssuedDocument) -> None:
    chip = VirtualPassport(document)
    assert chip.process(bytes.fromhex("00A4040C07A0000002471001")) == bytes.fromhex("9000")
    assert chip.process(bytes.fromhex("00B0810008")) == bytes.fromhex("6982")  # DG1 by SFI
    assert chip.process(bytes.fromhex("00A4020C020101")) == bytes.fromhex("9000")
    assert chip.process(bytes.fromhex("00B0000008")) == bytes.fromhex("6982")
    assert chip.process(bytes.fromhex("00")) == bytes.fromhex("6700")
    assert chip.process(bytes.fromhex("00CA000000")) == bytes.fromhex("6D00")


def test_secure_channel_refuses_after_failure(document: IssuedDocument) -> None:
    chip = VirtualPassport(document, faults=ChipFaults(wrong_mac=-1))
    channel = LoopbackChannel(chip)
    with pytest.raises(SecureMessagingMacError):
        _read(chip, document, channel, retries=0)
    from devices.epassport.cipher import AES128, SessionKeys
    from devices.epassport.errors import SecureMessagingError

    closed = SecureChannel(channel, SessionKeys(AES128, bytes(16), bytes(16)))
    closed.closed = True
    with pytest.raises(SecureMessagingError, match="closed"):
        closed.transmit(bytes.fromhex("00B0000001"))


def test_logs_carry_no_mrz_and_no_keys(
    document: IssuedDocument, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from devices.epassport import cipher

    derived: list[bytes] = []  # every key the read derives: K_pi, KS_enc, KS_mac (PACE and CA)
    real_kdf = cipher.kdf

    def spy(secret: bytes, counter: int, spec: cipher.CipherSpec) -> bytes:
        key = real_kdf(secret, counter, spec)
        derived.append(key)
        return key

    monkeypatch.setattr(cipher, "kdf", spy)
    monkeypatch.setenv("GERBANG_APDU_TRACE", "1")  # the traffic log too
    caplog.set_level(1)  # everything, the APDU trace level included
    chip = VirtualPassport(
        document, faults=ChipFaults(wrong_mac=1, wrong_mac_after=5, ca_clone=True)
    )
    _read(chip, document)
    assert caplog.records, "the read logs its steps"
    assert any(r.name == "gerbang.apdu" for r in caplog.records), "and its APDUs"
    assert len(derived) >= 5, "PACE and CA keys were derived (and so can be looked for)"
    key = document.access_key
    secrets_ = [key.bac_seed(), key.pace_secret(), *derived]  # K_seed, the PACE password, keys
    secret_texts = [
        key.document_number,
        key.birth_date,
        key.mrz_information,
        "".join(document.mrz_lines),
        *(k.hex() for k in secrets_),
        *(k.hex().upper() for k in secrets_),
        *(repr(k)[2:-1] for k in secrets_),
    ]
    for record in caplog.records:
        strings = [
            v for v in record.__dict__.values() if isinstance(v, str)
        ]  # numbers are timestamps
        text = record.getMessage() + " " + " ".join(strings) + " " + repr(record.args)
        for secret in secret_texts:
            assert secret not in text

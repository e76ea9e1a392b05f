from __future__ import annotations

import json
import secrets
import struct
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from models.backup import (
    BackupError,
    create_backup,
    prune_backups,
    read_header,
    restore_backup,
    verify_backup,
)
from models.errors import KeyStoreError
from models.keys import KeyStore, public_key_id
from models.recovery import RecoveryKey, read_recovery_key, write_recovery_key
from models.store import Store
from tests import factories
from tests.unit.backup.conftest import Kiosk


def test_round_trip_on_the_same_kiosk(kiosk: Kiosk, tmp_path: Path) -> None:
    info = create_backup(kiosk.store, kiosk.keys, kiosk.data, tmp_path / "b", kiosk_id="KIOSK-1")
    assert set(info.files) == {"store.db", "keys.json", "index/face.idx"}
    report = verify_backup(info.path, keys=kiosk.keys)
    assert report.kiosk_id == "KIOSK-1" and report.schema_version == kiosk.store.schema_version
    assert report.integrity_checked is True
    assert report.signer == public_key_id(kiosk.keys.signing_key().public_key())
    # damage the live kiosk, then restore
    kiosk.store.travellers.delete("t-1")
    kiosk.store.close()
    (kiosk.data / "index" / "face.idx").write_bytes(b"garbage")
    restored = restore_backup(info.path, kiosk.data)
    again = kiosk.reopen()
    assert again.travellers.get("t-1") == factories.traveller("t-1")
    assert again.documents.find("IDN", "C1234567") is not None
    assert (kiosk.data / "index" / "face.idx").stat().st_size == 5000
    assert restored.kept is not None and (restored.kept / "kiosk.db").is_file()
    assert (restored.kept / "index" / "face.idx").read_bytes() == b"garbage"


def test_backup_file_holds_no_personal_data_in_clear(kiosk: Kiosk, tmp_path: Path) -> None:
    raw = kiosk.backup(tmp_path / "b").read_bytes()
    for needle in (b"SIREGAR", b"C1234567", b"MARIA", "SIREGAR".encode("utf-16-le")):
        assert needle not in raw


def test_format_is_versioned_and_format_1_is_refused(kiosk: Kiosk, tmp_path: Path) -> None:
    path = kiosk.backup(tmp_path / "b")
    assert path.read_bytes()[:4] == b"GBK2" and read_header(path)["format"] == 2
    old = tmp_path / "old.gbk"
    header = json.dumps({"format": 1}).encode()
    old.write_bytes(b"GBK1" + struct.pack(">I", len(header)) + header)
    with pytest.raises(BackupError, match="format '1' is not supported"):
        verify_backup(old, keys=kiosk.keys)


@pytest.mark.parametrize(
    "where", ["chunk", "header", "truncate", "append", "signature", "chunk_boundary"]
)
def test_damaged_backups_are_refused(kiosk: Kiosk, tmp_path: Path, where: str) -> None:
    (kiosk.data / "index" / "face.idx").write_bytes(secrets.token_bytes(3 << 20))  # 3+ chunks
    path = kiosk.backup(tmp_path / "b")
    raw = bytearray(path.read_bytes())
    preamble = 8 + struct.unpack(">I", raw[4:8])[0]
    if where == "chunk":
        raw[preamble + 100] ^= 0x01
    elif where == "header":
        raw[30] ^= 0x01
    elif where == "truncate":
        raw = raw[:-50]
    elif where == "append":
        raw += b"\x00\x00\x00\x10" + bytes(16)
    elif where == "signature":
        raw[-1] ^= 0x01
    else:  # cut after the first frame and re-append the trailer: the last-chunk flag is missing
        (word,) = struct.unpack(">I", raw[preamble : preamble + 4])
        raw = raw[: preamble + 4 + (word & 0x7FFFFFFF)] + raw[-68:]
    path.write_bytes(bytes(raw))
    with pytest.raises(BackupError):
        verify_backup(path, keys=kiosk.keys)


def test_another_kiosk_cannot_open_it(kiosk: Kiosk, tmp_path: Path) -> None:
    path = kiosk.backup(tmp_path / "b")
    stranger = KeyStore(tmp_path / "stranger" / "keys")
    stranger.signing_key()
    with pytest.raises(BackupError, match="signed by kiosk key") as caught:
        verify_backup(path, keys=stranger)
    assert caught.value.reason == "signature"
    # even when told whose backup it is, the stranger has no key that opens it
    with pytest.raises(BackupError, match="recovery key") as caught:
        verify_backup(path, keys=stranger, kiosk_public_key=kiosk.keys.signing_key().public_key())
    assert caught.value.reason == "key"


def test_a_kiosk_without_keys_is_told_to_use_the_recovery_key(kiosk: Kiosk, tmp_path: Path) -> None:
    path = kiosk.backup(tmp_path / "b")
    with pytest.raises(BackupError, match="--recovery"):
        verify_backup(path, keys=KeyStore(tmp_path / "empty" / "keys"))


def test_rotation_does_not_orphan_old_backups(kiosk: Kiosk, tmp_path: Path) -> None:
    path = kiosk.backup(tmp_path / "b")
    kiosk.keys.rotate_kiosk_key()
    assert verify_backup(path, keys=kiosk.keys).kiosk_id == "KIOSK-1"


def test_replacement_kiosk_restores_with_the_recovery_key(
    kiosk: Kiosk, recovery: RecoveryKey, tmp_path: Path
) -> None:
    write_recovery_key(tmp_path / "recovery.json", recovery, "correct horse battery")
    path = kiosk.backup(tmp_path / "b")
    with pytest.raises(KeyStoreError, match="passphrase"):
        read_recovery_key(tmp_path / "recovery.json", "wrong passphrase!!")
    loaded = read_recovery_key(tmp_path / "recovery.json", "correct horse battery")
    assert loaded.kiosk_id == "KIOSK-1"
    assert verify_backup(path, recovery=loaded).kiosk_id == "KIOSK-1"
    fresh = tmp_path / "replacement"
    assert restore_backup(path, fresh, recovery=loaded).kept is None  # nothing to keep
    new_keys = KeyStore(fresh / "keys")
    assert new_keys.kiosk_key_id() != kiosk.keys.kiosk_key_id()  # a new kiosk key ...
    assert new_keys.store_key() == kiosk.keys.store_key()  # ... wraps the same data keys
    assert new_keys.recovery_public_key() is not None  # and it keeps sealing to the recovery key
    restored = Store.open(fresh / "kiosk.db", new_keys.store_key())
    assert restored.events.get("ev-1") == factories.event()
    restored.close()


def test_recovery_needs_a_backup_made_after_recovery_was_set_up(
    kiosk: Kiosk, tmp_path: Path
) -> None:
    path = kiosk.backup(tmp_path / "b")
    assert read_header(path)["recovery"] is None
    late = RecoveryKey(
        X25519PrivateKey.generate(), "KIOSK-1", kiosk.keys.signing_key().public_key()
    )
    with pytest.raises(BackupError, match="before a recovery key"):
        verify_backup(path, recovery=late)


def test_recovery_key_of_another_kiosk_does_not_open_it(
    kiosk: Kiosk, recovery: RecoveryKey, tmp_path: Path
) -> None:
    path = kiosk.backup(tmp_path / "b")
    other = RecoveryKey(X25519PrivateKey.generate(), "KIOSK-1", recovery.kiosk_public_key)
    with pytest.raises(BackupError, match="recovery key does not open"):
        verify_backup(path, recovery=other)


def test_short_recovery_passphrases_are_refused(kiosk: Kiosk, recovery: RecoveryKey) -> None:
    with pytest.raises(KeyStoreError, match="at least"):
        write_recovery_key(kiosk.data / "r.json", recovery, "short")


def test_prune_keeps_the_newest(tmp_path: Path) -> None:
    for stamp in ("20261101T000000Z", "20261102T000000Z", "20261103T000000Z"):
        (tmp_path / f"gerbang-backup-K-{stamp}.gbk").write_bytes(b"x")
    deleted = prune_backups(tmp_path, keep=2)
    assert [p.name for p in deleted] == ["gerbang-backup-K-20261101T000000Z.gbk"]
    assert len(list(tmp_path.glob("*.gbk"))) == 2


def test_not_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "x.gbk"
    path.write_bytes(b"PK\x03\x04 not ours")
    with pytest.raises(BackupError, match="not a Gerbang backup"):
        read_header(path)

from __future__ import annotations

import secrets
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
from models.keys import KeyStore
from models.recovery import read_private_key, write_private_key
from models.store import Store
from tests import factories


@pytest.fixture
def kiosk(tmp_path: Path) -> tuple[Path, KeyStore, Store]:
    data = tmp_path / "data"
    keys = KeyStore(data / "keys")
    store = Store.open(data / "kiosk.db", keys.store_key())
    store.travellers.add(factories.traveller("t-1"))
    store.documents.add(factories.document("C1234567"))
    store.events.add(factories.event())
    (data / "index").mkdir()
    (data / "index" / "face.idx").write_bytes(secrets.token_bytes(5000))
    return data, keys, store


def _backup(kiosk: tuple[Path, KeyStore, Store], out: Path) -> Path:
    data, keys, store = kiosk
    return create_backup(store, keys, data, out, kiosk_id="KIOSK-1").path


def test_round_trip_on_the_same_kiosk(kiosk: tuple[Path, KeyStore, Store], tmp_path: Path) -> None:
    data, keys, store = kiosk
    info = create_backup(store, keys, data, tmp_path / "backups", kiosk_id="KIOSK-1")
    assert set(info.files) == {"store.db", "keys.json", "index/face.idx"}
    report = verify_backup(info.path, keys=keys)
    assert report.kiosk_id == "KIOSK-1" and report.schema_version == store.schema_version
    # damage the live kiosk, then restore
    store.travellers.delete("t-1")
    store.close()
    (data / "index" / "face.idx").write_bytes(b"garbage")
    restore_backup(info.path, data)
    again = Store.open(data / "kiosk.db", KeyStore(data / "keys").store_key())
    assert again.travellers.get("t-1") == factories.traveller("t-1")
    assert again.documents.find("IDN", "C1234567") is not None
    assert (data / "index" / "face.idx").stat().st_size == 5000
    assert list(data.glob("kiosk.db.pre-restore-*")), "the replaced store is kept"
    again.close()


def test_backup_file_holds_no_personal_data_in_clear(
    kiosk: tuple[Path, KeyStore, Store], tmp_path: Path
) -> None:
    raw = _backup(kiosk, tmp_path / "b").read_bytes()
    for needle in (b"SIREGAR", b"C1234567", b"MARIA", "SIREGAR".encode("utf-16-le")):
        assert needle not in raw


@pytest.mark.parametrize("where", ["chunk", "header", "truncate", "append"])
def test_damaged_backups_are_refused(
    kiosk: tuple[Path, KeyStore, Store], tmp_path: Path, where: str
) -> None:
    _, keys, _ = kiosk
    path = _backup(kiosk, tmp_path / "b")
    raw = bytearray(path.read_bytes())
    if where == "chunk":
        raw[-100] ^= 0x01
    elif where == "header":
        raw[30] ^= 0x01
    elif where == "truncate":
        raw = raw[:-50]
    else:
        raw += b"\x00\x00\x00\x10" + bytes(16)
    path.write_bytes(bytes(raw))
    with pytest.raises(BackupError):
        verify_backup(path, keys=keys)


def test_another_kiosk_cannot_open_it(kiosk: tuple[Path, KeyStore, Store], tmp_path: Path) -> None:
    path = _backup(kiosk, tmp_path / "b")
    stranger = KeyStore(tmp_path / "stranger" / "keys")
    stranger.store_key()
    with pytest.raises(BackupError, match="recovery key"):
        verify_backup(path, keys=stranger)


def test_rotation_does_not_orphan_old_backups(
    kiosk: tuple[Path, KeyStore, Store], tmp_path: Path
) -> None:
    _, keys, _ = kiosk
    path = _backup(kiosk, tmp_path / "b")
    keys.rotate_kiosk_key()
    assert verify_backup(path, keys=keys).kiosk_id == "KIOSK-1"


def test_replacement_kiosk_restores_with_the_recovery_key(
    kiosk: tuple[Path, KeyStore, Store], tmp_path: Path
) -> None:
    _, keys, _ = kiosk
    recovery = X25519PrivateKey.generate()
    keys.set_recovery_public_key(recovery.public_key())
    write_private_key(tmp_path / "recovery.json", recovery, "correct horse battery")
    path = _backup(kiosk, tmp_path / "b")
    with pytest.raises(KeyStoreError, match="passphrase"):
        read_private_key(tmp_path / "recovery.json", "wrong passphrase!!")
    loaded = read_private_key(tmp_path / "recovery.json", "correct horse battery")
    fresh = tmp_path / "replacement"
    restore_backup(path, fresh, recovery=loaded)
    new_keys = KeyStore(fresh / "keys")
    assert (
        new_keys.kiosk_key_id() != keys.kiosk_key_id()
    )  # a new kiosk key wraps the same data keys
    restored = Store.open(fresh / "kiosk.db", new_keys.store_key())
    assert restored.events.get("ev-1") == factories.event()
    restored.close()


def test_recovery_needs_a_backup_made_after_recovery_was_set_up(
    kiosk: tuple[Path, KeyStore, Store], tmp_path: Path
) -> None:
    path = _backup(kiosk, tmp_path / "b")
    assert read_header(path)["recovery"] is None
    with pytest.raises(BackupError, match="before a recovery key"):
        verify_backup(path, recovery=X25519PrivateKey.generate())


def test_short_recovery_passphrases_are_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="at least"):
        write_private_key(tmp_path / "r.json", X25519PrivateKey.generate(), "short")


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

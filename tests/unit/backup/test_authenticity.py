"""Backups are signed by their kiosk, have their own keys and obey size and name limits (M4)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import secrets
import shutil
import struct
import tarfile
from collections import namedtuple
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from models.backup import BackupError, Limits, read_header, restore_backup, verify_backup
from models.backup_archive import Source, encode_keys, write_archive
from models.backup_format import SealingWriter, chunk_key, new_header_fields
from models.errors import KeyStoreError
from models.keys import KeyStore, public_key_id
from models.recovery import RecoveryKey, read_recovery_key, write_recovery_key
from models.store import Store
from tests import factories
from tests.unit.backup.conftest import Kiosk

Member = tuple[tarfile.TarInfo, bytes]


def _member(name: str, data: bytes, kind: bytes = tarfile.REGTYPE) -> Member:
    info = tarfile.TarInfo(name)
    info.size, info.type = (len(data) if kind == tarfile.REGTYPE else 0), kind
    if kind == tarfile.SYMTYPE:
        info.linkname = "/etc/passwd"
    return info, data


def _signed_archive(kiosk: Kiosk, tmp_path: Path, members: list[Member], **overrides: Any) -> Path:
    """A backup signed with the kiosk's real keys, holding whatever tar members we like."""
    template = read_header(kiosk.backup(tmp_path / "template"))
    keep = ("created_at", "kiosk_id", "schema_version", "dek_id", "kek", "recovery")
    fields = {k: template[k] for k in keep} | new_header_fields()
    fields |= {"content_bytes": sum(len(d) for _, d in members), "members": len(members)}
    fields |= overrides
    path = tmp_path / "crafted.gbk"
    with path.open("wb") as sink:
        writer = SealingWriter(
            sink, fields, kiosk.keys.load_or_create("backup"), kiosk.keys.signing_key()
        )
        with (
            gzip.GzipFile(fileobj=writer, mode="wb") as gz,
            tarfile.open(fileobj=gz, mode="w|") as tar,
        ):  # type: ignore[call-overload]
            for info, data in members:
                tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
        writer.finish()
    return path


def _untouched(kiosk: Kiosk, before: bytes) -> None:
    assert (kiosk.data / "kiosk.db").read_bytes() == before
    assert not [p for p in kiosk.data.iterdir() if p.name.startswith((".restore-", "pre-"))]


# ---------------------------------------------------------------------------- signatures
def test_a_backup_forged_with_the_public_recovery_key_is_refused(
    kiosk: Kiosk, recovery: RecoveryKey, tmp_path: Path
) -> None:
    # the attacker has only recovery.pub (not secret) and builds a backup of their own store
    attacker = KeyStore(tmp_path / "attacker" / "keys")
    evil = Store.open(tmp_path / "attacker" / "kiosk.db", attacker.store_key())
    evil.travellers.add(factories.traveller("planted"))
    attacker.set_recovery_public_key(recovery.private.public_key())
    from models.backup import create_backup

    forged = create_backup(
        evil, attacker, tmp_path / "attacker", tmp_path / "f", kiosk_id="KIOSK-1"
    )
    evil.close()
    target = tmp_path / "replacement"
    with pytest.raises(BackupError, match="signed by kiosk key") as caught:
        restore_backup(forged.path, target, recovery=recovery)
    assert caught.value.reason == "signature"
    assert not (target / "kiosk.db").exists() and not (target / "keys" / "keyring.json").exists()
    with pytest.raises(BackupError, match="signed by kiosk key"):
        verify_backup(forged.path, keys=kiosk.keys)


def test_claiming_the_kiosks_key_id_does_not_help_a_forger(
    kiosk: Kiosk, recovery: RecoveryKey, tmp_path: Path
) -> None:
    attacker = KeyStore(tmp_path / "attacker" / "keys")
    evil = Store.open(tmp_path / "attacker" / "kiosk.db", attacker.store_key())
    attacker.set_recovery_public_key(recovery.private.public_key())
    from models.backup import create_backup

    forged = create_backup(evil, attacker, tmp_path / "attacker", tmp_path / "f", kiosk_id="K")
    evil.close()
    raw = forged.path.read_bytes()
    theirs = public_key_id(attacker.signing_key().public_key()).encode()
    ours = public_key_id(kiosk.keys.signing_key().public_key()).encode()
    forged.path.write_bytes(raw.replace(theirs, ours, 1))
    with pytest.raises(BackupError, match="signature does not verify") as caught:
        restore_backup(forged.path, tmp_path / "replacement", recovery=recovery)
    assert caught.value.reason == "signature"


def test_the_kiosk_public_key_given_must_match_the_recovery_file(
    kiosk: Kiosk, recovery: RecoveryKey, tmp_path: Path
) -> None:
    path = kiosk.backup(tmp_path / "b")
    stranger = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(BackupError, match="differs"):
        verify_backup(path, recovery=recovery, kiosk_public_key=stranger)
    mine = kiosk.keys.signing_key().public_key()
    assert verify_backup(path, recovery=recovery, kiosk_public_key=mine).kiosk_id == "KIOSK-1"


def test_a_backup_must_carry_the_signing_key_that_signed_it(kiosk: Kiosk, tmp_path: Path) -> None:
    db = tmp_path / "copy.db"
    kiosk.store.database.backup_to(db)
    keys = kiosk.keys.export_data_keys() | {"signing": secrets.token_bytes(32)}
    backup_key = kiosk.keys.load_or_create("backup")
    template = read_header(kiosk.backup(tmp_path / "template"))
    raw_keys = encode_keys(keys)
    with db.open("rb") as store_fh:
        sources = [
            Source("store.db", db.stat().st_size, store_fh),
            Source("keys.json", len(raw_keys), io.BytesIO(raw_keys)),
        ]
        fields = {
            k: template[k]
            for k in ("created_at", "kiosk_id", "schema_version", "dek_id", "kek", "recovery")
        }
        fields |= new_header_fields() | {
            "content_bytes": sum(s.size for s in sources),
            "members": 3,
        }
        path = tmp_path / "swapped.gbk"
        with path.open("wb") as sink:
            writer = SealingWriter(sink, fields, backup_key, kiosk.keys.signing_key())
            manifest = {"format": 2, "kiosk_id": "KIOSK-1", "created_at": "x"}
            write_archive(
                writer, sources, manifest | {"schema_version": kiosk.store.schema_version}, mtime=0
            )
            writer.finish()
    with pytest.raises(BackupError, match="signing key is not the key that signed it"):
        verify_backup(path, keys=kiosk.keys)


def test_the_recovery_file_binds_the_kiosk_public_key(
    kiosk: Kiosk, recovery: RecoveryKey, tmp_path: Path
) -> None:
    file = tmp_path / "recovery.json"
    write_recovery_key(file, recovery, "a long enough passphrase")
    loaded = read_recovery_key(file, "a long enough passphrase")
    assert public_key_id(loaded.kiosk_public_key) == public_key_id(recovery.kiosk_public_key)
    doc = json.loads(file.read_text())
    doc["kiosk_public_key"] = Ed25519PrivateKey.generate().public_key().public_bytes_raw().hex()
    file.write_text(json.dumps(doc))
    with pytest.raises(KeyStoreError, match="altered"):
        read_recovery_key(file, "a long enough passphrase")


def test_a_recovery_key_file_is_never_overwritten(recovery: RecoveryKey, tmp_path: Path) -> None:
    file = tmp_path / "recovery.json"
    write_recovery_key(file, recovery, "a long enough passphrase")
    before = file.read_bytes()
    with pytest.raises(KeyStoreError, match="exists already"):
        write_recovery_key(file, recovery, "another long passphrase")
    assert file.read_bytes() == before


# ---------------------------------------------------------------------------- per-backup keys
def test_every_backup_has_its_own_chunk_key_and_96_bit_nonces(kiosk: Kiosk, tmp_path: Path) -> None:
    first, second = kiosk.backup(tmp_path / "a"), kiosk.backup(tmp_path / "b")
    h1, h2 = read_header(first), read_header(second)
    assert h1["dek_id"] == h2["dek_id"]  # the same backup key ...
    assert h1["salt"] != h2["salt"] and h1["nonce_prefix"] != h2["nonce_prefix"]
    assert len(base64.b64decode(h1["salt"])) == 32
    raw = first.read_bytes()
    preamble = 8 + struct.unpack(">I", raw[4:8])[0]
    (word,) = struct.unpack(">I", raw[preamble : preamble + 4])
    sealed = raw[preamble + 4 : preamble + 4 + (word & 0x7FFFFFFF)]
    nonce = base64.b64decode(h1["nonce_prefix"]) + (0).to_bytes(8, "big")
    assert len(nonce) == 12
    aad = hashlib.sha256(raw[8:preamble]).digest() + bytes(8) + bytes([word >> 31])
    backup_key = kiosk.keys.load_or_create("backup")
    with pytest.raises(InvalidTag):  # ... never encrypts data directly
        AESGCM(backup_key).decrypt(nonce, sealed, aad)
    assert AESGCM(chunk_key(backup_key, h1)).decrypt(nonce, sealed, aad)[:2] == b"\x1f\x8b"
    assert chunk_key(backup_key, h1) != chunk_key(backup_key, h2)


# ---------------------------------------------------------------------------- limits
@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([_member("../escape", b"x")], "unexpected backup member '../escape'"),
        ([_member("index/../../escape", b"x")], "unexpected backup member"),
        ([_member("/etc/cron.d/x", b"x")], "unexpected backup member"),
        ([_member("index/face.idx", b"", tarfile.SYMTYPE)], "unexpected backup member"),
        ([_member("index", b"", tarfile.DIRTYPE)], "unexpected backup member"),
        ([_member("store.db", b"x"), _member("store.db", b"y")], "unexpected backup member"),
        (
            [_member("manifest.json", b'{"files": {}}'), _member("store.db", b"y")],
            "after the manifest",
        ),
    ],
)
def test_unexpected_members_are_refused_even_when_signed(
    kiosk: Kiosk, tmp_path: Path, members: list[Member], message: str
) -> None:
    path = _signed_archive(kiosk, tmp_path, members)
    kiosk.store.close()
    before = (kiosk.data / "kiosk.db").read_bytes()
    with pytest.raises(BackupError, match=message) as caught:
        restore_backup(path, kiosk.data)
    assert caught.value.reason == "limits"
    _untouched(kiosk, before)
    assert not (tmp_path / "escape").exists() and not (kiosk.data.parent / "escape").exists()


def test_content_beyond_the_signed_size_is_refused(kiosk: Kiosk, tmp_path: Path) -> None:
    path = _signed_archive(kiosk, tmp_path, [_member("store.db", bytes(4096))], content_bytes=100)
    with pytest.raises(BackupError, match="larger than declared") as caught:
        verify_backup(path, keys=kiosk.keys)
    assert caught.value.reason == "limits"


Case = namedtuple("Case", "limits message")


@pytest.mark.parametrize(
    "case",
    [
        Case(Limits(max_total_bytes=1000), "larger than declared or allowed"),
        Case(Limits(max_members=2), "more members than allowed"),
        Case(Limits(max_small_member=10), "keys.json is larger than allowed"),
    ],
    ids=["total", "members", "small"],
)
def test_limits_stop_a_restore_before_it_fills_the_disk(
    kiosk: Kiosk, tmp_path: Path, case: Case
) -> None:
    path = kiosk.backup(tmp_path / "b")
    kiosk.store.close()
    before = (kiosk.data / "kiosk.db").read_bytes()
    with pytest.raises(BackupError, match=case.message) as caught:
        restore_backup(path, kiosk.data, limits=case.limits)
    assert caught.value.reason == "limits"
    _untouched(kiosk, before)


def test_a_restore_that_would_fill_the_disk_is_refused_up_front(
    kiosk: Kiosk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = kiosk.backup(tmp_path / "b")
    kiosk.store.close()
    before = (kiosk.data / "kiosk.db").read_bytes()
    usage = shutil.disk_usage(kiosk.data)
    monkeypatch.setattr("models.backup.shutil.disk_usage", lambda _p: usage._replace(free=1 << 20))
    with pytest.raises(BackupError, match="not enough free space") as caught:
        restore_backup(path, kiosk.data)
    assert caught.value.reason == "space"
    _untouched(kiosk, before)


def test_a_large_store_is_verified_by_hash_but_not_loaded_into_memory(
    kiosk: Kiosk, tmp_path: Path
) -> None:
    path = kiosk.backup(tmp_path / "b")
    report = verify_backup(path, keys=kiosk.keys, limits=Limits(max_verify_in_memory=1000))
    assert report.integrity_checked is False and report.files["store.db"] > 1000

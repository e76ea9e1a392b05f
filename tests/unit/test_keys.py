from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from models.errors import KeyStoreError
from models.keys import KeyStore, public_key_id


def test_data_keys_are_created_once_and_wrapped(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    first = keys.store_key()
    assert len(first) == 32
    assert keys.store_key() == first
    assert keys.load_or_create("index") != first
    assert keys.names() == ["index", "store"]
    ring = (tmp_path / "keys" / "keyring.json").read_bytes()
    assert first not in ring and first.hex().encode() not in ring  # only wrapped forms on disk
    for name in ("kiosk.key", "keyring.json"):
        assert stat.S_IMODE((tmp_path / "keys" / name).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700


def test_readable_key_file_is_refused(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    keys.store_key()
    (tmp_path / "keys" / "kiosk.key").chmod(0o644)
    with pytest.raises(KeyStoreError, match="chmod 600"):
        keys.store_key()


def test_open_key_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir(mode=0o755)
    (tmp_path / "keys").chmod(0o755)
    with pytest.raises(KeyStoreError, match="chmod 700"):
        KeyStore(tmp_path / "keys").store_key()


def test_truncated_kiosk_key_is_refused(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    keys.store_key()
    (tmp_path / "keys" / "kiosk.key").write_bytes(b"short")
    with pytest.raises(KeyStoreError, match="expected 32"):
        keys.store_key()


def test_missing_kiosk_key_with_a_keyring_is_an_error_not_a_new_key(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    keys.store_key()
    (tmp_path / "keys" / "kiosk.key").unlink()
    with pytest.raises(KeyStoreError, match="cannot be opened"):
        keys.store_key()


def test_altered_keyring_entry_does_not_unwrap(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    keys.store_key()
    keys.load_or_create("index")
    path = tmp_path / "keys" / "keyring.json"
    ring = json.loads(path.read_text())
    ring["keys"]["store"]["wrapped"] = ring["keys"]["index"]["wrapped"]  # swapped entries
    path.write_text(json.dumps(ring))
    with pytest.raises(KeyStoreError, match="does not unwrap"):
        keys.store_key()


def test_bad_key_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError):
        KeyStore(tmp_path).load_or_create("../escape")


def test_signing_key_is_stable_and_signs(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    signature = keys.signing_key().sign(b"chain head")
    keys.signing_key().public_key().verify(signature, b"chain head")  # raises if they differ


def test_rotation_rewraps_without_changing_data_keys(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    store, index = keys.store_key(), keys.load_or_create("index")
    before = (tmp_path / "keys" / "kiosk.key").read_bytes()
    old_id, new_id = keys.rotate_kiosk_key()
    assert old_id != new_id == keys.kiosk_key_id()
    assert (tmp_path / "keys" / "kiosk.key").read_bytes() != before
    assert not (tmp_path / "keys" / "kiosk.key.next").exists()
    assert (keys.store_key(), keys.load_or_create("index")) == (store, index)


@pytest.mark.parametrize("step", ["next_written", "keyring_written"])
def test_crash_at_any_step_of_rotation_leaves_keys_readable(tmp_path: Path, step: str) -> None:
    keys = KeyStore(tmp_path / "keys")
    store = keys.store_key()
    old_id = keys.kiosk_key_id()
    with pytest.raises(KeyStoreError, match="simulated crash"):
        keys.rotate_kiosk_key(_crash_after=step)
    fresh = KeyStore(tmp_path / "keys")  # a restarted process
    assert fresh.store_key() == store
    assert not (tmp_path / "keys" / "kiosk.key.next").exists()
    # before the keyring was re-wrapped the old key stays; after, the rotation completes
    assert (fresh.kiosk_key_id() == old_id) is (step == "next_written")
    fresh.rotate_kiosk_key()  # and a later rotation works
    assert fresh.store_key() == store


def test_the_signing_public_key_is_read_without_creating_one(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    keys.store_key()
    assert keys.signing_public_key() is None
    assert keys.names() == ["store"]  # nothing was created
    public = keys.signing_key().public_key()
    assert keys.signing_public_key() == public
    assert len(public_key_id(public)) == 16


def test_copying_the_kiosk_key_for_a_restore(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    store = keys.store_key()
    staged = KeyStore(tmp_path / "staged")
    keys.copy_kiosk_key_to(staged)
    staged.import_data_keys({"store": store})
    assert staged.kiosk_key_id() == keys.kiosk_key_id() and staged.store_key() == store
    with pytest.raises(KeyStoreError, match="exists already"):
        keys.copy_kiosk_key_to(staged)

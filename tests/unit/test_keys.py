from __future__ import annotations

import stat
from pathlib import Path

import pytest

from models.errors import KeyStoreError
from models.keys import KeyStore


def test_key_is_created_once_with_strict_permissions(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    first = keys.store_key()
    assert len(first) == 32
    assert keys.store_key() == first
    assert stat.S_IMODE((tmp_path / "keys" / "store.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700


def test_readable_key_file_is_refused(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    keys.store_key()
    (tmp_path / "keys" / "store.key").chmod(0o644)
    with pytest.raises(KeyStoreError, match="chmod 600"):
        keys.store_key()


def test_open_key_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir(mode=0o755)
    (tmp_path / "keys").chmod(0o755)
    with pytest.raises(KeyStoreError, match="chmod 700"):
        KeyStore(tmp_path / "keys").store_key()


def test_truncated_key_is_refused(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    keys.store_key()
    (tmp_path / "keys" / "store.key").write_bytes(b"short")
    with pytest.raises(KeyStoreError, match="expected 32"):
        keys.store_key()


def test_bad_key_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError):
        KeyStore(tmp_path).load_or_create("../escape")


def test_signing_key_is_stable_and_signs(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    first = keys.signing_key()
    second = keys.signing_key()
    signature = first.sign(b"chain head")
    second.public_key().verify(signature, b"chain head")  # raises if the keys differ
    assert keys.signing_key() is not first

"""Backups never put data keys, the store copy or the archive in clear on any disk (H1)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from models.backup import BackupError, create_backup, restore_backup, verify_backup
from models.keys import KeyStore
from models.store import Store
from tests.unit.backup.conftest import Kiosk

REPO = Path(__file__).resolve().parents[3]
_WRITES = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_recording: list[list[tuple[str, str]]] = []
_hooked = False


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _recording:
        return
    if event == "open":
        path, mode, flags = args
        if isinstance(path, int):  # os.fdopen of a descriptor opened (and seen) before
            return
        if mode is not None:
            writing = any(c in str(mode) for c in "wax+")
        else:
            writing = isinstance(flags, int) and bool(flags & _WRITES)
        if writing:
            _recording[-1].append(("write", os.fsdecode(path)))
    elif event == "sqlite3.connect":
        database = str(args[0])
        if database.startswith("file:"):  # a URI: file:<path>?<options>
            database = database.removeprefix("file:").partition("?")[0]
        _recording[-1].append(("sqlite", database))


@contextmanager
def files_written() -> Iterator[list[tuple[str, str]]]:
    """Every file opened for writing (and every SQLite database opened) inside the block."""
    global _hooked
    if not _hooked:
        sys.addaudithook(_hook)
        _hooked = True
    seen: list[tuple[str, str]] = []
    _recording.append(seen)
    try:
        yield seen
    finally:
        _recording.pop()


def _inside(path: str, folder: Path) -> bool:
    return Path(path).resolve().is_relative_to(folder.resolve())


def _key_needles(keys: KeyStore) -> list[bytes]:
    needles = []
    for key in keys.export_data_keys().values():
        needles += [key, base64.b64encode(key), key.hex().encode()]
    return needles


def _files_under(*folders: Path) -> list[Path]:
    return [p for folder in folders for p in folder.rglob("*") if p.is_file()]


def test_create_writes_only_the_encrypted_partial_to_the_backup_disk(
    kiosk: Kiosk, tmp_path: Path
) -> None:
    out = tmp_path / "backups"
    kiosk.keys.load_or_create("backup")
    with files_written() as seen:
        info = create_backup(kiosk.store, kiosk.keys, kiosk.data, out, kiosk_id="KIOSK-1")
    assert seen, "the audit hook records file opens"
    for kind, path in seen:
        if _inside(path, out):
            assert kind == "write" and path.endswith(".partial"), (kind, path)
        else:  # the scratch copy of the store and the key store: the data directory only
            assert _inside(path, kiosk.data), (kind, path)
    assert [p.name for p in out.iterdir()] == [info.path.name]
    leftovers = [p.name for p in kiosk.data.iterdir() if p.name.startswith(".backup-")]
    assert leftovers == []  # the scratch copy is gone


def test_verify_writes_nothing_anywhere(kiosk: Kiosk, tmp_path: Path) -> None:
    path = kiosk.backup(tmp_path / "b")
    with files_written() as seen:
        verify_backup(path, keys=kiosk.keys)
    for kind, target in seen:
        # the key store's lock file is the only file opened for writing; SQLite only in memory
        assert (kind, target) == ("sqlite", ":memory:") or target.endswith("keys/.lock"), (
            kind,
            target,
        )


def test_restore_writes_only_into_the_data_directory_and_never_the_keys_in_clear(
    kiosk: Kiosk, tmp_path: Path
) -> None:
    path = kiosk.backup(tmp_path / "b")
    kiosk.store.close()
    with files_written() as seen:
        restore_backup(path, kiosk.data)
    assert seen
    for _kind, target in seen:
        assert _inside(target, kiosk.data) or target == ":memory:", target
        assert not target.endswith("keys.json"), target
    needles = _key_needles(KeyStore(kiosk.data / "keys"))
    for file in _files_under(kiosk.data):
        raw = file.read_bytes()
        assert not any(n in raw for n in needles), file


_KILL_DURING_ENCRYPTION = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from models.backup import create_backup
    from models.keys import KeyStore
    from models.store import Store

    data, out = Path(sys.argv[1]), Path(sys.argv[2])
    keys = KeyStore(data / "keys")
    store = Store.open(data / "kiosk.db", keys.store_key())
    calls = 0

    def profile(frame, event, arg):
        # kill the process (no clean-up runs) in the second call of AES-GCM encryption,
        # once part of the backup has reached the backup disk
        global calls
        if event == "c_call" and getattr(arg, "__name__", "") == "encrypt":
            calls += 1
            partial = [p for p in out.glob("*.partial") if p.stat().st_size > 0]
            if calls >= 2 and partial:
                os.kill(os.getpid(), signal.SIGKILL)

    sys.setprofile(profile)
    create_backup(store, keys, data, out, kiosk_id="KIOSK-1")
    """
)


def test_a_kill_during_encryption_leaves_no_plaintext_and_the_next_backup_cleans_up(
    kiosk: Kiosk, tmp_path: Path
) -> None:
    from kiosk.cli.backup_bench_cmd import _event  # a realistic event, 3000 of them: > 2 chunks
    from tests import factories

    with kiosk.store.atomic():
        for i in range(3000):
            kiosk.store.events.add(_event(i, factories.NOW))
    kiosk.keys.load_or_create("backup")
    kiosk.keys.signing_key()
    kiosk.store.close()
    out = tmp_path / "backups"
    done = subprocess.run(
        [sys.executable, "-c", _KILL_DURING_ENCRYPTION, str(kiosk.data), str(out)],
        cwd=REPO,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == -9, done.stderr.decode()
    assert list(out.glob("*.partial")), "the kill came while the backup was being written"
    needles = _key_needles(kiosk.keys)
    for file in _files_under(out, kiosk.data):
        raw = file.read_bytes()
        assert not any(n in raw for n in needles), f"a data key in clear in {file}"
        if _inside(str(file), out):
            assert not raw.startswith((b"SQLite format 3", b"\x1f\x8b")), file
    assert not [p for p in kiosk.data.iterdir() if p.name.startswith(".backup-")]
    # the next backup removes the stale partial file
    store = Store.open(kiosk.data / "kiosk.db", kiosk.keys.store_key())
    try:
        info = create_backup(store, kiosk.keys, kiosk.data, out, kiosk_id="KIOSK-1")
    finally:
        store.close()
    assert [p.name for p in out.iterdir()] == [info.path.name]


def test_create_removes_format_1_staging_folders(kiosk: Kiosk, tmp_path: Path) -> None:
    out = tmp_path / "backups"
    stale = out / ".staging-abc123"
    stale.mkdir(parents=True)
    (stale / "keys.json").write_text('{"store": "c2VjcmV0"}')
    (kiosk.data / ".backup-0123.db").write_bytes(b"stale scratch")
    info = create_backup(kiosk.store, kiosk.keys, kiosk.data, out, kiosk_id="KIOSK-1")
    assert [p.name for p in out.iterdir()] == [info.path.name]
    assert not (kiosk.data / ".backup-0123.db").exists()


def test_a_failed_write_leaves_no_partial_file(
    kiosk: Kiosk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "backups"
    kiosk.keys.load_or_create("backup")  # key files are written (and synced) before the patch
    kiosk.keys.signing_key()

    def full_disk(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("models.backup.os.fsync", full_disk)
    with pytest.raises(BackupError, match="cannot write the backup") as caught:
        create_backup(kiosk.store, kiosk.keys, kiosk.data, out, kiosk_id="KIOSK-1")
    assert caught.value.reason == "space"
    assert list(out.iterdir()) == []

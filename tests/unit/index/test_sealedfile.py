"""The encrypted section file: round trips, tampering, truncation, wrong key, atomic replace."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from biometrics.index import IndexIntegrityError, IndexMissingError, params, sealedfile

KEY = bytes(range(32))


def _write(path: Path, sections: dict[str, bytes], key: bytes = KEY) -> None:
    sealedfile.write(path, key, {"kind": "test", "n": 1}, sections)


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "a.gidx"
    _write(path, {"one": b"hello", "empty": b"", "two": bytes(range(256)) * 10})
    sealed = sealedfile.read(path, KEY)
    assert sealed.metadata == {"kind": "test", "n": 1}
    assert bytes(sealed.sections["one"]) == b"hello"
    assert bytes(sealed.sections["empty"]) == b""
    assert bytes(sealed.sections["two"]) == bytes(range(256)) * 10


def test_file_is_private_and_holds_no_plaintext(tmp_path: Path) -> None:
    path = tmp_path / "a.gidx"
    secret = b"SECRET-EMBEDDING-BYTES" * 10
    _write(path, {"s": secret})
    assert path.stat().st_mode & 0o077 == 0
    raw = path.read_bytes()
    assert b"SECRET" not in raw
    assert b"kind" not in raw  # the metadata is encrypted too


@settings(max_examples=30, deadline=None)
@given(
    sections=st.dictionaries(st.text(min_size=1, max_size=8), st.binary(max_size=300), max_size=5),
    chunk=st.integers(min_value=1, max_value=64),
)
def test_round_trip_any_sections_any_chunking(
    tmp_path_factory: pytest.TempPathFactory, sections: dict[str, bytes], chunk: int
) -> None:
    path = tmp_path_factory.mktemp("prop") / "p.gidx"
    original = params.CHUNK_BYTES
    params.CHUNK_BYTES = chunk
    try:
        _write(path, sections)
    finally:
        params.CHUNK_BYTES = original
    sealed = sealedfile.read(path, KEY)
    assert {k: bytes(v) for k, v in sealed.sections.items()} == sections


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(params, "CHUNK_BYTES", 64)


def test_wrong_key_is_an_integrity_error(tmp_path: Path) -> None:
    path = tmp_path / "a.gidx"
    _write(path, {"x": b"data"})
    with pytest.raises(IndexIntegrityError, match="does not authenticate"):
        sealedfile.read(path, secrets.token_bytes(32))


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize("where", [0, 5, 40, 60, 200, -1])
def test_any_flipped_byte_is_detected(tmp_path: Path, where: int) -> None:
    path = tmp_path / "a.gidx"
    _write(path, {"x": bytes(300)})
    raw = bytearray(path.read_bytes())
    raw[where] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(IndexIntegrityError):
        sealedfile.read(path, KEY)


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize("keep", [0, 10, 39, 100, -28, -1])
def test_truncation_is_detected(tmp_path: Path, keep: int) -> None:
    path = tmp_path / "a.gidx"
    _write(path, {"x": bytes(300)})
    raw = path.read_bytes()
    path.write_bytes(raw[:keep])
    with pytest.raises(IndexIntegrityError):
        sealedfile.read(path, KEY)


@pytest.mark.usefixtures("small_chunks")
def test_dropping_the_last_chunk_and_fixing_the_length_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "a.gidx"
    _write(path, {"x": bytes(300)})
    raw = bytearray(path.read_bytes())
    prefix = sealedfile._PREFIX
    magic, version, file_id, total, chunk = prefix.unpack_from(raw)
    n = -(-total // chunk)
    last = total - (n - 1) * chunk
    shortened = raw[: len(raw) - (12 + last + 16)]
    shortened[: prefix.size] = prefix.pack(magic, version, file_id, (n - 1) * chunk, chunk)
    path.write_bytes(bytes(shortened))
    with pytest.raises(IndexIntegrityError):
        sealedfile.read(path, KEY)


@pytest.mark.usefixtures("small_chunks")
def test_swapped_chunks_are_detected(tmp_path: Path) -> None:
    path = tmp_path / "a.gidx"
    _write(path, {"x": bytes(range(200))})
    raw = bytearray(path.read_bytes())
    start = sealedfile._PREFIX.size
    size = 12 + 64 + 16
    first, second = raw[start : start + size], raw[start + size : start + 2 * size]
    raw[start : start + size], raw[start + size : start + 2 * size] = second, first
    path.write_bytes(bytes(raw))
    with pytest.raises(IndexIntegrityError):
        sealedfile.read(path, KEY)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError):
        sealedfile.read(tmp_path / "none.gidx", KEY)


def test_not_an_index_file(tmp_path: Path) -> None:
    path = tmp_path / "a.gidx"
    path.write_bytes(b"P" * 200)
    with pytest.raises(IndexIntegrityError, match="not a Gerbang index"):
        sealedfile.read(path, KEY)


def test_failure_before_rename_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "a.gidx"
    _write(path, {"x": b"old"})

    def crash(stage: str) -> None:
        if stage == "synced":
            raise OSError("power cut")

    with pytest.raises(OSError, match="power cut"):
        sealedfile.write(path, KEY, {}, {"x": b"new"}, fault=crash)
    assert bytes(sealedfile.read(path, KEY).sections["x"]) == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.gidx"]  # the temporary file is gone


def test_stale_temporaries_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "a.gidx"
    (tmp_path / f"a.gidx{sealedfile.TMP_MARK}123-abcd").write_bytes(b"half")
    (tmp_path / "other.gidx").write_bytes(b"keep")
    assert sealedfile.remove_stale_temporaries(path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.gidx"]

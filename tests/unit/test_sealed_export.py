"""Sealed exports: round trip, wrong passphrase, tampering, short passphrases, other kinds."""

from __future__ import annotations

import json

import pytest

from models.errors import MalformedDataError, SecurityError
from models.sealed_export import open_sealed, seal

PASS = "a long export passphrase"  # noqa: S105 - a test passphrase


def test_round_trip_and_no_plaintext() -> None:
    sealed = seal(b"BUDI SANTOSO B7654321", PASS, kind="watchlist")
    assert b"BUDI" not in sealed and b"B7654321" not in sealed
    assert open_sealed(sealed, PASS, kind="watchlist") == b"BUDI SANTOSO B7654321"


def test_wrong_passphrase_and_tampering_are_refused() -> None:
    sealed = seal(b"payload", PASS, kind="watchlist")
    with pytest.raises(SecurityError):
        open_sealed(sealed, PASS + "!", kind="watchlist")
    doc = json.loads(sealed)
    doc["kdf"]["p"] = 2  # parameters are authenticated too
    with pytest.raises(SecurityError):
        open_sealed(json.dumps(doc).encode(), PASS, kind="watchlist")


def test_bad_inputs_are_typed_errors() -> None:
    with pytest.raises(SecurityError, match="at least"):
        seal(b"x", "short", kind="watchlist")
    sealed = seal(b"x", PASS, kind="watchlist")
    with pytest.raises(MalformedDataError, match="not 'backup'"):
        open_sealed(sealed, PASS, kind="backup")
    for junk in (b"", b"{}", b"[1]", b"\xff\xfe", sealed[:40]):
        with pytest.raises(MalformedDataError):
            open_sealed(junk, PASS, kind="watchlist")

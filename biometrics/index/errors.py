"""Errors of the biometric index.

::

    StoreError (models.errors)
    └── IndexFileError          the persisted index cannot be used (``path``, ``reason``)
        ├── IndexMissingError       no index file yet
        ├── IndexIntegrityError     does not authenticate: corrupt, truncated or wrong key
        └── IndexMismatchError      authentic, but disagrees with the store or the gallery spec
    BiometricError (models.errors)
    └── IndexDataError          vectors or batches handed to the index are unusable
        (wrong dimension, NaN, duplicate id in one batch, unreadable vector file)

:meth:`BiometricIndex.open` catches ``IndexFileError`` and rebuilds from the
store; callers normally only see ``IndexDataError`` (a programming or data bug)
and store errors.
"""

from __future__ import annotations

from pathlib import Path

from models.errors import BiometricError, StoreError


class IndexFileError(StoreError):
    """The index file at ``path`` cannot be used; ``reason`` is a stable short code."""

    code = "store.index"
    reason = "unusable"

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


class IndexMissingError(IndexFileError):
    code = "store.index.missing"
    reason = "missing"


class IndexIntegrityError(IndexFileError):
    """AES-GCM authentication or the checksum failed: corrupt, truncated, or another key."""

    code = "store.index.integrity"
    reason = "integrity"


class IndexMismatchError(IndexFileError):
    """The file is authentic but its metadata disagrees with the store or the spec."""

    code = "store.index.mismatch"
    reason = "mismatch"

    def __init__(self, message: str, *, path: Path | None = None, field: str = "") -> None:
        super().__init__(message, path=path)
        self.field = field


class IndexDataError(BiometricError):
    code = "biometric.index_data"


__all__ = [
    "IndexDataError",
    "IndexFileError",
    "IndexIntegrityError",
    "IndexMismatchError",
    "IndexMissingError",
]

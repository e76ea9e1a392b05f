"""Errors of the central database (a leaf of :class:`models.errors.StoreError`)."""

from __future__ import annotations

from models.errors import StoreError


class CentralStoreError(StoreError):
    code = "store.central"

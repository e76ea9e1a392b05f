"""Staff login for CLI commands that change the kiosk (``--as USER``, secret prompted)."""

from __future__ import annotations

from pathlib import Path

import click

from kiosk.cli.context import AppContext, open_store
from models.audit import AuditLog
from models.errors import ConfigError
from models.roles import Permission, Principal
from models.store import Store


def login(
    state: AppContext, user_id: str, permission: Permission
) -> tuple[Store, AuditLog, Principal]:
    """Open the store, log ``user_id`` in (audited) and check ``permission``.

    The caller closes the returned store.
    """
    from enrollment.accounts import Accounts

    settings = state.settings()
    store, keys = open_store(settings)
    try:
        audit = AuditLog(store, keys.signing_key())
        secret = str(click.prompt(f"Password or PIN of {user_id}", hide_input=True))
        principal = Accounts(store, audit).login(user_id, secret)
        principal.require(permission)
    except BaseException:
        store.close()
        raise
    return store, audit, principal


def settings_file(state: AppContext) -> Path:
    """The settings file results are saved into (there must be one)."""
    state.settings()
    if state.settings_file is None:
        raise ConfigError(
            "no settings file in use: calibration is saved into it (give --config PATH)",
            key="--config",
        )
    return state.settings_file

"""``gerbang keys``: the kiosk's key hierarchy."""

from __future__ import annotations

from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kiosk.cli.backup_cmd import recovery_passphrase
from kiosk.cli.context import app, emit_json, json_option, open_store
from models.audit import AuditLog
from models.keys import KeyStore
from models.recovery import public_bytes, write_private_key


@click.group()
def keys() -> None:
    """Show and rotate the kiosk key that wraps the data keys."""


@keys.command()
@json_option
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show the kiosk key id and the data keys it wraps (never the keys)."""
    settings = app(ctx).start_logging()
    store = KeyStore(settings.key_dir)
    data = {
        "key_dir": str(settings.key_dir),
        "kiosk_key_id": store.kiosk_key_id(),
        "data_keys": store.names(),
    }
    if as_json:
        emit_json(data)
    else:
        click.echo(
            f"kiosk key {data['kiosk_key_id']} wraps: {', '.join(data['data_keys']) or '(none)'}"
        )


@keys.command()
@json_option
@click.pass_context
def rotate(ctx: click.Context, as_json: bool) -> None:
    """Replace the kiosk key and re-wrap every data key (no downtime, crash-safe)."""
    settings = app(ctx).start_logging()
    store, key_store = open_store(settings)
    try:
        old, new = key_store.rotate_kiosk_key()
        AuditLog(store, key_store.signing_key()).append(
            "technician", "keys.rotate", new, {"previous": old}
        )
    finally:
        store.close()
    if as_json:
        emit_json({"rotated": True, "previous_kiosk_key_id": old, "kiosk_key_id": new})
    else:
        click.echo(f"kiosk key rotated: {old} -> {new}")


@keys.command("recovery-init")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Where to write the private recovery key (keep it offline, e.g. a USB stick in the safe).",
)
@json_option
@click.pass_context
def recovery_init(ctx: click.Context, out: Path, as_json: bool) -> None:
    """Create the recovery key; backups made from now on can be restored on a replacement kiosk."""
    settings = app(ctx).start_logging()
    private = X25519PrivateKey.generate()
    write_private_key(out, private, recovery_passphrase(confirm=True))
    store, key_store = open_store(settings)
    try:
        key_store.set_recovery_public_key(private.public_key())
        AuditLog(store, key_store.signing_key()).append(
            "supervisor", "keys.recovery_init", "recovery"
        )
    finally:
        store.close()
    if as_json:
        emit_json({"recovery_key": str(out), "public": public_bytes(private.public_key()).hex()})
    else:
        click.echo(f"recovery key written to {out}; keep it and its passphrase apart, offline")


COMMANDS = (keys,)

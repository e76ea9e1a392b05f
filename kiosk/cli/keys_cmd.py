"""``gerbang keys``: the kiosk's key hierarchy."""

from __future__ import annotations

from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kiosk.cli.backup_cmd import cli_actor, recovery_passphrase
from kiosk.cli.context import app, emit_json, json_option, open_store
from models.audit import AuditLog
from models.backup import finish_interrupted_restore
from models.keys import KeyStore, public_key_id
from models.recovery import RecoveryKey, public_bytes, write_recovery_key


@click.group()
def keys() -> None:
    """Show and rotate the kiosk key that wraps the data keys."""


@keys.command()
@json_option
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show the kiosk key id, the data keys it wraps and the kiosk's public key (never keys)."""
    settings = app(ctx).start_logging()
    finish_interrupted_restore(settings.data_dir)
    store = KeyStore(settings.key_dir)
    public = store.signing_public_key()
    names = store.names()
    data = {
        "key_dir": str(settings.key_dir),
        "kiosk_key_id": store.kiosk_key_id(),
        "data_keys": names,
        "kiosk_public_key": None if public is None else public_bytes(public).hex(),
        "kiosk_public_key_id": None if public is None else public_key_id(public),
    }
    if as_json:
        emit_json(data)
    else:
        click.echo(f"kiosk key {data['kiosk_key_id']} wraps: {', '.join(names) or '(none)'}")


@keys.command()
@json_option
@click.pass_context
def rotate(ctx: click.Context, as_json: bool) -> None:
    """Replace the kiosk key and re-wrap every data key (no downtime, crash-safe)."""
    settings = app(ctx).start_logging()
    finish_interrupted_restore(settings.data_dir)
    store, key_store = open_store(settings)
    try:
        old, new = key_store.rotate_kiosk_key()
        AuditLog(store, key_store.signing_key()).append(
            cli_actor(), "keys.rotate", new, {"previous": old}
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
    """Create the recovery key; backups made from now on can be restored on a replacement kiosk.

    The file also records this kiosk's id and public key, against which a
    replacement kiosk checks the signature of the backups it restores.
    """
    if out.exists() or out.is_symlink():
        raise click.BadParameter(
            f"{out} exists already; a recovery key file is never overwritten: "
            "choose another path or move the old file away",
            param_hint="'--out'",
        )
    settings = app(ctx).start_logging()
    finish_interrupted_restore(settings.data_dir)
    store, key_store = open_store(settings)
    try:
        kiosk_public = key_store.signing_key().public_key()
        key = RecoveryKey(X25519PrivateKey.generate(), settings.kiosk.id, kiosk_public)
        write_recovery_key(out, key, recovery_passphrase(confirm=True))
        key_store.set_recovery_public_key(key.private.public_key())
        AuditLog(store, key_store.signing_key()).append(
            cli_actor(), "keys.recovery_init", "recovery"
        )
    finally:
        store.close()
    if as_json:
        emit_json(
            {
                "recovery_key": str(out),
                "public": public_bytes(key.private.public_key()).hex(),
                "kiosk_id": key.kiosk_id,
                "kiosk_public_key": public_bytes(kiosk_public).hex(),
            }
        )
    else:
        click.echo(f"recovery key written to {out}; keep it and its passphrase apart, offline")


COMMANDS = (keys,)

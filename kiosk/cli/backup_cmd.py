"""``gerbang backup``: encrypted backups of store, data keys and index."""

from __future__ import annotations

import os
from pathlib import Path

import click

from kiosk.cli.context import app, emit_json, json_option, open_store
from models.audit import AuditLog
from models.backup import create_backup, prune_backups, restore_backup, verify_backup
from models.keys import KeyStore
from models.recovery import read_private_key

ENV_RECOVERY = "GERBANG_RECOVERY_PASSPHRASE"


def recovery_passphrase(*, confirm: bool) -> str:
    """From $GERBANG_RECOVERY_PASSPHRASE, or asked for on the terminal."""
    value = os.environ.get(ENV_RECOVERY)
    if value:
        return value
    return str(click.prompt("Recovery passphrase", hide_input=True, confirmation_prompt=confirm))


@click.group()
def backup() -> None:
    """Create, verify and restore encrypted backups."""


@backup.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Default: backup.dir.",
)
@json_option
@click.pass_context
def create(ctx: click.Context, out_dir: Path | None, as_json: bool) -> None:
    """Back up the running kiosk (online: it keeps working meanwhile)."""
    settings = app(ctx).start_logging()
    store, keys = open_store(settings)
    target = out_dir or settings.backup_dir
    try:
        info = create_backup(store, keys, settings.data_dir, target, kiosk_id=settings.kiosk.id)
        pruned = prune_backups(target, settings.backup.keep)
        AuditLog(store, keys.signing_key()).append(
            "system", "backup.create", info.path.name, {"bytes": info.bytes, "pruned": len(pruned)}
        )
    finally:
        store.close()
    data = {
        "path": str(info.path),
        "bytes": info.bytes,
        "files": info.files,
        "seconds": round(info.seconds, 3),
        "recovery_sealed": keys.recovery_public_key() is not None,
        "pruned": [p.name for p in pruned],
    }
    if as_json:
        emit_json(data)
    else:
        click.echo(f"backup written: {info.path} ({info.bytes} bytes, {info.seconds:.1f} s)")
        if not data["recovery_sealed"]:
            click.echo(
                "warning: no recovery key set up; see `gerbang keys recovery-init`", err=True
            )


@backup.command()
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--recovery",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Recovery key file.",
)
@json_option
@click.pass_context
def verify(ctx: click.Context, path: Path, recovery: Path | None, as_json: bool) -> None:
    """Decrypt and check a backup completely without restoring it."""
    settings = app(ctx).start_logging(to_file=False)
    private = (
        None if recovery is None else read_private_key(recovery, recovery_passphrase(confirm=False))
    )
    report = verify_backup(
        path, keys=None if private else KeyStore(settings.key_dir), recovery=private
    )
    data = {
        "valid": True,
        "kiosk_id": report.kiosk_id,
        "created_at": report.created_at,
        "schema_version": report.schema_version,
        "files": report.files,
        "seconds": round(report.seconds, 3),
    }
    if as_json:
        emit_json(data)
    else:
        click.echo(
            f"backup valid: kiosk {report.kiosk_id}, made {report.created_at}, {len(report.files)} files"
        )


@backup.command()
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--recovery",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Recovery key file.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@click.pass_context
def restore(
    ctx: click.Context, path: Path, recovery: Path | None, yes: bool, as_json: bool
) -> None:
    """Restore a backup into the data directory (stop the kiosk first)."""
    settings = app(ctx).start_logging(to_file=False)
    if not yes:
        click.confirm(f"Replace the store, keys and index in {settings.data_dir}?", abort=True)
    private = (
        None if recovery is None else read_private_key(recovery, recovery_passphrase(confirm=False))
    )
    report = restore_backup(path, settings.data_dir, recovery=private)
    store, keys = open_store(settings)
    try:
        AuditLog(store, keys.signing_key()).append(
            "technician", "backup.restore", path.name, {"made": report.created_at}
        )
    finally:
        store.close()
    data = {
        "restored": True,
        "kiosk_id": report.kiosk_id,
        "created_at": report.created_at,
        "seconds": round(report.seconds, 3),
    }
    if as_json:
        emit_json(data)
    else:
        click.echo(f"restored backup of {report.created_at} into {settings.data_dir}")


COMMANDS = (backup,)

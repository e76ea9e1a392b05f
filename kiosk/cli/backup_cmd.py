"""``gerbang backup``: encrypted, signed backups of store, data keys and index."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.cli.context import app, emit_json, json_option, open_store
from models.audit import AuditLog
from models.backup import (
    create_backup,
    finish_interrupted_restore,
    prune_backups,
    restore_backup,
    verify_backup,
)
from models.keys import KeyStore
from models.recovery import RecoveryKey, read_recovery_key

ENV_RECOVERY = "GERBANG_RECOVERY_PASSPHRASE"
F = TypeVar("F", bound=Callable[..., Any])


def cli_actor() -> str:
    """The audit actor of an administration command: ``cli:<OS user name>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        return f"cli:uid-{os.getuid()}"


def recovery_passphrase(*, confirm: bool) -> str:
    """From $GERBANG_RECOVERY_PASSPHRASE, or asked for on the terminal."""
    value = os.environ.get(ENV_RECOVERY)
    if value:
        return value
    return str(click.prompt("Recovery passphrase", hide_input=True, confirmation_prompt=confirm))


def _load_recovery(path: Path | None) -> RecoveryKey | None:
    return None if path is None else read_recovery_key(path, recovery_passphrase(confirm=False))


def _parse_public_key(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> Ed25519PublicKey | None:
    if value is None:
        return None
    try:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(value))
    except ValueError as exc:
        raise click.BadParameter("expected 64 hex digits (an Ed25519 public key)") from exc


def trust_options(func: F) -> F:
    """``--recovery FILE`` and ``--kiosk-public-key HEX``."""
    func = click.option(
        "--kiosk-public-key",
        "kiosk_public_key",
        metavar="HEX",
        callback=_parse_public_key,
        help="Public key of the kiosk that made the backup (`gerbang keys status` shows it); "
        "default: the one in the recovery key file, else this kiosk's own.",
    )(func)
    return click.option(
        "--recovery",
        type=click.Path(path_type=Path, dir_okay=False, exists=True),
        help="Recovery key file (for a backup this kiosk's keys cannot open).",
    )(func)


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
    finish_interrupted_restore(settings.data_dir)
    store, keys = open_store(settings)
    target = out_dir or settings.backup_dir
    try:
        info = create_backup(store, keys, settings.data_dir, target, kiosk_id=settings.kiosk.id)
        pruned = prune_backups(target, settings.backup.keep)
        AuditLog(store, keys.signing_key()).append(
            cli_actor(),
            "backup.create",
            info.path.name,
            {"bytes": info.bytes, "pruned": len(pruned)},
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
@trust_options
@json_option
@click.pass_context
def verify(
    ctx: click.Context,
    path: Path,
    recovery: Path | None,
    kiosk_public_key: Ed25519PublicKey | None,
    as_json: bool,
) -> None:
    """Check a backup's signature, decrypt and check it completely, in memory; restore nothing."""
    settings = app(ctx).start_logging(to_file=False)
    key = _load_recovery(recovery)
    report = verify_backup(
        path,
        keys=None if key else KeyStore(settings.key_dir),
        recovery=key,
        kiosk_public_key=kiosk_public_key,
    )
    data = {
        "valid": True,
        "kiosk_id": report.kiosk_id,
        "created_at": report.created_at,
        "schema_version": report.schema_version,
        "signed_by": report.signer,
        "integrity_checked": report.integrity_checked,
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
@trust_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@click.pass_context
def restore(
    ctx: click.Context,
    path: Path,
    recovery: Path | None,
    kiosk_public_key: Ed25519PublicKey | None,
    yes: bool,
    as_json: bool,
) -> None:
    """Restore a backup into the data directory (stop the kiosk first).

    The replaced store, index and keys are kept in DATA_DIR/pre-restore-<time>/.
    """
    settings = app(ctx).start_logging(to_file=False)
    if not yes:
        click.confirm(f"Replace the store, keys and index in {settings.data_dir}?", abort=True)
    key = _load_recovery(recovery)
    report = restore_backup(
        path, settings.data_dir, recovery=key, kiosk_public_key=kiosk_public_key
    )
    store, keys = open_store(settings)
    try:
        AuditLog(store, keys.signing_key()).append(
            cli_actor(),
            "backup.restore",
            path.name,
            {"made": report.created_at, "recovery": key is not None},
        )
    finally:
        store.close()
    data = {
        "restored": True,
        "kiosk_id": report.kiosk_id,
        "created_at": report.created_at,
        "signed_by": report.signer,
        "kept": None if report.kept is None else str(report.kept),
        "seconds": round(report.seconds, 3),
    }
    if as_json:
        emit_json(data)
    else:
        click.echo(f"restored backup of {report.created_at} into {settings.data_dir}")


COMMANDS = (backup,)

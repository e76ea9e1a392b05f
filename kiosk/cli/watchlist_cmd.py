"""``gerbang watchlist import|list|show|edit|expire|remove|export``: this kiosk's watchlist."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kiosk.cli.context import app, emit_json, json_option, open_store
from kiosk.cli.exitcodes import ExitCode
from kiosk.cli.staffauth import index_dir, index_key, principal, staff_options
from models.audit import AuditLog
from models.roles import Principal, Role
from models.store import Store
from models.watchlist import WatchlistCategory, WatchlistEntry

if TYPE_CHECKING:
    from enrollment.watchlist import WatchlistManager


@dataclass
class _Session:
    store: Store
    manager: WatchlistManager
    actor: Principal


@contextmanager
def _session(
    ctx: click.Context, as_user: str | None, secret_stdin: bool, *, index: bool = True
) -> Iterator[_Session]:
    from enrollment.faces import DlibFaceEngine
    from enrollment.gallery import FaceGallery
    from enrollment.watchlist import WatchlistManager

    settings = app(ctx).start_logging()
    store, keys = open_store(settings)
    gallery = None
    try:
        audit = AuditLog(store, keys.signing_key())
        actor = principal(store, audit, as_user, secret_stdin, role=Role.OFFICER)
        if index:
            gallery = FaceGallery.open(store, index_dir(settings), index_key(settings))
        yield _Session(
            store, WatchlistManager(store, audit, DlibFaceEngine(), gallery=gallery), actor
        )
    finally:
        if gallery is not None:
            gallery.close()
        store.close()


def _day(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d")
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not YYYY-MM-DD", param_hint=name) from exc
    return day.replace(hour=23, minute=59, second=59, tzinfo=UTC)


def entry_json(entry: WatchlistEntry, now: datetime) -> dict[str, Any]:
    return {
        "entry_id": entry.entry_id,
        "source_agency": entry.source_agency,
        "category": entry.category.value,
        "full_name": entry.full_name,
        "nationality": entry.nationality,
        "valid_from": entry.valid_from.isoformat(),
        "valid_until": entry.valid_until.isoformat() if entry.valid_until else None,
        "active": entry.is_active(now),
        "faces": len(entry.face_template_ids),
        "minutiae": len(entry.fingerprint_template_ids),
    }


@click.group()
def watchlist() -> None:
    """Watchlist entries: import partner files, list, edit, expire, remove, export."""


@watchlist.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--source", "source_agency", required=True, metavar="AGENCY", help="Sending agency.")
@click.option(
    "--category",
    type=click.Choice([c.value for c in WatchlistCategory]),
    default=WatchlistCategory.OTHER.value,
    show_default=True,
    help="Category of the entries (a CSV row's own category wins).",
)
@click.option("--reason", help="Reason recorded on every entry (default: the record's own).")
@click.option("--valid-until", metavar="YYYY-MM-DD", help="Last day of validity (default: none).")
@staff_options
@json_option
@click.pass_context
def import_files(
    ctx: click.Context,
    files: tuple[Path, ...],
    source_agency: str,
    category: str,
    reason: str | None,
    valid_until: str | None,
    as_user: str | None,
    secret_stdin: bool,
    as_json: bool,
) -> None:
    """Import ANSI/NIST-ITL transactions or CSV files (with images) as watchlist entries.

    Each rejected file, record or row is listed with its reason. Exit 7 when a
    file was rejected as a whole (unreadable, not ANSI/NIST-ITL, bad CSV).
    """
    from enrollment.watchlist import ImportOptions, totals

    options = ImportOptions(
        source_agency, WatchlistCategory(category), reason, _day(valid_until, "--valid-until")
    )
    with _session(ctx, as_user, secret_stdin) as session:
        reports = []
        for n, path in enumerate(files, start=1):
            if not as_json:
                click.echo(f"[{n}/{len(files)}] {path}", err=True)
            reports.append(session.manager.import_file(path, options, session.actor))
    if as_json:
        emit_json({"files": [r.to_json() for r in reports], "totals": totals(reports)})
    else:
        for r in reports:
            click.echo(
                f"{r.file}: {r.persons} persons, {r.faces} faces, {r.fingerprints} fingerprints, "
                f"{r.matchable} matchable ({r.segmented} cut from slaps), "
                f"{r.minutiae} minutiae, {len(r.rejected)} rejected"
            )
            for rejection in r.rejected:
                click.echo(f"    rejected {rejection.record}: {rejection.reason}")
    if any(x.record == "file" for r in reports for x in r.rejected):
        ctx.exit(int(ExitCode.DATA))


@watchlist.command("list")
@click.option("--active", is_flag=True, help="Only entries valid now.")
@json_option
@click.pass_context
def list_entries(ctx: click.Context, active: bool, as_json: bool) -> None:
    """List the entries (fingerprints are stored but not matchable yet)."""
    now = datetime.now(UTC)
    with _session(ctx, None, False, index=False) as session:
        entries = session.manager.entries(active_at=now if active else None)
    rows = [entry_json(e, now) for e in entries]
    if as_json:
        emit_json({"entries": rows, "count": len(rows)})
        return
    for row in rows:
        state = "active" if row["active"] else "inactive"
        click.echo(
            f"{row['entry_id']}  {row['category']:<20} {row['source_agency']:<12} {state:<8} "
            f"{row['full_name'] or '-'}"
        )


@watchlist.command("show")
@click.argument("entry_id")
@json_option
@click.pass_context
def show(ctx: click.Context, entry_id: str, as_json: bool) -> None:
    """One entry with its reason, documents and biometric counts."""
    now = datetime.now(UTC)
    with _session(ctx, None, False, index=False) as session:
        entry = session.manager.get(entry_id)
        data = entry_json(entry, now) | {
            "reason": entry.reason,
            "document_numbers": list(entry.document_numbers),
            "fingerprint_images": session.manager.fingerprint_images(entry_id),
            "created_at": entry.created_at.isoformat(),
            "updated_at": entry.updated_at.isoformat(),
        }
    if as_json:
        emit_json(data)
        return
    for key, value in data.items():
        click.echo(f"{key:<20} {value}")


@watchlist.command("edit")
@click.argument("entry_id")
@click.option("--category", type=click.Choice([c.value for c in WatchlistCategory]))
@click.option("--reason")
@click.option("--valid-until", metavar="YYYY-MM-DD", help="Last day of validity.")
@click.option("--name", "full_name")
@click.option("--nationality", metavar="CODE")
@click.option(
    "--document", "documents", multiple=True, metavar="NUMBER", help="Replaces the documents."
)
@staff_options
@json_option
@click.pass_context
def edit(
    ctx: click.Context,
    entry_id: str,
    category: str | None,
    reason: str | None,
    valid_until: str | None,
    full_name: str | None,
    nationality: str | None,
    documents: tuple[str, ...],
    as_user: str | None,
    secret_stdin: bool,
    as_json: bool,
) -> None:
    """Change an entry's category, reason, validity, name, nationality or documents."""
    with _session(ctx, as_user, secret_stdin) as session:
        entry = session.manager.edit(
            entry_id,
            session.actor,
            category=WatchlistCategory(category) if category else None,
            reason=reason,
            valid_until=_day(valid_until, "--valid-until"),
            full_name=full_name,
            nationality=nationality,
            document_numbers=documents or None,
        )
    data = entry_json(entry, datetime.now(UTC)) | {
        "reason": entry.reason,
        "document_numbers": list(entry.document_numbers),
    }
    if as_json:
        emit_json(data)
    else:
        click.echo(f"{entry_id} updated")


@watchlist.command("expire")
@click.argument("entry_id")
@click.option("--at", "at_text", metavar="YYYY-MM-DD", help="Last day of validity (default: now).")
@staff_options
@json_option
@click.pass_context
def expire(
    ctx: click.Context,
    entry_id: str,
    at_text: str | None,
    as_user: str | None,
    secret_stdin: bool,
    as_json: bool,
) -> None:
    """End an entry's validity; it stays stored (and listed as inactive)."""
    with _session(ctx, as_user, secret_stdin) as session:
        entry = session.manager.expire(entry_id, session.actor, at=_day(at_text, "--at"))
    data = entry_json(entry, datetime.now(UTC))
    if as_json:
        emit_json(data)
    else:
        click.echo(f"{entry_id} valid until {data['valid_until']}")


@watchlist.command("remove")
@click.argument("entry_id")
@click.option("--reason", required=True, help="Why the entry is removed (audited).")
@staff_options
@json_option
@click.pass_context
def remove(
    ctx: click.Context,
    entry_id: str,
    reason: str,
    as_user: str | None,
    secret_stdin: bool,
    as_json: bool,
) -> None:
    """Delete an entry with its templates and images."""
    with _session(ctx, as_user, secret_stdin) as session:
        session.manager.remove(entry_id, session.actor, reason=reason)
    if as_json:
        emit_json({"removed": entry_id})
    else:
        click.echo(f"{entry_id} removed")


def _passphrase(path: Path | None, *, confirm: bool) -> str:
    """The export passphrase: the first line of ``path``, else asked (hidden) on the terminal."""
    if path is not None:
        lines = path.read_text(encoding="utf-8").splitlines()
        return lines[0] if lines else ""
    return str(
        click.prompt(
            "Export passphrase (give it to the recipient separately)",
            hide_input=True,
            confirmation_prompt=confirm,
            err=True,
        )
    )


_passphrase_file = click.option(
    "--passphrase-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Read the passphrase from the first line of this file (default: ask).",
)


@watchlist.command("export")
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@_passphrase_file
@staff_options
@json_option
@click.pass_context
def export(
    ctx: click.Context,
    out: Path,
    passphrase_file: Path | None,
    as_user: str | None,
    secret_stdin: bool,
    as_json: bool,
) -> None:
    """Write every entry with its templates to OUT, sealed with a passphrase (AES-256-GCM,
    scrypt); `gerbang watchlist open-export` opens it."""
    passphrase = _passphrase(passphrase_file, confirm=True)
    with _session(ctx, as_user, secret_stdin, index=False) as session:
        count = session.manager.export(out, session.actor, passphrase)
    if as_json:
        emit_json({"file": str(out), "entries": count, "sealed": True})
    else:
        click.echo(f"{count} entries written to {out} (sealed)")


@watchlist.command("open-export")
@click.argument("sealed", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@_passphrase_file
@json_option
def open_export(sealed: Path, out: Path, passphrase_file: Path | None, as_json: bool) -> None:
    """Open a sealed watchlist export into OUT (JSON, owner-only file: personal data)."""
    import json
    import os

    from enrollment.watchlist import read_export

    doc = read_export(sealed, _passphrase(passphrase_file, confirm=False))
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(doc, handle, ensure_ascii=False)
    if as_json:
        emit_json({"file": str(out), "entries": len(doc["entries"])})
    else:
        click.echo(f"{len(doc['entries'])} entries written to {out}")


COMMANDS = (watchlist,)

"""``gerbang enroll --from-files``: a counter enrollment from files, for scripting and tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kiosk.cli.context import app, emit_json, json_option, open_store
from kiosk.cli.exitcodes import ExitCode
from kiosk.cli.staffauth import index_dir, index_key, principal, staff_options
from models.audit import AuditLog
from models.biometric import FingerPosition
from models.roles import Role

if TYPE_CHECKING:
    from enrollment.fromfiles import EnrollmentOutcome


def _position(text: str, option: str) -> FingerPosition:
    code = text.strip()
    try:
        return FingerPosition(int(code)) if code.isdigit() else FingerPosition[code.upper()]
    except (KeyError, ValueError) as exc:
        names = ", ".join(p.name for p in FingerPosition if 1 <= p <= 10)
        raise click.BadParameter(
            f"{text!r} is not a finger position ({names})", param_hint=option
        ) from exc


def _pairs(values: tuple[str, ...], option: str) -> list[tuple[FingerPosition, str]]:
    pairs = []
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not rest.strip():
            raise click.BadParameter(f"{value!r}: expected POS=VALUE", param_hint=option)
        pairs.append((_position(key, option), rest.strip()))
    return pairs


@click.command()
@click.option(
    "--from-files", "from_files", is_flag=True, required=True, help="Required: inputs are files."
)
@click.option(
    "--mrz", "mrz_lines", multiple=True, metavar="LINE", help="An MRZ line (repeat per line)."
)
@click.option(
    "--chip-dump",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="A folder written by `gerbang doc read --save` (DG1.bin, DG2.bin).",
)
@click.option("--face", required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--finger",
    "finger_values",
    multiple=True,
    metavar="POS=IMG",
    help="A fingerprint image; repeat a position for another attempt (at most 3).",
)
@click.option(
    "--missing-finger",
    "missing_values",
    multiple=True,
    metavar="POS=REASON",
    help="A finger that cannot be captured, with the reason (amputated, bandaged ...).",
)
@click.option("--consent", is_flag=True, help="The traveller consented to the enrollment.")
@click.option("--override-reason", help="Accept a non-ICAO-compliant face for this written reason.")
@click.option(
    "--approve-as",
    metavar="SUPERVISOR",
    help="Supervisor approving the override (secret prompted, or the next stdin line).",
)
@click.option(
    "--receipt",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the traveller's receipt here (.html or .pdf; no biometric data).",
)
@staff_options
@json_option
@click.pass_context
def enroll(
    ctx: click.Context,
    from_files: bool,
    mrz_lines: tuple[str, ...],
    chip_dump: Path | None,
    face: Path,
    finger_values: tuple[str, ...],
    missing_values: tuple[str, ...],
    consent: bool,
    override_reason: str | None,
    approve_as: str | None,
    receipt: Path | None,
    as_user: str | None,
    secret_stdin: bool,
    as_json: bool,
) -> None:
    """Enroll a traveller from files: document, face (ICAO report), fingers, consent, 1:N check.

    Exit 0 when enrolled or held for a supervisor (possible duplicates), 5 when
    refused (the reasons are printed; nothing is stored).
    """
    from biometrics.fingerprint.verify import policy_from_settings
    from enrollment.faces import DlibFaceEngine
    from enrollment.fromfiles import FileEnrollment, FileEnrollmentRunner
    from enrollment.gallery import FaceGallery, GalleryDeduplicator

    if bool(mrz_lines) == (chip_dump is not None):
        raise click.UsageError("give the document as --mrz lines or as --chip-dump, not both")
    inputs = FileEnrollment(
        face=face,
        mrz_lines=mrz_lines,
        chip_dump=chip_dump,
        fingers=tuple((p, Path(v)) for p, v in _pairs(finger_values, "--finger")),
        missing=tuple(_pairs(missing_values, "--missing-finger")),
        consent=consent,
        override_reason=override_reason,
    )
    settings = app(ctx).start_logging()
    store, keys = open_store(settings)
    gallery = None
    try:
        audit = AuditLog(store, keys.signing_key())
        officer = principal(store, audit, as_user, secret_stdin, role=Role.OFFICER)
        supervisor = None
        if approve_as is not None:
            supervisor = principal(store, audit, approve_as, secret_stdin, role=Role.SUPERVISOR)
        gallery = FaceGallery.open(store, index_dir(settings), index_key(settings))
        runner = FileEnrollmentRunner(
            store,
            audit,
            DlibFaceEngine(),
            # the counter's calibrated fingerprint points, as the officer app uses them
            GalleryDeduplicator(
                gallery, finger_policy=policy_from_settings(settings.calibration.fingerprint)
            ),
            index_update=gallery.add_rows,
            office_id=settings.kiosk.office_id,
            kiosk_id=settings.kiosk.id,
        )
        outcome = runner.run(inputs, officer, today=datetime.now(UTC).date(), supervisor=supervisor)
    finally:
        if gallery is not None:
            gallery.close()
        store.close()
    data = outcome.to_json()
    if receipt is not None and outcome.stored is not None and outcome.document is not None:
        _write_receipt(outcome, receipt)
        data["receipt"] = str(receipt)
    if as_json:
        emit_json(data)
    else:
        click.echo(
            f"{data['outcome']}" + (f": {', '.join(data['reasons'])}" if data["reasons"] else "")
        )
        if data["enrollment_id"]:
            click.echo(f"enrollment {data['enrollment_id']} ({data['status']})")
        for candidate in data["deduplication"]["candidates"]:
            click.echo(
                f"  possible duplicate: {candidate['gallery']} {candidate['subject_id']} score {candidate['score']}"
            )
    if outcome.outcome == "refused":
        ctx.exit(int(ExitCode.CHECK_FAILED))


def _write_receipt(outcome: EnrollmentOutcome, path: Path) -> None:
    import os

    from enrollment.receipt import receipt_data, render_html

    if outcome.stored is None or outcome.document is None:
        return
    positions = [p.name for p in outcome.session.fingers]
    html = render_html(
        receipt_data(outcome.stored, outcome.document.document.issuing_state, positions)
    )
    if path.suffix.lower() == ".pdf":
        from kiosk.officer.receipt_pdf import write_pdf

        write_pdf(html, path)
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(html)


COMMANDS = (enroll,)

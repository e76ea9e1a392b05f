"""``gerbang doc mrz``: read and check the MRZ of a document image or of typed lines."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click

from devices.mrz.parser import CheckDigitResult, MrzReading
from kiosk.cli.context import emit_json, json_option
from kiosk.cli.exitcodes import ExitCode


@click.group()
def doc() -> None:
    """Travel documents: read the MRZ, read and verify the chip."""


@doc.command("mrz")
@click.argument(
    "image", required=False, type=click.Path(path_type=Path, dir_okay=False, exists=True)
)
@click.option(
    "--text",
    help=r'MRZ lines typed in or from a scanner, separated by newlines or "\n"; "-" reads stdin.',
)
@click.option(
    "--at",
    "at",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Reference date for the dates' century (default: today, UTC).",
)
@json_option
@click.pass_context
def mrz(
    ctx: click.Context, image: Path | None, text: str | None, at: datetime | None, as_json: bool
) -> None:
    """Read the MRZ of IMAGE (or --text) and check every check digit.

    Exit 0 when every check digit (composite included) holds, 5 when not or when no
    MRZ is found, 7 when the image cannot be decoded.
    """
    if (image is None) == (text is None):
        raise click.UsageError("give an IMAGE or --text, not both")
    reference = at.date() if at else datetime.now(UTC).date()
    if text is not None:
        result = _from_text(sys.stdin.read() if text == "-" else text, reference)
    else:
        assert image is not None  # noqa: S101 - checked above
        result = _from_image(image, reference)
    if as_json:
        emit_json(result)
    else:
        _print(result)
    if not result["valid"]:
        ctx.exit(int(ExitCode.CHECK_FAILED))


def _from_text(text: str, reference: date) -> dict[str, Any]:
    from devices.mrz.parser import check_digits, parse_mrz, split_lines
    from models.errors import MRZError

    lines = split_lines(text.replace("\\n", "\n"))
    try:
        return reading_json(parse_mrz(lines, reference_date=reference))
    except MRZError as exc:
        out: dict[str, Any] = {
            "mrz_type": None,
            "valid": False,
            "fields": {},
            "check_digits": {},
            "raw": list(lines),
        }
        try:
            mrz_type, checks = check_digits(lines)
            out["mrz_type"] = mrz_type.value
            out["check_digits"] = checks_json(checks)
        except MRZError:
            pass
        out["error"] = {"code": exc.code, "field": exc.field, "message": exc.message}
        return out


def _from_image(path: Path, reference: date) -> dict[str, Any]:
    from devices.mrz.image import read_image_file
    from devices.mrz.reader import read_mrz_image

    result = read_mrz_image(read_image_file(path), reference_date=reference)
    if result.reading is not None:
        out = reading_json(result.reading)
        out["valid"] = result.valid  # False when AMBIGUOUS
    else:
        mrz_type = result.mrz_type
        out = {
            "mrz_type": mrz_type.value if mrz_type else None,
            "valid": False,
            "fields": {},
            "check_digits": checks_json(result.checks),
            "raw": list(result.raw_lines),
        }
    if not result.valid:
        out["error"] = {
            "code": f"document.mrz.{result.status.value}",
            "field": result.error_field,
            "message": _STATUS_TEXT[result.status.value],
        }
    return out


_STATUS_TEXT = {
    "valid": "every check digit holds",
    "check_failed": "the MRZ was read but a check digit fails",
    "ambiguous": "OCR variants disagree on the MRZ and none is clearly better; rescan",
    "unparseable": "MRZ-like lines were read but a field does not decode",
    "not_found": "no MRZ found in the image",
}


def reading_json(reading: MrzReading) -> dict[str, Any]:
    """The JSON shape of ``gerbang doc mrz`` for a parsed MRZ."""
    return {
        "mrz_type": reading.mrz_type.value,
        "valid": reading.valid,
        "fields": reading.fields(),
        "check_digits": checks_json(reading.checks),
        "raw": list(reading.lines),
    }


def checks_json(checks: Iterable[CheckDigitResult]) -> dict[str, dict[str, Any]]:
    return {c.field: {"read": c.read, "expected": c.expected, "valid": c.valid} for c in checks}


def _print(result: dict[str, Any]) -> None:
    for line in result["raw"]:
        click.echo(line)
    click.echo(f"type: {result['mrz_type'] or '-'}  valid: {'yes' if result['valid'] else 'no'}")
    for name, value in result["fields"].items():
        click.echo(f"  {name}: {value}")
    for name, check in result["check_digits"].items():
        mark = (
            "ok" if check["valid"] else f"FAIL (read {check['read']}, expected {check['expected']})"
        )
        click.echo(f"  check {name}: {mark}")
    if "error" in result:
        click.echo(f"  {result['error']['message']}", err=True)


COMMANDS = (doc,)

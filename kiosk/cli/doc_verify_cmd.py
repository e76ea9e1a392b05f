"""``gerbang doc verify``: Passive Authentication of EF.SOD and data groups against CSCA trust."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from kiosk.cli.context import emit_json, json_option
from kiosk.cli.exitcodes import ExitCode
from models.errors import MalformedDataError


def _parse_dg(values: tuple[str, ...]) -> dict[int, Path]:
    files: dict[int, Path] = {}
    for value in values:
        number, sep, path = value.partition("=")
        if not sep or not number.strip().isdigit() or not 1 <= int(number) <= 16:
            raise click.BadParameter(
                f"{value!r}: expected N=FILE with N in 1..16", param_hint="--dg"
            )
        files[int(number)] = Path(path)
    return files


def _parse_at(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r}: expected YYYY-MM-DD", param_hint="--at") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _read(path: Path, limit: int, what: str) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise MalformedDataError(f"cannot read {what} {path}: {exc.strerror}") from exc
    if len(data) > limit:
        raise MalformedDataError(f"{what} {path} is larger than {limit} bytes")
    return data


def _print_text(report: dict[str, Any]) -> None:
    pa = report["passive_authentication"]
    click.echo(f"Passive Authentication: {'VALID' if pa['valid'] else 'INVALID'} at {pa['at']}")
    for name, value in pa["checks"].items():
        if name == "dg_hashes":
            for number, ok in value.items():
                click.echo(f"  DG{number} hash{'':<18}{'ok' if ok else 'FAILED'}")
            continue
        shown = "n/a" if value is None else ("ok" if value else "FAILED")
        click.echo(f"  {name:<25}{shown}")
    click.echo(f"  hash algorithm           {report['hash_algorithm']}")
    for role in ("signer", "csca"):
        if report[role]:
            click.echo(f"  {role:<25}{report[role]['subject']}")
    for problem in pa["problems"]:
        click.echo(f"  - {problem}")


@click.group()
def doc() -> None:
    """Travel documents: read the MRZ, read and verify the chip."""


@doc.command()
@click.option(
    "--sod",
    "sod_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="EF.SOD as read from the chip (tag 0x77).",
)
@click.option(
    "--dg",
    "dg_values",
    multiple=True,
    metavar="N=FILE",
    help="A data group file to check against the SOD (repeatable), e.g. --dg 1=EF.DG1.bin.",
)
@click.option(
    "--trust",
    "trust_paths",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path, exists=True),
    help="CSCA master list (.ml), certificate (DER/PEM), CRL, or a folder of them (repeatable).",
)
@click.option(
    "--at",
    "at_text",
    required=True,
    metavar="YYYY-MM-DD",
    help="Time of verification (ISO date or date-time; UTC if no zone is given).",
)
@click.option(
    "--country",
    default=None,
    metavar="CODE",
    help="Issuing state from the printed MRZ (e.g. IDN); default: from DG1 if given.",
)
@click.option(
    "--require-anchored",
    is_flag=True,
    help="Refuse master lists whose signer chains only to a CSCA inside the list itself.",
)
@json_option
@click.pass_context
def verify(
    ctx: click.Context,
    sod_path: Path,
    dg_values: tuple[str, ...],
    trust_paths: tuple[Path, ...],
    at_text: str,
    country: str | None,
    require_anchored: bool,
    as_json: bool,
) -> None:
    """Passive Authentication: EF.SOD signature, DSC chain to a CSCA, validity, DG hashes.

    Exit 0 when every check passes, 5 when the document fails a check, 7 when
    an input file is unreadable, 8 when a master list does not verify.
    """
    from devices.epassport.pa_params import MAX_DG_BYTES, MAX_SOD_BYTES
    from devices.epassport.passive_auth import verify_passive
    from devices.epassport.trust import TrustStore

    at = _parse_at(at_text)
    dg_paths = _parse_dg(dg_values)
    sod = _read(sod_path, MAX_SOD_BYTES, "EF.SOD")
    dgs = {n: _read(p, MAX_DG_BYTES, f"DG{n}") for n, p in dg_paths.items()}
    trust = TrustStore.from_paths(trust_paths, require_anchored_lists=require_anchored)
    result = verify_passive(sod, dgs, trust, at, issuing_country=country)
    report = result.to_json()
    report["trust_store"] = trust.summary()
    if as_json:
        emit_json(report)
    else:
        _print_text(report)
    if not result.valid:
        ctx.exit(int(ExitCode.CHECK_FAILED))


def _data_root() -> Path:
    env = os.environ.get("GERBANG_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "data"


@doc.command("verify-dataset")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="The icao9303 folder (default: $GERBANG_DATA/icao9303).",
)
@click.option("--at", "at_text", default="2026-11-24", show_default=True, metavar="YYYY-MM-DD")
@json_option
def verify_dataset(data_dir: Path | None, at_text: str, as_json: bool) -> None:
    """Passive Authentication on every specimen EF.SOD of the shared test data, with timings."""
    import json
    import time

    from devices.epassport.passive_auth import verify_passive
    from devices.epassport.trust import TrustStore

    root = data_dir or _data_root() / "icao9303"
    at = _parse_at(at_text)
    started = time.perf_counter()
    trust = TrustStore.from_paths([root / "master_lists_gmrtd"], require_anchored_lists=True)
    load_ms = (time.perf_counter() - started) * 1000
    sods = sorted(root.glob("sod_samples_gmrtd/*/EF.SOD.bin"))
    sods += sorted(root.glob("sod_testvectors_pymrtd/*SOD*.bin"))
    rows: list[dict[str, Any]] = []
    for path in sods:
        expected_file = path.parent / "expected.json"
        expected = json.loads(expected_file.read_text()) if expected_file.is_file() else None
        country = expected["country_alpha2"] if expected else None
        t0 = time.perf_counter()
        result = verify_passive(
            path.read_bytes(), {}, trust, at, issuing_country=country, required_dgs=()
        )  # the specimens come without their data groups: the SOD and its chain only
        ms = (time.perf_counter() - t0) * 1000
        hashes = result.sod.dg_hashes if result.sod else {}
        match = None
        if expected is not None:
            match = (
                hashes.get(1, b"").hex() == expected["dg1_hash"]
                and hashes.get(2, b"").hex() == expected["dg2_hash"]
            )
        rows.append(
            {
                "sod": str(path.relative_to(root)),
                "valid": result.valid,
                "failed_checks": [k for k, v in result.checks.items() if v is False],
                "hash_algorithm": result.hash_algorithm,
                "signature": result.signature.algorithm if result.signature else None,
                "verified_with": result.signature.method if result.signature else None,
                "csca": result.csca.cert.subject if result.csca else None,
                "expected_hashes_match": match,
                "ms": round(ms, 1),
            }
        )
    report = {
        "at": at.isoformat(),
        "trust": {"certificates": len(trust), "load_ms": round(load_ms, 1)},
        "documents": rows,
        "summary": {
            "sods": len(rows),
            "valid": sum(r["valid"] for r in rows),
            "expected_hashes_match": sum(r["expected_hashes_match"] is True for r in rows),
        },
    }
    if as_json:
        emit_json(report)
        return
    for row in rows:
        failed = ",".join(row["failed_checks"]) or "-"
        click.echo(f"{row['sod']:<62} {'VALID' if row['valid'] else 'INVALID':<8} {failed}")


COMMANDS = (doc,)

"""``gerbang bench mrz``: MRZ reading over a folder of document images, ours and
PassportEye's side by side when PassportEye is installed (the ``bench`` extra)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from kiosk.cli.context import emit_json, json_option
from models.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def default_images() -> Path:
    """``$GERBANG_DATA/mrz_documents/images`` (default data: ``<repo>/../shared/data``)."""
    data = Path(os.environ.get("GERBANG_DATA", REPO.parent / "shared" / "data"))
    return data / "mrz_documents" / "images"


@click.group()
def bench() -> None:
    """Benchmarks: face, fingerprint, index, sync, transaction, MRZ."""


@bench.command("mrz")
@click.option(
    "--images",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of document images (default: $GERBANG_DATA/mrz_documents/images).",
)
@click.option(
    "--baseline/--no-baseline",
    default=True,
    help="Also run PassportEye when it is installed (default: yes).",
)
@click.option(
    "--at",
    "at",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Reference date for the dates' century (default: today, UTC).",
)
@click.option("--per-image", is_flag=True, help="Include every image's outcome.")
@json_option
def mrz(
    images: Path | None, baseline: bool, at: datetime | None, per_image: bool, as_json: bool
) -> None:
    """Count images whose MRZ is read with every check digit valid, and how many of
    those reads match the known values (a valid but wrong read is counted apart)."""
    from devices.mrz.baseline import passporteye_version, read_with_passporteye
    from devices.mrz.bench import image_files, load_expected, read_with_gerbang, score
    from devices.mrz.ocr import default_engine

    folder = images or default_images()
    if not folder.is_dir():
        raise ConfigError(f"no image folder at {folder} (set GERBANG_DATA or --images)")
    files = image_files(folder)
    expected = load_expected(folder.parent) | load_expected(folder)
    reference = at.date() if at else datetime.now(UTC).date()
    engine = default_engine()
    ours = score(lambda p: read_with_gerbang(p, reference, engine), files, expected)
    result: dict[str, Any] = {
        "images": len(files),
        "folder": str(folder),
        "gerbang": {"engine": engine.name, **ours},
    }
    version = passporteye_version()
    if baseline and version is not None:
        result["passporteye"] = {
            "version": version,
            **score(read_with_passporteye, files, expected),
        }
    elif baseline:
        result["passporteye"] = {"unavailable": "not installed (pip install -e '.[bench]')"}
    if not per_image:
        for key in ("gerbang", "passporteye"):
            if isinstance(result.get(key), dict):
                result[key].pop("per_image", None)
    if as_json:
        emit_json(result)
        return
    for name in ("gerbang", "passporteye"):
        part = result.get(name)
        if part and "valid" in part:
            click.echo(
                f"{name}: {part['valid']}/{len(files)} valid, "
                f"{part['check_digits_valid']} by check digits, "
                f"{part['valid_and_matching']}/{part['expected_known']} match known values, "
                f"{part['valid_but_wrong']} valid but wrong, {part['s_per_image']} s/image"
            )
        elif part:
            click.echo(f"{name}: {part['unavailable']}")


COMMANDS = (bench,)

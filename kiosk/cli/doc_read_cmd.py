"""``gerbang doc read``: read a travel document's chip and report every chip check.

Access control (PACE or BAC), the files read with their sizes, Passive
Authentication against the CSCA trust store (``documents.trust_paths`` or
``--trust``), DG1 against the typed MRZ, Chip and Active Authentication (which
count only when their key's data group passed Passive Authentication).

The chip is read on the configured card reader: ``--reader ID``, by default the first
enabled ``card_reader`` device that is not a virtual reader holding the echo test card
(in ``config/devices.virtual.toml``: ``passport-chip``, a virtual ePassport on vpcd).
The reader is built by the device factory from the settings (production refuses
virtual readers), opened for this one read, and closed again. Relative
``documents.trust_paths`` start at the settings file's folder.

``--virtual`` (development mode only) reads an in-process virtual passport made for the
typed MRZ, without any reader.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from kiosk.cli.context import app, emit_json, json_option
from kiosk.cli.exitcodes import ExitCode
from models.errors import ConfigError
from models.events import CheckOutcome
from models.settings import RunMode

if TYPE_CHECKING:
    from devices.base import CardChannel, CardReader
    from devices.epassport.access_key import AccessKey
    from devices.epassport.inspection import DocumentInspection
    from devices.epassport.session import ChipReadResult, ReadOptions
    from devices.epassport.trust import TrustStore
    from models.settings import Settings

FAULTS = ("wrong-mac-once", "slow", "tamper-dg2", "aa-clone", "ca-clone", "removed")


@click.group()
def doc() -> None:
    """Travel documents: read the MRZ, read and verify the chip."""


def access_key_from(
    mrz_lines: Sequence[str],
    number: str | None,
    birth: str | None,
    expiry: str | None,
    can: str | None,
) -> AccessKey:
    from devices.epassport.access_key import CANKey, MRZKey

    if can:
        return CANKey(can)
    if mrz_lines:
        return MRZKey.from_mrz(list(mrz_lines))
    if number and birth and expiry:
        return MRZKey(number.upper(), birth, expiry)
    raise click.UsageError(
        "give --mrz lines, or --document-number, --birth-date and --expiry-date, or --can"
    )


def result_json(result: ChipReadResult) -> dict[str, Any]:
    """The JSON shape of ``doc read`` (documented in docs/epassport-chip.md)."""
    access = result.access
    return {
        "access_control": {
            "protocol": access.protocol,
            "algorithm": access.algorithm,
            "cipher": access.cipher,
            "domain_parameters": access.domain,
            "parameter_id": access.parameter_id,
            "password": access.password,
            "fallback_reason": access.fallback_reason,
            "extended_length": access.extended_length,
        },
        "chip_authentication": _check(result.chip_authentication),
        "active_authentication": _check(result.active_authentication),
        "passive_authentication": None,  # filled in by read() after inspection
        "files": {
            name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in sorted(result.files.items(), key=lambda item: file_order(item[0]))
        },
        "absent": list(result.absent),
        "retries": result.retries,
        "duration_ms": round(result.duration_ms, 1),
    }


def file_order(name: str) -> tuple[int, int]:
    """EF.COM, EF.SOD, then data groups by number."""
    if name.startswith("DG") and name[2:].isdigit():
        return (1, int(name[2:]))
    return (0, 0 if name == "EF.COM" else 1)


def _check(check: Any) -> dict[str, Any]:
    return {
        "performed": check.performed,
        "valid": check.valid,
        "algorithm": check.algorithm,
        "reason": check.reason,
    }


def save_files(
    result: ChipReadResult, directory: Path, extra: dict[str, bytes] | None = None
) -> None:
    """Raw files as ``<name>.bin`` (personal data: the folder and files are private)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    items = dict(result.files)
    if result.card_access is not None:
        items["EF.CardAccess"] = result.card_access
    for name, data in {**items, **(extra or {})}.items():
        path = directory / (name if "." in name[-4:] else f"{name}.bin")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)


def read_chip(
    channel: CardChannel, atr: bytes | None, key: AccessKey, options: ReadOptions
) -> ChipReadResult:
    """The one entry point for any reader: PC/SC, loopback, vpcd or the in-process virtual chip."""
    from devices.epassport.session import read_document

    return read_document(channel, key, options, atr=atr)


@doc.command("read")
@click.option(
    "--mrz", "mrz_lines", multiple=True, metavar="LINE", help="An MRZ line; repeat for each line."
)
@click.option("--document-number", help="Document number (instead of --mrz).")
@click.option("--birth-date", metavar="YYMMDD", help="Date of birth (instead of --mrz).")
@click.option("--expiry-date", metavar="YYMMDD", help="Date of expiry (instead of --mrz).")
@click.option("--can", metavar="DIGITS", help="Card Access Number (PACE only).")
@click.option(
    "--save",
    "save_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write the raw files here.",
)
@click.option("--no-ca", is_flag=True, help="Skip Chip Authentication.")
@click.option("--no-aa", is_flag=True, help="Skip Active Authentication.")
@click.option("--short-apdus", is_flag=True, help="Do not use extended-length APDUs.")
@click.option(
    "--virtual",
    is_flag=True,
    help="Development only: read an in-process virtual passport for this MRZ.",
)
@click.option(
    "--virtual-profile", type=click.Choice(["pace", "bac"]), default="pace", show_default=True
)
@click.option(
    "--virtual-face",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="JPEG for DG2.",
)
@click.option(
    "--virtual-fault", type=click.Choice(FAULTS), multiple=True, help="Switch a chip fault on."
)
@click.option(
    "--trust",
    "trust_paths",
    multiple=True,
    type=click.Path(path_type=Path, exists=True),
    help="CSCA master list, certificate, CRL or folder (default: documents.trust_paths).",
)
@click.option(
    "--reader",
    "reader_id",
    metavar="ID",
    help="The card reader device to use (default: the first that is not the echo test card).",
)
@click.option(
    "--scan",
    is_flag=True,
    help="Read the MRZ from the configured document scanner (instead of typing it).",
)
@click.option(
    "--scanner",
    "scanner_id",
    metavar="ID",
    help="The document scanner to use with --scan (default: the first configured).",
)
@click.option(
    "--wait",
    "wait_s",
    type=float,
    default=10.0,
    show_default=True,
    help="Seconds to wait for a document on the reader.",
)
@json_option
@click.pass_context
def read(
    ctx: click.Context,
    mrz_lines: tuple[str, ...],
    document_number: str | None,
    birth_date: str | None,
    expiry_date: str | None,
    can: str | None,
    save_dir: Path | None,
    no_ca: bool,
    no_aa: bool,
    short_apdus: bool,
    virtual: bool,
    virtual_profile: str,
    virtual_face: Path | None,
    virtual_fault: tuple[str, ...],
    trust_paths: tuple[Path, ...],
    reader_id: str | None,
    scan: bool,
    scanner_id: str | None,
    wait_s: float,
    as_json: bool,
) -> None:
    """Read the document on the reader with the MRZ scanned (--scan) or typed in, or its CAN;
    print every chip check."""
    from devices.epassport.inspection import inspect
    from devices.epassport.session import ReadOptions

    mrz_source = "typed"
    if scan:
        mrz_lines, mrz_source = _scan_mrz(ctx, scanner_id, wait_s), "scanner"
    key = access_key_from(mrz_lines, document_number, birth_date, expiry_date, can)
    options = ReadOptions(
        extended_length=not short_apdus,
        chip_authentication=not no_ca,
        active_authentication=not no_aa,
    )
    extra: dict[str, bytes] = {}
    settings = app(ctx).settings()
    apdus: int | None = None
    if virtual:
        if settings.kiosk.mode is not RunMode.DEVELOPMENT:
            raise ConfigError(
                '--virtual needs development mode (kiosk.mode = "development")', key="kiosk.mode"
            )
        channel, atr, extra = _virtual(
            key, mrz_lines, can, virtual_profile, virtual_face, virtual_fault
        )
        source = "virtual"
        result = read_chip(channel, atr, key, options)
        apdus = getattr(channel, "apdus", None)
    else:
        source, result = _read_on_reader(ctx, reader_id, wait_s, key, options)
    inspection = inspect(
        result,
        _trust(settings, _base_dir(ctx), trust_paths, extra.get("virtual-CSCA.der")),
        datetime.now(UTC),
        printed_mrz=list(mrz_lines) or None,
    )
    data = result_json(result)
    data.update(inspection_json(inspection))
    data["source"] = source
    data["mrz_source"] = mrz_source
    data["apdus"] = apdus
    if save_dir is not None:
        save_files(result, save_dir, extra)
        data["saved_to"] = str(save_dir)
    if as_json:
        emit_json(data)
    else:
        _print(data)
    verdicts = (
        inspection.passive_authentication,
        inspection.chip_authentication,
        inspection.dg1_matches_printed,
    )
    if CheckOutcome.FAILED in verdicts:
        ctx.exit(int(ExitCode.CHECK_FAILED))


def _base_dir(ctx: click.Context) -> Path:
    """Where relative paths of the settings file start: its own folder."""
    state = app(ctx)
    state.settings()
    return state.settings_file.parent if state.settings_file else Path.cwd()


def _scan_mrz(ctx: click.Context, scanner_id: str | None, wait_s: float) -> tuple[str, ...]:
    """The MRZ lines of the page on the configured document scanner (check digits valid)."""
    import time
    from typing import cast

    from devices.base import DocumentScanner
    from devices.factory import build_devices
    from devices.mrz.scan import scan_mrz
    from models.errors import DeviceUnavailableError, MRZError
    from models.operations import DeviceKind

    settings = app(ctx).settings()
    if scanner_id is None:
        found = [
            d.id
            for d in settings.devices.device
            if d.enabled and d.kind is DeviceKind.DOCUMENT_SCANNER
        ]
        if not found:
            raise ConfigError(
                "--scan needs a document_scanner device in the settings", key="devices.device"
            )
        scanner_id = found[0]
    ((config, device),) = build_devices(settings, _base_dir(ctx), only=scanner_id)
    if config.kind is not DeviceKind.DOCUMENT_SCANNER:
        raise ConfigError(f"device {scanner_id!r} is not a document scanner", key="--scanner")
    scanner = cast("DocumentScanner", device)
    with scanner:
        reading = scan_mrz(
            scanner,
            cancelled=lambda: False,
            deadline=time.monotonic() + wait_s,
            poll_s=1.0,
            reference_date=datetime.now(UTC).date(),
        )
    if reading is None:
        raise DeviceUnavailableError(
            f"no readable MRZ on scanner {scanner_id} within {wait_s:g} s", device_id=scanner_id
        )
    if not reading.valid:
        raise MRZError("the scanned MRZ fails its check digits: type it with --mrz")
    return tuple(reading.lines)


def _read_on_reader(
    ctx: click.Context,
    reader_id: str | None,
    wait_s: float,
    key: AccessKey,
    options: ReadOptions,
) -> tuple[str, ChipReadResult]:
    """Build the configured reader, wait for a document, read it, close the reader."""
    from dataclasses import replace

    from devices.base import Capability, CardChannel
    from devices.factory import build_devices, document_reader_id
    from models.errors import DeviceUnavailableError
    from models.operations import DeviceKind

    settings = app(ctx).settings()
    chosen = reader_id or document_reader_id(settings)
    ((config, device),) = build_devices(settings, _base_dir(ctx), only=chosen)
    if config.kind is not DeviceKind.CARD_READER:
        raise ConfigError(
            f"device {chosen!r} is a {config.kind.value}, not a card reader", key="--reader"
        )
    reader = cast("CardReader", device)
    with reader:
        got = reader.wait_for_card(wait_s)
        if not isinstance(got, CardChannel):
            raise DeviceUnavailableError(
                f"no document on reader {chosen} within {wait_s:g} s", device_id=chosen
            )
        extended = Capability.EXTENDED_LENGTH in reader.capabilities
        options = replace(options, extended_length=options.extended_length and extended)
        result = read_chip(got, reader.atr, key, options)
    return f"reader:{chosen}", result


def _trust(
    settings: Settings, base_dir: Path, paths: tuple[Path, ...], virtual_csca: bytes | None
) -> TrustStore:
    from devices.epassport.certinfo import CertInfo
    from devices.epassport.trust import TrustStore

    configured = [p if p.is_absolute() else base_dir / p for p in settings.documents.trust_paths]
    chosen = list(paths) or configured
    trust = TrustStore.from_paths(
        chosen, require_anchored_lists=settings.documents.require_anchored_lists
    )
    if virtual_csca is not None:
        trust.add_certificate(CertInfo.load(virtual_csca), source="virtual passport (development)")
    return trust


def inspection_json(inspection: DocumentInspection) -> dict[str, Any]:
    passive = inspection.passive.to_json()["passive_authentication"] if inspection.passive else None
    face = inspection.face
    return {
        "passive_authentication": passive,
        "checks": {
            "passive_authentication": inspection.passive_authentication.value,
            "chip_authentication": inspection.chip_authentication.value,
            "dg1_matches_mrz": inspection.dg1_matches_printed.value,
        },
        "face": None
        if face is None
        else {"width": face.width, "height": face.height, "format": str(face.format)},
        "face_problem": inspection.face_problem or None,
    }


def _virtual(
    key: AccessKey,
    mrz_lines: tuple[str, ...],
    can: str | None,
    profile: str,
    face: Path | None,
    faults: tuple[str, ...],
) -> tuple[CardChannel, bytes, dict[str, bytes]]:
    from devices.epassport.access_key import MRZKey
    from devices.epassport.emulator.direct import DirectAppletChannel
    from devices.epassport.emulator.faults import ChipFaults
    from devices.epassport.emulator.virtual import SPECIMEN_TD3, make_virtual_passport, td3_for

    if mrz_lines:
        lines = list(mrz_lines)
    elif isinstance(key, MRZKey):
        lines = td3_for(key)
    else:
        lines = list(SPECIMEN_TD3)
    switches = ChipFaults(
        wrong_mac=1 if "wrong-mac-once" in faults else 0,
        wrong_mac_after=3,
        slow_s=0.05 if "slow" in faults else 0.0,
        tamper_dg=2 if "tamper-dg2" in faults else None,
        aa_clone="aa-clone" in faults,
        ca_clone="ca-clone" in faults,
        remove_after_bytes=4000 if "removed" in faults else None,
    )
    setup = make_virtual_passport(
        lines,
        at=datetime.now(UTC),
        profile=profile,
        face_jpeg=face.read_bytes() if face else None,
        can=can,
        faults=switches,
    )
    extra = {"virtual-CSCA.der": setup.document.pki.csca_der}
    return DirectAppletChannel(setup.chip), setup.chip.atr(), extra


def _print(data: dict[str, Any]) -> None:
    access = data["access_control"]
    click.echo(f"access control: {access['protocol']} {access['algorithm']} ({access['cipher']})")
    if access["fallback_reason"]:
        click.echo(f"  BAC because: {access['fallback_reason']}")
    for label in ("chip_authentication", "active_authentication"):
        check = data[label]
        state = (
            "not performed" if not check["performed"] else ("VALID" if check["valid"] else "FAILED")
        )
        detail = check["algorithm"] or check["reason"]
        click.echo(f"{label.replace('_', ' ')}: {state}" + (f" ({detail})" if detail else ""))
    labels = {
        "passive_authentication": "passive authentication",
        "chip_authentication": "clone check (CA or AA, keys verified by PA)",
        "dg1_matches_mrz": "DG1 matches the printed MRZ",
    }
    for name, outcome in data["checks"].items():
        click.echo(f"{labels.get(name, name)}: {outcome}")
    for name, info in data["files"].items():
        click.echo(f"  {name:<8} {info['size']:>7} bytes")
    if data["absent"]:
        click.echo(f"  absent: {', '.join(data['absent'])}")


COMMANDS = (doc,)

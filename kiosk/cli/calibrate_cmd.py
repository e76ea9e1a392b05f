"""``gerbang calibrate``: camera, fingerprint scanner, card readers, face and fingerprint thresholds.

Measurements print JSON (``--json``); ``--save --as USER`` (a technician or a
supervisor, secret prompted) writes the recommended camera settings or the face
or fingerprint operating points into the ``[calibration]`` block of the settings file, audited.
The JSON shapes are documented in docs/technician.md.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from kiosk.cli.context import app, emit_json, json_option
from kiosk.cli.exitcodes import ExitCode
from models.errors import ConfigError
from models.operations import DeviceKind
from models.roles import Permission

if TYPE_CHECKING:
    from devices.base import Device
    from models.settings import DeviceConfig


def _base_dir(ctx: click.Context) -> Path:
    state = app(ctx)
    state.settings()
    return state.settings_file.parent if state.settings_file else Path.cwd()


def _device(
    ctx: click.Context, kind: DeviceKind, device_id: str | None
) -> tuple[DeviceConfig, Device]:
    from devices.factory import build_devices

    settings = app(ctx).settings()
    if device_id is None:
        found = [c.id for c in settings.devices.device if c.enabled and c.kind is kind]
        if not found:
            raise ConfigError(
                f"no {kind.value} configured ([[devices.device]])", key="devices.device"
            )
        device_id = found[0]
    ((config, device),) = build_devices(settings, _base_dir(ctx), only=device_id)
    if config.kind is not kind:
        raise ConfigError(f"device {device_id!r} is a {config.kind.value}, not a {kind.value}")
    return config, device


save_option = click.option(
    "--save", is_flag=True, help="Save the result into the settings file (needs --as)."
)
as_option = click.option(
    "--as", "user_id", help="Technician or supervisor saving the result (secret prompted)."
)


def _require_user(save: bool, user_id: str | None) -> None:
    if save and not user_id:
        raise click.UsageError("--save needs --as USER (a technician or supervisor)")


@click.group()
def calibrate() -> None:
    """Technician calibration: camera, fingerprint scanner, card readers, thresholds."""


@calibrate.command()
@click.argument("device_id", required=False)
@click.option("--frames", type=click.IntRange(1, 300), default=15, show_default=True)
@click.option("--face/--no-face", default=True, help="Measure face size (loads the face models).")
@save_option
@as_option
@json_option
@click.pass_context
def camera(
    ctx: click.Context,
    device_id: str | None,
    frames: int,
    face: bool,
    save: bool,
    user_id: str | None,
    as_json: bool,
) -> None:
    """Focus sweep, exposure histogram, white balance and face size of a camera."""
    from devices.base import Camera
    from enrollment.technician.camera import (
        CalibrationParams,
        calibrate_camera,
        face_measure_from_models,
    )

    _require_user(save, user_id)
    state = app(ctx)
    state.start_logging()
    measure = None
    if face:
        from biometrics.face.models import load_models

        measure = face_measure_from_models(load_models())
    config, device = _device(ctx, DeviceKind.CAMERA, device_id)
    with cast("Camera", device) as cam:
        result = calibrate_camera(
            cam, params=CalibrationParams(frames=frames), face_measure=measure
        )
    if save and user_id:
        result["saved"] = _save(
            state,
            user_id,
            lambda path, audit, who: _save_camera(path, config.id, result, audit, who),
        )
    if as_json:
        emit_json(result)
    else:
        focus = result["focus"]
        click.echo(
            f"{result['device_id']}: sharpness {focus['sharpness_median']}, "
            f"best focus {focus.get('best_focus', '-')}, brightness {result['exposure']['mean']}, "
            f"white balance {result['white_balance']['cast']}, "
            f"inter-eye {result['face'].get('inter_eye_px', '-')} px"
        )
        click.echo(f"advice: {', '.join(result['advice']) or 'none'}")
    if not result["ok"]:
        ctx.exit(int(ExitCode.CHECK_FAILED))


def _save_camera(path: Path, device_id: str, result: dict[str, Any], audit: Any, who: Any) -> None:
    from enrollment.technician.apply import save_camera
    from models.settings import CameraCalibration

    save_camera(path, device_id, CameraCalibration(**result["recommended"]), by=who, audit=audit)


def _save(state: Any, user_id: str, action: Any) -> dict[str, Any]:
    from kiosk.cli.staff_login import login, settings_file

    path = settings_file(state)
    store, audit, principal = login(state, user_id, Permission.CALIBRATE)
    try:
        action(path, audit, principal)
        head = audit.head()
    finally:
        store.close()
    return {
        "settings_file": str(path),
        "by": principal.user_id,
        "audit_seq": head.seq if head else None,
    }


@calibrate.command()
@click.argument("device_id", required=False)
@click.option("--timeout", "timeout_s", type=float, default=15.0, show_default=True)
@json_option
@click.pass_context
def fingerprint(ctx: click.Context, device_id: str | None, timeout_s: float, as_json: bool) -> None:
    """Capture one image: size, resolution, contrast and simple quality (not NFIQ 2)."""
    from devices.base import FingerprintScanner
    from enrollment.technician.fingercheck import check_scanner

    app(ctx).start_logging()
    _, device = _device(ctx, DeviceKind.FINGERPRINT, device_id)
    with cast("FingerprintScanner", device) as scanner:
        result = check_scanner(scanner, timeout_s=timeout_s)
    if as_json:
        emit_json(result)
    else:
        figures = result.get("figures", {})
        click.echo(
            f"{result['id']}: {result['outcome']} {figures.get('width')}x{figures.get('height')} "
            f"@{figures.get('ppi')} ppi, contrast {figures.get('contrast')}, "
            f"problems: {', '.join(result.get('problems', [])) or 'none'}"
        )
    if result["outcome"] != "ok":
        ctx.exit(int(ExitCode.CHECK_FAILED))


@calibrate.command()
@click.argument("device_id", required=False)
@click.option("--wait", "wait_s", type=float, default=10.0, show_default=True)
@click.option("--mrz", "mrz_lines", multiple=True, help="MRZ line of the test document (repeat).")
@click.option(
    "--specimen",
    is_flag=True,
    help="Read the virtual passport with the ICAO specimen MRZ (development mode only).",
)
@json_option
@click.pass_context
def reader(
    ctx: click.Context,
    device_id: str | None,
    wait_s: float,
    mrz_lines: tuple[str, ...],
    specimen: bool,
    as_json: bool,
) -> None:
    """Each card reader: ATR and timed round trips; the document reader also reads the chip."""
    from devices.base import CardReader
    from devices.epassport.access_key import MRZKey
    from devices.factory import build_devices, document_reader_id
    from enrollment.technician.readercheck import check_reader, reader_summary
    from models.settings import RunMode

    settings = app(ctx).start_logging()
    if specimen:
        if settings.kiosk.mode is not RunMode.DEVELOPMENT:
            raise ConfigError("--specimen reads the virtual passport: development mode only")
        from devices.epassport.emulator.virtual import SPECIMEN_TD3

        mrz_lines = SPECIMEN_TD3
    key = MRZKey.from_mrz(list(mrz_lines)) if mrz_lines else None
    try:
        doc_reader: str | None = document_reader_id(settings)
    except ConfigError:
        doc_reader = None
    readers = [
        (config, cast("CardReader", device))
        for config, device in build_devices(settings, _base_dir(ctx), only=device_id)
        if config.kind is DeviceKind.CARD_READER
    ]
    results = []
    # All open at once: virtual readers share one private pcscd for the build's lifetime.
    with contextlib.ExitStack() as stack:
        for _, card_reader in readers:
            stack.enter_context(card_reader)
        for config, card_reader in readers:
            apdu = bytes.fromhex(str(config.options.get("test_apdu", "00A4000C023F00")))
            results.append(
                check_reader(
                    card_reader,
                    test_apdu=apdu,
                    wait_s=wait_s,
                    access_key=key if config.id == doc_reader else None,
                )
            )
    if not results:
        raise ConfigError("no card reader configured ([[devices.device]])", key="devices.device")
    summary = reader_summary(results)
    if as_json:
        emit_json(summary)
    else:
        for r in results:
            chip = r.get("chip", {})
            click.echo(
                f"{r['id']:<16} {r['outcome']:<8} ATR {r.get('atr') or '-'} "
                f"rtt {r.get('round_trip', {}).get('median_ms', '-')} ms "
                f"chip {chip.get('outcome', '-')} {chip.get('duration_ms', '')}"
            )
    if summary["failed"]:
        ctx.exit(int(ExitCode.CHECK_FAILED))


@calibrate.command()
@click.argument(
    "folder", required=False, type=click.Path(path_type=Path, file_okay=False, exists=True)
)
@click.option(
    "--modality",
    type=click.Choice(["face", "fingerprint"]),
    default="face",
    show_default=True,
    help="Which operating points to calibrate.",
)
@click.option(
    "--dataset",
    "datasets",
    multiple=True,
    help="face: a shared set NAME under $GERBANG_DATA/faces; fingerprint: a dataset FOLDER "
    "(repeat to pool several).",
)
@click.option("--target-fmr", type=float, default=0.001, show_default=True)
@click.option("--reject-fmr", type=float, help="FMR of the reject threshold (default 10x target).")
@click.option("--limit", type=click.IntRange(min=2), help="face: only the first N images.")
@click.option(
    "--ppi",
    type=click.FloatRange(250, 2000),
    help="fingerprint: resolution of the images (default: the file's tag, else 500).",
)
@click.option("--plot", type=click.Path(path_type=Path, dir_okay=False), help="DET plot PNG.")
@click.option("--progress", is_flag=True, help="Report progress on stderr.")
@save_option
@as_option
@json_option
@click.pass_context
def thresholds(
    ctx: click.Context,
    folder: Path | None,
    modality: str,
    datasets: tuple[str, ...],
    target_fmr: float,
    reject_fmr: float | None,
    limit: int | None,
    ppi: float | None,
    plot: Path | None,
    progress: bool,
    save: bool,
    user_id: str | None,
    as_json: bool,
) -> None:
    """Face or fingerprint thresholds for a target FMR on local data; --save makes them the kiosk's."""
    _require_user(save, user_id)
    if folder is None and not datasets:
        raise click.UsageError("give a dataset FOLDER or --dataset")
    report = _progress if progress else None
    if modality == "face":
        if ppi is not None:
            raise click.UsageError("--ppi is for --modality fingerprint")
        if len(datasets) > 1 or (folder is not None and datasets):
            raise click.UsageError("the face takes one dataset: a FOLDER or --dataset NAME")
        result = _face_thresholds(
            ctx,
            folder,
            datasets[0] if datasets else None,
            target_fmr,
            reject_fmr,
            limit,
            plot,
            report,
            user_id if save else None,
        )
    else:
        if limit is not None:
            raise click.UsageError("--limit is for --modality face")
        folders = ([folder] if folder is not None else []) + [Path(d) for d in datasets]
        result = _finger_thresholds(
            ctx, folders, target_fmr, reject_fmr, ppi, plot, report, user_id if save else None
        )
    if as_json:
        emit_json(result)
        return
    click.echo(
        f"{result['dataset']}: {result['genuine_pairs']} genuine / {result['impostor_pairs']} "
        f"impostor pairs, EER {result['eer']:.4f}"
    )
    rows = [(name, result[name]) for name in ("accept", "reject")]
    if "fused" in result:
        rows += [(f"two fingers {name}", result["fused"][name]) for name in ("accept", "reject")]
    if "dual" in result:  # gerbang_dual: both minutiae sets, the kiosk's 1:1 comparison
        dual = result["dual"]
        rows += [(f"both sets {name}", dual[name]) for name in ("accept", "reject")]
        rows += [
            (f"both sets, two fingers {name}", dual["fused"][name]) for name in ("accept", "reject")
        ]
    for name, r in rows:
        click.echo(f"  {name}: {r['threshold']:.6f} (FMR {r['fmr']:.6f}, FNMR {r['fnmr']:.6f})")
    if result["warnings"]:
        click.echo(f"  warnings: {', '.join(result['warnings'])}")


def _progress(stage: str, done: int, total: int) -> None:
    if done % 20 == 0 or done == total:
        click.echo(f"{stage}: {done}/{total}", err=True)


def _face_thresholds(
    ctx: click.Context,
    folder: Path | None,
    dataset_name: str | None,
    target_fmr: float,
    reject_fmr: float | None,
    limit: int | None,
    plot: Path | None,
    progress: Any,
    user_id: str | None,
) -> dict[str, Any]:
    from biometrics.face.datasets import load_dataset
    from biometrics.face.models import load_models
    from biometrics.face.verify import policy_from_settings
    from enrollment.technician.apply import save_face_point
    from enrollment.technician.thresholds import calibrate_thresholds, limited, load_folder

    state = app(ctx)
    settings = state.start_logging()
    dataset = load_folder(folder) if folder is not None else load_dataset(str(dataset_name))
    if limit:
        dataset = limited(dataset, limit)
    current = policy_from_settings(settings.calibration.face)
    calibration = calibrate_thresholds(
        dataset,
        load_models(),
        target_fmr=target_fmr,
        reject_fmr=reject_fmr,
        current=current,
        plot=plot,
        progress=progress,
    )
    result = dict(calibration.report)
    result["operating_point"] = calibration.point.model_dump(
        mode="json", exclude={"calibrated_at", "calibrated_by"}
    )
    if user_id:
        result["saved"] = _save(
            state,
            user_id,
            lambda path, audit, who: save_face_point(path, calibration.point, by=who, audit=audit),
        )
    return result


def _finger_thresholds(
    ctx: click.Context,
    folders: list[Path],
    target_fmr: float,
    reject_fmr: float | None,
    ppi: float | None,
    plot: Path | None,
    progress: Any,
    user_id: str | None,
) -> dict[str, Any]:
    from biometrics.fingerprint.verify import policy_from_settings
    from enrollment.technician.apply import save_fingerprint_point
    from enrollment.technician.fingerthresholds import calibrate_folders, check_saveable

    state = app(ctx)
    settings = state.start_logging()
    calibration = calibrate_folders(
        folders,
        target_fmr=target_fmr,
        reject_fmr=reject_fmr,
        current=policy_from_settings(settings.calibration.fingerprint),
        ppi=ppi,
        plot=plot,
        progress=progress,
    )
    result = dict(calibration.report)
    result["operating_point"] = calibration.point.model_dump(
        mode="json", exclude={"calibrated_at", "calibrated_by"}
    )
    if user_id:
        check_saveable(calibration)
        result["saved"] = _save(
            state,
            user_id,
            lambda path, audit, who: save_fingerprint_point(
                path, calibration.point, by=who, audit=audit
            ),
        )
    return result


COMMANDS = (calibrate,)

"""``gerbang eval face`` and ``gerbang bench face``.

Heavy libraries (dlib, OpenCV, face_recognition) are imported inside the
commands so that ``gerbang --help`` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from kiosk.cli.context import app, emit_json, json_option

DATASET_NAMES = (
    "casia_facev5",
    "lfw_gray",
    "yale_faces",
    "att_orl_faces",
    "deepface_pairs",
    "face_recognition_examples",
    "lfw_protocol",
)


@click.group(name="eval")
def eval_group() -> None:
    """Evaluate face and fingerprint matching on a dataset."""


@click.group(name="bench")
def bench_group() -> None:
    """Benchmarks: face, fingerprint, index, sync, transaction."""


@eval_group.command(name="face")
@click.option(
    "--pairs",
    "pairs_csv",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Pairs CSV: file_x,file_y,same_person (needs --images).",
)
@click.option(
    "--images",
    "images_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Folder the pairs CSV's file names are relative to.",
)
@click.option(
    "--identities",
    "identities_csv",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Identities CSV: path,identity (all genuine and impostor pairs are compared).",
)
@click.option(
    "--dataset",
    "datasets",
    multiple=True,
    type=click.Choice((*DATASET_NAMES, "all")),
    help="A shared set under $GERBANG_DATA/faces (repeat; 'all' for every set). "
    "With several, pooled figures are added.",
)
@click.option("--limit", type=click.IntRange(min=2), help="Only the first N images of each set.")
@click.option("--no-baseline", is_flag=True, help="Skip the face_recognition baseline.")
@click.option(
    "--plot",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write a DET plot PNG (both matchers).",
)
@click.option("--det", "det_points", is_flag=True, help="Include DET curve points in the JSON.")
@click.option(
    "--fusion",
    is_flag=True,
    help="Identity sets: also measure probes fused from two images against single images.",
)
@click.option(
    "--landmarks",
    type=click.Choice(["68", "5"]),
    default="68",
    show_default=True,
    help="Ablation: alignment landmarks of our pipeline.",
)
@click.option("--no-flip", is_flag=True, help="Ablation: no flip averaging.")
@click.option(
    "--jitters",
    type=click.IntRange(min=0, max=100),
    default=0,
    help="Ablation: dlib's random jitter (N samples) instead of the flip.",
)
@click.option(
    "--policy",
    "policy_thresholds",
    type=(float, float),
    metavar="ACCEPT REJECT",
    help="Report a candidate policy's rates (at_policy) instead of the kiosk's "
    "(the calibrated operating point of the settings, else the shipped one).",
)
@click.option("--progress", is_flag=True, help="Report progress on stderr.")
@json_option
@click.pass_context
def eval_face(
    ctx: click.Context,
    pairs_csv: Path | None,
    images_dir: Path | None,
    identities_csv: Path | None,
    datasets: tuple[str, ...],
    limit: int | None,
    no_baseline: bool,
    plot: Path | None,
    det_points: bool,
    fusion: bool,
    landmarks: str,
    no_flip: bool,
    jitters: int,
    policy_thresholds: tuple[float, float] | None,
    progress: bool,
    as_json: bool,
) -> None:
    """Face 1:1 evaluation: our pipeline against plain face_recognition, side by side."""
    from biometrics import evaluation
    from biometrics.face import datasets as ds
    from biometrics.face import evalface
    from biometrics.face.baseline import load_baseline
    from biometrics.face.models import load_models
    from biometrics.face.params import EmbeddingParams, VerificationPolicy
    from biometrics.face.verify import policy_from_settings

    embedding = EmbeddingParams(landmarks=int(landmarks), flip=not no_flip, jitters=jitters)
    policy = policy_from_settings(app(ctx).settings().calibration.face)
    if policy_thresholds is not None:
        accept, reject = policy_thresholds
        if reject > accept:
            raise click.BadParameter("REJECT must not exceed ACCEPT", param_hint="--policy")
        policy = VerificationPolicy(accept=accept, reject=reject)
    sets = _eval_sets(ds, pairs_csv, images_dir, identities_csv, datasets)
    if limit:
        sets = [_limited(ds, s, limit) for s in sets]
    models = load_models()
    baseline = None if no_baseline else load_baseline()
    reporter = _progress if progress else None
    reports: dict[str, Any] = {}
    curves = []
    cache: evalface.EnrolmentCache = {}
    for dataset in sets:
        report, curve = evalface.evaluate(
            dataset,
            models,
            baseline,
            progress=reporter,
            fusion=fusion,
            embedding=embedding,
            policy=policy,
            cache=cache,
        )
        if det_points:
            for name, (g, i) in curve.items():
                if g.size and i.size:
                    report["matchers"][name]["det"] = evaluation.summary(g, i, det=100)["det"]
        reports[dataset.name] = report
        curves.append(curve)
    if plot is not None:
        labelled = {
            f"{name} {matcher}" if len(sets) > 1 else matcher: c
            for name, curve in zip(reports, curves, strict=True)
            for matcher, c in curve.items()
            if c[0].size and c[1].size
        }
        evaluation.plot_det(labelled, plot, title="Face verification DET: " + ", ".join(reports))
    output: dict[str, Any] = (
        next(iter(reports.values()))
        if len(reports) == 1
        else {"datasets": reports, "pooled": evalface.pooled(curves)}
    )
    if as_json:
        emit_json(output)
        return
    for name, report in reports.items():
        click.echo(
            f"{name}: {report['images']} images, {report['genuine']} genuine / {report['impostor']} impostor pairs"
        )
        for matcher, figures in report["matchers"].items():
            fnmr = figures.get("fnmr_at_fmr") or {}
            eer = figures.get("eer")
            click.echo(
                f"  {matcher:<27} FTE {figures['failures_to_enrol']:>4}  "
                f"EER {_pct(eer)}  FNMR@FMR1% {_pct(fnmr.get('0.01'))}  "
                f"FNMR@FMR0.1% {_pct(fnmr.get('0.001'))}"
            )
    if plot is not None:
        click.echo(f"DET plot: {plot}")


def _eval_sets(
    ds: Any,
    pairs_csv: Path | None,
    images_dir: Path | None,
    identities_csv: Path | None,
    datasets: tuple[str, ...],
) -> list[Any]:
    chosen = sum(x is not None for x in (pairs_csv, identities_csv)) + (1 if datasets else 0)
    if chosen != 1:
        raise click.UsageError("give exactly one of --pairs/--images, --identities or --dataset")
    if pairs_csv is not None:
        if images_dir is None:
            raise click.UsageError("--pairs needs --images")
        return [ds.read_pairs_csv(pairs_csv, images_dir)]
    if identities_csv is not None:
        return [ds.read_identities_csv(identities_csv)]
    names = DATASET_NAMES if "all" in datasets else tuple(dict.fromkeys(datasets))
    return [ds.load_dataset(name) for name in names]


def _limited(ds: Any, dataset: Any, limit: int) -> Any:
    images = dataset.images[:limit]
    if dataset.pairs is not None:
        pairs = tuple(p for p in dataset.pairs if p[0] < limit and p[1] < limit)
        return ds.EvalSet(dataset.name, images, pairs=pairs, note=dataset.note)
    return ds.EvalSet(dataset.name, images, dataset.identities[:limit], note=dataset.note)


def _progress(matcher: str, done: int, total: int) -> None:
    if done % 100 == 0 or done == total:
        print(f"{matcher}: {done}/{total}", file=sys.stderr, flush=True)


def _pct(value: float | None) -> str:
    return "   n/a" if value is None else f"{value * 100:5.2f}%"


@bench_group.command(name="face")
@click.option(
    "--video",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Clip for the guidance loop (default: the shared face video).",
)
@click.option(
    "--portrait",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Still the kiosk frames are synthesised from (default: a shared press photo).",
)
@click.option(
    "--reference",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Reference (chip) photo of the same person (default: another shared photo).",
)
@click.option("--frames", default=150, show_default=True, type=click.IntRange(min=10))
@click.option(
    "--baseline-frames",
    default=40,
    show_default=True,
    type=click.IntRange(min=0),
    help="Frames per source through naive face_recognition (0: skip).",
)
@json_option
def bench_face(
    video: Path | None,
    portrait: Path | None,
    reference: Path | None,
    frames: int,
    baseline_frames: int,
    as_json: bool,
) -> None:
    """Face pipeline speed on 640x480 frames, one core, against naive face_recognition."""
    import os

    from biometrics.face import bench
    from biometrics.face.baseline import load_baseline
    from biometrics.face.datasets import data_root
    from biometrics.face.models import load_models

    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    examples = data_root() / "faces" / "face_recognition_examples"
    video = video or examples / "examples" / "short_hamilton_clip.mp4"
    portrait = portrait or examples / "examples" / "obama-720p.jpg"
    reference = reference or examples / "tests" / "test_images" / "obama3.jpg"
    for path in (video, portrait, reference):
        if not path.is_file():
            raise click.UsageError(f"{path} not found (set GERBANG_DATA or pass the option)")
    models = load_models()
    clip = bench.video_frames(video, frames)
    kiosk = bench.kiosk_frames(models, bench.load_rgb(portrait), frames)
    loops = {
        "video": bench.guidance_loop(models, clip),
        "kiosk": bench.guidance_loop(models, kiosk),
    }
    decision = bench.presented_to_decision(models, kiosk, bench.load_rgb(reference))
    stages: dict[str, float] = {}
    for loop in loops.values():
        for stage, figures in loop.as_json()["stage_ms_per_call"].items():
            stages[stage] = max(stages.get(stage, 0.0), figures)
    stages["embed"] = decision["ms_per_embedded_frame"]
    guidance_fps = min(loop.frames / loop.seconds for loop in loops.values())
    output: dict[str, Any] = {
        "frame_size": list(bench.FRAME_SIZE),
        "cpu": f"pinned to CPU {cpu}",
        "load_average_1min": round(os.getloadavg()[0], 2),
        "stage_ms": stages,
        "guidance_loop": {name: loop.as_json() for name, loop in loops.items()},
        "presented_to_decision": decision,
        "goals": {
            "guidance_fps": {
                "goal": 15,
                "measured": round(guidance_fps, 1),
                "met": guidance_fps >= 15,
            },
            "presented_to_decision_ms": {
                "goal": 1000,
                "measured": decision["presented_to_decision_ms"],
                "met": decision["presented_to_decision_ms"] <= 1000,
            },
        },
    }
    if baseline_frames:
        naive = load_baseline()
        output["face_recognition_baseline"] = {
            "video": bench.baseline_loop(naive, clip[:baseline_frames]),
            "kiosk": bench.baseline_loop(naive, kiosk[:baseline_frames]),
        }
    if as_json:
        emit_json(output)
        return
    click.echo(f"stage ms per call: {stages}")
    for name, loop in output["guidance_loop"].items():
        click.echo(f"guidance loop ({name}): {loop['fps']} fps, {loop['ms_per_frame']} ms/frame")
    click.echo(
        f"face presented -> decision: {decision['presented_to_decision_ms']} ms ({decision['decision']})"
    )
    for name, figures in output.get("face_recognition_baseline", {}).items():
        click.echo(f"naive face_recognition ({name}): {figures['fps']} fps")


COMMANDS = (eval_group, bench_group)

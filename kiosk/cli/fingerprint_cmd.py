"""``gerbang eval fingerprint``: our MCC matcher against NIST bozorth3, side by side.

nbis, OpenCV and SciPy are imported inside the command so that ``gerbang
--help`` stays fast. Speed figures are taken on one core: the process is
pinned to one CPU and BLAS to one thread.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from kiosk.cli.context import emit_json, json_option


@contextmanager
def one_core() -> Iterator[str]:
    """Pin the process to one CPU and BLAS to one thread; yields how, for the JSON."""
    from threadpoolctl import threadpool_limits

    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    with threadpool_limits(limits=1):
        yield f"pinned to CPU {cpu}, BLAS 1 thread"


F = TypeVar("F", bound=Callable[..., Any])


def _datasets_option(text: str) -> Callable[[F], F]:
    """``--dataset`` FOLDER, repeatable, at least one (an existing directory)."""
    return click.option(
        "--dataset",
        "datasets",
        multiple=True,
        required=True,
        type=click.Path(path_type=Path, file_okay=False, exists=True),
        help=text,
    )


@click.group(name="eval")
def eval_group() -> None:
    """Evaluate face and fingerprint matching on a dataset."""


@click.group(name="bench")
def bench_group() -> None:
    """Benchmarks: face, fingerprint, index, sync, transaction."""


@eval_group.command(name="fingerprint")
@_datasets_option("FVC-layout folder of <finger>_<impression>.tif images (repeat for several).")
@click.option(
    "--protocol",
    type=click.Choice(["fvc", "all-pairs"]),
    default="fvc",
    show_default=True,
    help="fvc: 280 genuine / 45 impostor on 10x8; all-pairs: 280 / 2,880.",
)
@click.option(
    "--ppi",
    type=click.FloatRange(250, 2000),
    help="Resolution of the images (default: the file's tag, else 500; FVC2002 DB2 is 569).",
)
@click.option("--fingers", type=click.IntRange(min=2), help="Only the first N fingers.")
@click.option(
    "--plot",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write a DET plot PNG (both matchers).",
)
@click.option("--progress", is_flag=True, help="Report progress on stderr.")
@json_option
def eval_fingerprint(
    datasets: tuple[Path, ...],
    protocol: str,
    ppi: float | None,
    fingers: int | None,
    plot: Path | None,
    progress: bool,
    as_json: bool,
) -> None:
    """Fingerprint 1:1 evaluation: our matcher (MCC + LSS-R) and bozorth3 on the same images."""
    from biometrics import evaluation
    from biometrics.fingerprint import dataset as ds
    from biometrics.fingerprint import evalfinger

    reports: dict[str, Any] = {}
    curves: dict[str, Any] = {}
    with one_core() as cpu:
        for folder in datasets:
            fvc = ds.load_fvc(folder, limit_fingers=fingers)
            report, curve = evalfinger.evaluate(
                fvc, protocol=protocol, ppi=ppi, progress=_progress if progress else None
            )
            report["cpu"] = cpu
            report["load_average_1min"] = round(os.getloadavg()[0], 2)  # shared machines
            reports[fvc.name] = report
            curves[fvc.name] = curve
    if plot is not None:
        labelled = {
            f"{name} {matcher}" if len(curves) > 1 else matcher: scores
            for name, curve in curves.items()
            for matcher, scores in curve.items()
            if scores[0].size and scores[1].size and (len(curves) == 1 or "fingers" not in matcher)
        }
        evaluation.plot_det(labelled, plot, title="Fingerprint DET: " + ", ".join(reports))
    output: dict[str, Any] = (
        next(iter(reports.values())) if len(reports) == 1 else {"datasets": reports}
    )
    if len(reports) > 1:
        output["pooled"] = evalfinger.pooled(list(curves.values()))
    if as_json:
        emit_json(output)
        return
    for name, report in reports.items():
        click.echo(
            f"{name} ({report['protocol']}): {report['images']} images, "
            f"{report['failures_to_extract']} failures to extract, "
            f"{report['genuine']} genuine / {report['impostor']} impostor"
        )
        for matcher, fig in report["matchers"].items():
            click.echo(
                f"  {matcher:<14} EER {_pct(fig.get('eer'))}  FMR100 {_pct(fig.get('fmr100'))}  "
                f"FMR1000 {_pct(fig.get('fmr1000'))}  {fig['comparisons_per_s']:.0f} cmp/s"
            )
    if plot is not None:
        click.echo(f"DET plot: {plot}")


@eval_group.command(name="slap")
@click.option(
    "--dataset",
    required=True,
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="FVC-layout folder of 500 ppi impressions (at least 8 fingers, 2 impressions each).",
)
@click.option("--slaps", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--ppi",
    type=click.FloatRange(250, 2000),
    default=500.0,
    show_default=True,
    help="Resolution of the images (FVC2002 DB2 is 569); slaps are composed at 500 ppi.",
)
@click.option("--progress", is_flag=True, help="Report progress on stderr.")
@json_option
def eval_slap(
    dataset: Path, slaps: int, seed: int, ppi: float, progress: bool, as_json: bool
) -> None:
    """Slap segmentation on synthetic four-finger slaps composed from single impressions:
    tips found, positioned, and matched to another impression of their finger."""
    from biometrics.fingerprint import dataset as ds
    from biometrics.fingerprint import slapeval

    fvc = ds.load_fvc(dataset)
    try:
        output = slapeval.evaluate(
            fvc,
            slaps=slaps,
            seed=seed,
            ppi=ppi,
            progress=(lambda d, t: _progress("slaps", d, t)) if progress else None,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--dataset") from exc
    output["load_average_1min"] = round(os.getloadavg()[0], 2)
    if as_json:
        emit_json(output)
        return
    click.echo(
        f"{output['dataset']}: {output['slaps']} slaps, {output['found']} of "
        f"{output['fingers_expected']} fingers found, {output['tips_located']} at a tip, "
        f"{output['correctly_positioned']} positioned, {output['matched_mate']} matched their mate "
        f"(baseline {output['baseline_matched']}), {output['false_matches']} false matches"
    )


@bench_group.command(name="fingerprint-index")
@_datasets_option("FVC-layout folders whose fingers are the mates (impression 1) and probes.")
@click.option(
    "--sizes",
    default="1000,10000",
    show_default=True,
    help="Gallery sizes in fingers, comma-separated (100000 takes ~15 min to make).",
)
@click.option(
    "--matcher",
    type=click.Choice(["gerbang_dual", "gerbang"]),
    default="gerbang_dual",
    show_default=True,
    help="gerbang_dual: both minutiae sets and the ridge flow (records with an image); "
    "gerbang: the raw set only (minutiae imported without an image).",
)
@click.option("--ppi", type=click.FloatRange(250, 2000), help="Resolution of the images.")
@click.option("--progress", is_flag=True, help="Report extraction progress on stderr.")
@json_option
def bench_fingerprint_index(
    datasets: tuple[Path, ...],
    sizes: str,
    matcher: str,
    ppi: float | None,
    progress: bool,
    as_json: bool,
) -> None:
    """1:N: hit rate against penetration and latency, real mates plus distractors."""
    from biometrics.fingerprint import dataset as ds
    from biometrics.fingerprint import indexbench
    from biometrics.fingerprint.dual import DualTemplate
    from biometrics.fingerprint.errors import FingerprintError
    from biometrics.fingerprint.extract import enhanced_set, extract, usable_enhanced
    from biometrics.fingerprint.image import load_print
    from biometrics.fingerprint.nbisx import Nbis

    try:
        counts = [int(s) for s in sizes.split(",")]
    except ValueError as exc:
        raise click.BadParameter("comma-separated integers", param_hint="--sizes") from exc
    nbis = Nbis()
    templates: list[indexbench.Finger] = []
    fingers: list[str] = []
    impressions: list[int] = []
    without: list[str] = []  # images whose enhanced set gerbang_dual cannot use
    with one_core() as cpu:
        for folder in datasets:
            fvc = ds.load_fvc(folder)
            for k, (path, finger, impression) in enumerate(
                zip(fvc.images, fvc.fingers, fvc.impressions, strict=True)
            ):
                image = load_print(path, ppi=ppi)
                result = extract(image, nbis, nfiq2=False)
                entry: indexbench.Finger = result.template
                if matcher == "gerbang_dual":
                    try:
                        found = enhanced_set(
                            image.pixels, result.segmentation, nbis, result.quality
                        )
                    except FingerprintError:
                        found = None
                    second = usable_enhanced(found.template) if found else None
                    if found is None or second is None:
                        without.append(f"{fvc.name}/{path.name}")
                        continue
                    entry = DualTemplate(result.template, second, found.flow)
                templates.append(entry)
                fingers.append(f"{fvc.name}/{finger}")
                impressions.append(impression)
                if progress:
                    _progress(f"extract {fvc.name}", k + 1, len(fvc.images))
        if len({f for f, i in zip(fingers, impressions, strict=True) if i == 1}) > min(counts):
            raise click.BadParameter("more mates than the smallest gallery", param_hint="--sizes")
        output = indexbench.run(templates, fingers, impressions, sizes=counts)
    output["images_without_enhanced_set"] = without  # left out of a gerbang_dual bench
    output["cpu"] = cpu
    output["load_average_1min"] = round(os.getloadavg()[0], 2)
    if as_json:
        emit_json(output)
        return
    for gallery in output["galleries"]:
        click.echo(
            f"{gallery['fingers']} fingers: hit rate {gallery['hit_rate_at_penetration']}, "
            f"rank 1 {gallery['rank1_after_rerank']}, p50 {gallery['latency_ms']['p50']} ms"
        )


@eval_group.command(name="minutiae-import")
@click.option(
    "--data",
    required=True,
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="The ansi_nist_itl samples folder (libbiomeval_test_data inside).",
)
@click.option(
    "--impostors",
    required=True,
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="FVC-layout folder of prints of other fingers (the impostor band).",
)
@click.option("--progress", is_flag=True, help="Report progress on stderr.")
@json_option
def eval_minutiae_import(data: Path, impostors: Path, progress: bool, as_json: bool) -> None:
    """Imported minutiae (Type-9, INCITS 378, ISO) checked against our extraction."""
    from enrollment import minutiae_check

    def report(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    output = minutiae_check.run(data, impostors, progress=report if progress else None)
    output["load_average_1min"] = round(os.getloadavg()[0], 2)
    if as_json:
        emit_json(output)
        return
    t9 = output["type9_13"]
    click.echo(
        f"type9-13: score {t9['genuine_score']} (accept {t9['accept_threshold']}), "
        f"{t9['paired']}/{t9['converted_minutiae']} paired, impostor max "
        f"{t9['impostors']['max']} over {t9['impostors']['comparisons']}"
    )
    for name, fig in t9["wrong_conventions"].items():
        click.echo(f"  {name:<20} score {fig['score']}  paired {fig['paired']}")


@bench_group.command(name="fingerprint-match")
@_datasets_option("FVC-layout folder (repeat for several); all-pairs protocol.")
@click.option(
    "--baseline-ref",
    help="Git ref whose matcher (params, template, mcc, match) runs A/B in the same process.",
)
@click.option("--runs", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--ppi", type=click.FloatRange(250, 2000), help="Resolution of the images.")
@json_option
def bench_fingerprint_match(
    datasets: tuple[Path, ...],
    baseline_ref: str | None,
    runs: int,
    ppi: float | None,
    as_json: bool,
) -> None:
    """1:1 matcher speed (comparisons/s on one core), optionally A/B against a git ref."""
    import dataclasses
    import subprocess

    from biometrics.fingerprint import dataset as ds
    from biometrics.fingerprint import match as fpmatch
    from biometrics.fingerprint import matchbench
    from biometrics.fingerprint.extract import extract
    from biometrics.fingerprint.image import load_print
    from biometrics.fingerprint.nbisx import Nbis

    matchers = [matchbench.current()]
    if baseline_ref:
        try:
            matchers.append(matchbench.load_baseline(baseline_ref))
        except subprocess.CalledProcessError as exc:
            raise click.BadParameter(
                str(exc.stderr).strip() or "git show failed", param_hint="--baseline-ref"
            ) from exc
    nbis = Nbis()
    load_start = round(os.getloadavg()[0], 2)
    sets: dict[str, Any] = {}
    with one_core() as cpu:
        for folder in datasets:
            fvc = ds.load_fvc(folder)
            minutiae = []
            for path in fvc.images:
                template = extract(load_print(path, ppi=ppi), nbis, nfiq2=False).template
                minutiae.append(dataclasses.replace(template, cylinders=None))
            sets[fvc.name] = matchbench.bench_set(fvc, minutiae, matchers, runs=runs)
    output: dict[str, Any] = {
        "protocol": "all-pairs",
        "runs": runs,
        "statistic": "median over runs, sides alternating",
        "baseline_ref": baseline_ref,
        "sets": sets,
        "cpu": cpu,
        # the current side's inner loops: the C kernel or NumPy (same scores within 1e-7)
        "matcher_kernel": "c" if fpmatch.native() else "numpy",
        "load_average_1min": {"start": load_start, "end": round(os.getloadavg()[0], 2)},
    }
    if as_json:
        emit_json(output)
        return
    for name, result in sets.items():
        line = ", ".join(
            f"{m.name} {result[m.name]['comparisons_per_s']:.0f}/s "
            f"({result[m.name]['comparisons_per_cpu_s']:.0f}/CPU-s, EER {_pct(result[m.name]['eer'])}; "
            f"prepared gallery {result[m.name]['prepared_gallery']['comparisons_per_s']:.0f}/s)"
            for m in matchers
        )
        click.echo(f"{name}: {line}")


@bench_group.command(name="fingerprint-extract")
@_datasets_option("FVC-layout folder (repeat for several).")
@click.option(
    "--images",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Images per set, spread over the set.",
)
@click.option("--rounds", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--ppi", type=click.FloatRange(250, 2000), help="Resolution of the images.")
@click.option("--progress", is_flag=True, help="Report progress on stderr.")
@json_option
def bench_fingerprint_extract(
    datasets: tuple[Path, ...],
    images: int,
    rounds: int,
    ppi: float | None,
    progress: bool,
    as_json: bool,
) -> None:
    """Extraction time per finger at the kiosk: the raw minutiae set, and both sets."""
    from biometrics.fingerprint import dataset as ds
    from biometrics.fingerprint import extractbench
    from biometrics.fingerprint.image import load_print

    load_start = round(os.getloadavg()[0], 2)
    sets: dict[str, Any] = {}
    with one_core() as cpu:
        for folder in datasets:
            fvc = ds.load_fvc(folder)
            step = max(1, len(fvc.images) // images)
            chosen = fvc.images[::step][:images]
            grays = [load_print(path, ppi=ppi).pixels for path in chosen]
            sets[fvc.name] = extractbench.bench_images(
                grays, rounds=rounds, progress=_progress if progress else None
            )
    output: dict[str, Any] = {
        "work": "record.extract_pixels with NFIQ 2, as the finger step; images at 500 ppi",
        "statistic": "per-image wall-clock ms over rounds, both variants alternating",
        "sets": sets,
        "cpu": cpu,
        "load_average_1min": {"start": load_start, "end": round(os.getloadavg()[0], 2)},
    }
    if as_json:
        emit_json(output)
        return
    for name, r in sets.items():
        click.echo(
            f"{name}: raw set {r['raw_set_ms_median']} ms, both sets {r['both_sets_ms_median']} ms "
            f"(+{r['enhanced_extra_ms_median']} ms; p95 {r['both_sets_ms_p95']} ms)"
        )


def _progress(stage: str, done: int, total: int) -> None:
    if done % 20 == 0 or done == total:
        print(f"{stage}: {done}/{total}", file=sys.stderr, flush=True)


def _pct(value: float | None) -> str:
    return "   n/a" if value is None else f"{value * 100:5.2f}%"


COMMANDS = (eval_group, bench_group)

"""Threshold calibration, fingerprint half: one-finger and two-finger points for a target FMR.

The kiosk decides a traveller's fingers with operating points on our matcher's
LSS-R score (``biometrics.fingerprint.params``): one finger ``accept``/``reject``
(the accept point is also the watchlist-hit threshold) and two fingers fused by
the sum of their scores. Here they are re-measured on the technician's own
prints with the scoring of ``gerbang eval fingerprint``
(:func:`biometrics.fingerprint.evalfinger.evaluate`, all-pairs protocol, our
matcher only) and returned as a :class:`models.settings.FingerprintOperatingPoint`
that :func:`enrollment.technician.apply.save_fingerprint_point` makes the kiosk's.
The same points are measured in the same run for ``gerbang_dual`` (both minutiae
sets per finger, what the kiosk's 1:1 comparison uses when the enrolled record
holds both; ``dual`` in the report, ``dual_*`` in the point).

A dataset folder is either FVC-layout (``<finger>_<impression>.tif``, directly
or under ``images/``) or one sub-folder of images per finger; in the latter,
images are impressions in name order and sub-folders in name order pair into
two-finger people (1st+2nd, 3rd+4th, ...). Two-finger scores are measured on
those chimeric people exactly as ``evalfinger`` does (``FUSION_NOTE``). Several
folders are pooled: pairs within each set only, never across sets.

Each threshold is the lowest one whose FMR on the calibration impostors is at
most the target, rounded *up* to 6 decimals (the saved value is what the report
measures). With fewer than 1/FMR impostor pairs the target cannot be measured:
the threshold lands above every impostor score and ``resolution_limited`` says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from biometrics import evaluation
from biometrics.fingerprint import evalfinger
from biometrics.fingerprint.dataset import FvcSet, load_fvc
from biometrics.fingerprint.params import FusionPolicy, VerificationPolicy
from biometrics.fingerprint.verify import SHIPPED, FingerPolicy
from devices.imaging import IMAGE_SUFFIXES
from models.errors import ConfigError
from models.settings import FingerprintOperatingPoint

REJECT_FACTOR = 10.0  # reject threshold at this multiple of the target FMR, as for the face
MIN_GENUINE = 20  # fewer genuine pairs than this: the FNMR figures mean little
PROTOCOL = "all-pairs"
SCORE = (
    "LSS-R similarity of MCC cylinders, 0..1 per finger (higher: more alike); "
    "two fingers: the sum of both fingers' scores, 0..2"
)
FUSED_METHOD = "sum; " + evalfinger.FUSION_NOTE
Scores = npt.NDArray[np.float64]
Progress = Callable[[str, int, int], None]


def load_finger_folder(folder: Path) -> FvcSet:
    """A fingerprint set from a local folder (see the module docstring for the layouts)."""
    if not folder.is_dir():
        raise ConfigError(f"dataset folder not found: {folder}", key="dataset")
    root = folder / "images" if (folder / "images").is_dir() else folder
    if any(fvc_named(p) for p in root.iterdir()):
        return load_fvc(folder)
    images: list[Path] = []
    fingers: list[str] = []
    impressions: list[int] = []
    for finger in sorted(p for p in folder.iterdir() if p.is_dir()):
        prints = sorted(
            p for p in finger.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
        )
        if not prints:
            continue
        number = str(len(set(fingers)) + 1)  # numeric names: evalfinger pairs fingers by number
        for k, image in enumerate(prints, start=1):
            images.append(image)
            fingers.append(number)
            impressions.append(k)
    if len(set(fingers)) < 2:
        raise ConfigError(
            f"{folder}: expected <finger>_<impression>.tif images or one folder of images per "
            "finger (at least two fingers)",
            key="dataset",
        )
    return FvcSet(folder.name, tuple(images), tuple(fingers), tuple(impressions))


def fvc_named(path: Path) -> bool:
    """Whether ``path`` is named like an FVC image (``<finger>_<impression>.<ext>``)."""
    stem, _, ext = path.name.rpartition(".")
    finger, _, impression = stem.partition("_")
    return (
        path.is_file()
        and f".{ext.lower()}" in {".tif", ".tiff", ".bmp", ".png"}
        and finger.isdigit()
        and impression.isdigit()
    )


# A point measured with too few impostor pairs for its FMR (it lands just above the
# few impostor scores there are) or too few genuine pairs is not a measurement of
# the target: it is reported, never saved as the kiosk's.
SAVE_BLOCKERS = ("resolution_limited", "few_genuine_pairs")


def save_blockers(report: dict[str, Any]) -> list[str]:
    """The warnings of a calibration report that forbid saving its point."""
    return [w for w in report.get("warnings", []) if w in SAVE_BLOCKERS]


def check_saveable(calibration: FingerCalibration) -> None:
    """Raise :class:`ConfigError` when the calibration cannot become the kiosk's point."""
    blockers = save_blockers(calibration.report)
    if blockers:
        report = calibration.report
        raise ConfigError(
            f"not saved ({', '.join(blockers)}): {report['impostor_pairs']} impostor and "
            f"{report['genuine_pairs']} genuine pairs cannot measure FMR {report['target_fmr']}; "
            "add prints from the kiosk's sensor or choose a looser target",
            key="dataset",
        )


@dataclass(frozen=True)
class FingerCalibration:
    report: dict[str, Any]  # JSON-ready
    point: FingerprintOperatingPoint
    genuine: Scores  # one finger, pooled over the sets
    impostor: Scores
    fused_genuine: Scores  # two fingers (sum), pooled
    fused_impostor: Scores


def round_up(value: float) -> float:
    """``value`` rounded to 6 decimals, never below it (a threshold must not admit more)."""
    rounded = round(value, 6)
    return rounded if rounded >= value else round(rounded + 1e-6, 6)


def at(genuine: Scores, impostor: Scores, threshold: float) -> dict[str, float]:
    fmr, fnmr = evaluation.rates(genuine, impostor, threshold)
    return {"threshold": round(threshold, 6), "fmr": round(fmr, 6), "fnmr": round(fnmr, 6)}


def choose(impostor: Scores, fmr: float, ceiling: float) -> float:
    """The lowest threshold with FMR <= ``fmr`` on ``impostor``, rounded up, at most ``ceiling``."""
    return min(round_up(evaluation.threshold_at_fmr(impostor, fmr)), ceiling)


def _reject_at(target_fmr: float, reject_fmr: float | None) -> float:
    if not 0 < target_fmr < 0.1:
        raise ConfigError("the target FMR must be between 0 and 0.1", key="target_fmr")
    reject_at = reject_fmr if reject_fmr is not None else min(target_fmr * REJECT_FACTOR, 0.5)
    if not reject_at < 1:
        raise ConfigError("the reject FMR must be below 1", key="reject_fmr")
    if reject_at < target_fmr:
        raise ConfigError("the reject FMR must not be below the target FMR", key="reject_fmr")
    return reject_at


def calibrate_fingerprint(
    datasets: Sequence[FvcSet],
    *,
    target_fmr: float,
    reject_fmr: float | None = None,
    current: FingerPolicy | None = SHIPPED,
    ppi: float | None = None,
    plot: Path | None = None,
    progress: Progress | None = None,
) -> FingerCalibration:
    """Score the sets and choose the one-finger and two-finger points for the FMRs."""
    reject_at = _reject_at(target_fmr, reject_fmr)
    if not datasets:
        raise ConfigError("no fingerprint dataset given", key="dataset")
    started = time.monotonic()
    sets: list[dict[str, Any]] = []
    one: list[tuple[Scores, Scores]] = []
    two: list[tuple[Scores, Scores]] = []
    dual_one: list[tuple[Scores, Scores]] = []
    dual_two: list[tuple[Scores, Scores]] = []
    for dataset in datasets:
        report, curves = evalfinger.evaluate(
            dataset,
            protocol=PROTOCOL,
            ppi=ppi,
            progress=_labelled(progress, dataset.name),
            baseline=False,
            dual=True,
        )
        genuine, impostor = curves[evalfinger.OURS]
        fused = curves.get(evalfinger.FUSED_SUM)
        one.append((genuine, impostor))
        dual_one.append(curves[evalfinger.DUAL])
        if fused is not None:
            two.append(fused)
            dual_two.append(curves[evalfinger.DUAL_FUSED_SUM])
        sets.append(
            {
                "dataset": dataset.name,
                "images": report["images"],
                "failures_to_extract": report["failures_to_extract"],
                "failure_reasons": report["failure_reasons"],
                "genuine_pairs": int(genuine.size),
                "impostor_pairs": int(impostor.size),
                "fused_pairs": {
                    "genuine": int(fused[0].size) if fused else 0,
                    "impostor": int(fused[1].size) if fused else 0,
                },
                "eer": report["matchers"][evalfinger.OURS].get("eer"),
                "dual_eer": report["matchers"][evalfinger.DUAL].get("eer"),
            }
        )
    genuine, impostor = _pooled(one)
    names = "+".join(s["dataset"] for s in sets)
    if genuine.size == 0 or impostor.size == 0:
        raise ConfigError(
            f"{names}: no genuine or no impostor pairs (each finger needs two impressions)",
            key="dataset",
        )
    if not two:
        raise ConfigError(
            f"{names}: no two-finger people (needs at least four fingers whose impressions "
            "are numbered alike)",
            key="dataset",
        )
    fused_genuine, fused_impostor = _pooled(two)

    accept, reject = _points(impostor, target_fmr, reject_at, 1.0)
    fused_accept, fused_reject = _points(fused_impostor, target_fmr, reject_at, 2.0)
    equal, equal_t = evaluation.eer(genuine, impostor)
    fused_equal, fused_equal_t = evaluation.eer(fused_genuine, fused_impostor)
    failures = sum(int(s["failures_to_extract"]) for s in sets)
    limited = impostor.size * target_fmr < 1.0
    fused_limited = fused_impostor.size * target_fmr < 1.0
    warnings = []
    if limited:
        warnings.append("resolution_limited")  # fewer than 1/FMR impostor pairs
    if fused_limited:
        warnings.append("fused_resolution_limited")
    if genuine.size < MIN_GENUINE:
        warnings.append("few_genuine_pairs")
    if fused_genuine.size < MIN_GENUINE:
        warnings.append("few_fused_genuine_pairs")
    if failures:
        warnings.append("failures_to_extract")  # their pairs score 0: genuine ones count as FNM
    result: dict[str, Any] = {
        "modality": "fingerprint",
        "dataset": names,
        "datasets": sets,
        "protocol": PROTOCOL,
        "images": sum(int(s["images"]) for s in sets),
        "failures_to_extract": failures,
        "genuine_pairs": int(genuine.size),
        "impostor_pairs": int(impostor.size),
        "fmr_resolution": round(1.0 / impostor.size, 8),
        "eer": round(equal, 6),
        "eer_threshold": round(equal_t, 6),
        "target_fmr": target_fmr,
        "reject_fmr": reject_at,
        "accept": at(genuine, impostor, accept),
        "reject": at(genuine, impostor, reject),
        "fused": {
            "method": FUSED_METHOD,
            "pairs": {"genuine": int(fused_genuine.size), "impostor": int(fused_impostor.size)},
            "fmr_resolution": round(1.0 / fused_impostor.size, 8),
            "eer": round(fused_equal, 6),
            "eer_threshold": round(fused_equal_t, 6),
            "accept": at(fused_genuine, fused_impostor, fused_accept),
            "reject": at(fused_genuine, fused_impostor, fused_reject),
            "resolution_limited": fused_limited,
        },
        "resolution_limited": limited,
        "warnings": warnings,
        "score": SCORE,
    }
    if current is not None:
        result["current"] = {
            "source": current.source,
            **_at_policy(
                (genuine, impostor),
                (fused_genuine, fused_impostor),
                current.verification,
                current.fusion,
            ),
        }
    dual_genuine, dual_impostor = _pooled(dual_one)
    dual_fused_genuine, dual_fused_impostor = _pooled(dual_two)
    dual_accept, dual_reject = _points(dual_impostor, target_fmr, reject_at, 1.0)
    dual_fused_accept, dual_fused_reject = _points(dual_fused_impostor, target_fmr, reject_at, 2.0)
    dual_equal, dual_equal_t = evaluation.eer(dual_genuine, dual_impostor)
    dual_fused_equal, _ = evaluation.eer(dual_fused_genuine, dual_fused_impostor)
    result["dual"] = {
        "matcher": evalfinger.DUAL,
        "eer": round(dual_equal, 6),
        "eer_threshold": round(dual_equal_t, 6),
        "accept": at(dual_genuine, dual_impostor, dual_accept),
        "reject": at(dual_genuine, dual_impostor, dual_reject),
        "fused": {
            "eer": round(dual_fused_equal, 6),
            "accept": at(dual_fused_genuine, dual_fused_impostor, dual_fused_accept),
            "reject": at(dual_fused_genuine, dual_fused_impostor, dual_fused_reject),
        },
    }
    if current is not None and current.dual_verification and current.dual_fusion:
        result["current"]["dual"] = _at_policy(
            (dual_genuine, dual_impostor),
            (dual_fused_genuine, dual_fused_impostor),
            current.dual_verification,
            current.dual_fusion,
        )
    if plot is not None:
        evaluation.plot_det(
            {
                f"{names}: one finger": (genuine, impostor),
                f"{names}: two fingers (sum)": (fused_genuine, fused_impostor),
                f"{names}: one finger, both sets": (dual_genuine, dual_impostor),
                f"{names}: two fingers, both sets (sum)": (
                    dual_fused_genuine,
                    dual_fused_impostor,
                ),
            },
            plot,
            title=f"Fingerprint threshold calibration: {names}",
        )
        result["det_plot"] = str(plot)
    result["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
    point = FingerprintOperatingPoint(
        accept=accept,
        reject=reject,
        accept_fmr=result["accept"]["fmr"],
        reject_fmr=result["reject"]["fmr"],
        fused_accept=fused_accept,
        fused_reject=fused_reject,
        fused_accept_fmr=result["fused"]["accept"]["fmr"],
        fused_reject_fmr=result["fused"]["reject"]["fmr"],
        target_fmr=target_fmr,
        dataset=names[:200],
        genuine_pairs=int(genuine.size),
        impostor_pairs=int(impostor.size),
        fused_genuine_pairs=int(fused_genuine.size),
        fused_impostor_pairs=int(fused_impostor.size),
        dual_accept=dual_accept,
        dual_reject=dual_reject,
        dual_accept_fmr=result["dual"]["accept"]["fmr"],
        dual_reject_fmr=result["dual"]["reject"]["fmr"],
        dual_fused_accept=dual_fused_accept,
        dual_fused_reject=dual_fused_reject,
        dual_fused_accept_fmr=result["dual"]["fused"]["accept"]["fmr"],
        dual_fused_reject_fmr=result["dual"]["fused"]["reject"]["fmr"],
        dual_with_flow=True,
        dual_flow_aligned=True,
        bit_cylinders=True,
    )
    return FingerCalibration(result, point, genuine, impostor, fused_genuine, fused_impostor)


def _pooled(curves: Sequence[tuple[Scores, Scores]]) -> tuple[Scores, Scores]:
    """(genuine, impostor) of several sets' curves, concatenated."""
    return np.concatenate([g for g, _ in curves]), np.concatenate([i for _, i in curves])


def _points(
    impostor: Scores, target_fmr: float, reject_fmr: float, ceiling: float
) -> tuple[float, float]:
    """(accept, reject): the lowest thresholds at the target and at the reject FMR."""
    accept = choose(impostor, target_fmr, ceiling)
    return accept, min(choose(impostor, reject_fmr, ceiling), accept)


def _at_policy(
    one: tuple[Scores, Scores],
    two: tuple[Scores, Scores],
    verification: VerificationPolicy,
    fusion: FusionPolicy,
) -> dict[str, Any]:
    """Rates of the one-finger and two-finger (sum) scores at a policy's points."""
    return {
        "accept": at(*one, verification.accept),
        "reject": at(*one, verification.reject),
        "fused": {"accept": at(*two, fusion.sum_accept), "reject": at(*two, fusion.sum_reject)},
    }


def _labelled(progress: Progress | None, name: str) -> Progress | None:
    if progress is None:
        return None
    return lambda stage, done, total: progress(f"{name}: {stage}", done, total)


def calibrate_folders(
    folders: Sequence[Path],
    *,
    target_fmr: float,
    reject_fmr: float | None = None,
    current: FingerPolicy | None = SHIPPED,
    ppi: float | None = None,
    plot: Path | None = None,
    progress: Progress | None = None,
) -> FingerCalibration:
    """:func:`calibrate_fingerprint` on local folders (the technician's entry point)."""
    _reject_at(target_fmr, reject_fmr)  # refuse bad rates before reading any image
    return calibrate_fingerprint(
        [load_finger_folder(f) for f in folders],
        target_fmr=target_fmr,
        reject_fmr=reject_fmr,
        current=current,
        ppi=ppi,
        plot=plot,
        progress=progress,
    )

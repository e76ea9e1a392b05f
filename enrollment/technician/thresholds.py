"""Threshold calibration: the face operating point for a target FMR, measured on local data.

The kiosk's face thresholds are operating points (``biometrics.face.params``):
``accept`` at a target false-match rate, ``reject`` at a looser one (10x by
default); between the two the traveller goes to an officer. Here they are
re-measured on a dataset of the population served, with the same pipeline and
evaluation code as ``gerbang eval face``, and returned as a
:class:`models.settings.FaceOperatingPoint` that
:func:`enrollment.technician.apply.save_face_point` makes the kiosk's own.

A dataset folder is one of: ``identities.csv`` (``path,identity``),
``pairs.csv`` (``file_x,file_y,same_person``) or one sub-folder of images per
person. With fewer than 1/FMR impostor pairs the threshold cannot be measured
at that rate: it lands above every impostor score and the result says
``resolution_limited`` (conservative, but not a measurement of the target).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from biometrics import evaluation
from biometrics.face import evalface
from biometrics.face.datasets import EvalSet, read_identities_csv, read_pairs_csv
from biometrics.face.models import FaceModels
from biometrics.face.params import VerificationPolicy
from devices.imaging import IMAGE_SUFFIXES
from models.errors import ConfigError
from models.settings import FaceOperatingPoint

REJECT_FACTOR = 10.0  # reject threshold at this multiple of the target FMR (shipped: 0.1% / 1%)
MIN_GENUINE = 20  # fewer genuine pairs than this: the FNMR figures mean little


def load_folder(folder: Path, *, name: str | None = None) -> EvalSet:
    """An evaluation set from a local folder (see the module docstring for the layouts)."""
    if not folder.is_dir():
        raise ConfigError(f"dataset folder not found: {folder}", key="dataset")
    label = name or folder.name
    if (folder / "identities.csv").is_file():
        return read_identities_csv(folder / "identities.csv", name=label)
    if (folder / "pairs.csv").is_file():
        return read_pairs_csv(folder / "pairs.csv", folder, name=label)
    images: list[Path] = []
    identities: list[str] = []
    for person in sorted(p for p in folder.iterdir() if p.is_dir()):
        for image in sorted(person.iterdir()):
            if image.suffix.lower() in IMAGE_SUFFIXES and image.is_file():
                images.append(image)
                identities.append(person.name)
    if len(set(identities)) < 2:
        raise ConfigError(
            f"{folder}: expected identities.csv, pairs.csv or one folder of images per person "
            "(at least two people)",
            key="dataset",
        )
    return EvalSet(label, tuple(images), tuple(identities))


def limited(dataset: EvalSet, limit: int) -> EvalSet:
    """The first ``limit`` images of a set (and only pairs among them)."""
    images = dataset.images[:limit]
    if dataset.pairs is not None:
        pairs = tuple(p for p in dataset.pairs if p[0] < limit and p[1] < limit)
        return EvalSet(dataset.name, images, pairs=pairs, note=dataset.note)
    ids = dataset.identities[:limit] if dataset.identities else None
    return EvalSet(dataset.name, images, ids, note=dataset.note)


@dataclass(frozen=True)
class ThresholdCalibration:
    report: dict[str, Any]  # JSON-ready
    point: FaceOperatingPoint
    genuine: npt.NDArray[np.float64]
    impostor: npt.NDArray[np.float64]


def _at(genuine: npt.NDArray[np.float64], impostor: npt.NDArray[np.float64], t: float) -> Any:
    fmr, fnmr = evaluation.rates(genuine, impostor, t)
    return {"threshold": round(t, 6), "fmr": round(fmr, 6), "fnmr": round(fnmr, 6)}


def calibrate_thresholds(
    dataset: EvalSet,
    models: FaceModels,
    *,
    target_fmr: float,
    reject_fmr: float | None = None,
    current: VerificationPolicy | None = None,
    plot: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ThresholdCalibration:
    """Measure the set and choose ``accept``/``reject`` for ``target_fmr``/``reject_fmr``."""
    if not 0 < target_fmr < 0.1:
        raise ConfigError("the target FMR must be between 0 and 0.1", key="target_fmr")
    reject_at = reject_fmr if reject_fmr is not None else min(target_fmr * REJECT_FACTOR, 0.5)
    if reject_at < target_fmr:
        raise ConfigError("the reject FMR must not be below the target FMR", key="reject_fmr")
    started = time.monotonic()
    report, curves = evalface.evaluate(
        dataset, models, None, progress=progress, policy=None, cache={}
    )
    genuine, impostor = curves[evalface.OURS]
    if genuine.size == 0 or impostor.size == 0:
        raise ConfigError(
            f"{dataset.name}: no genuine or no impostor pairs could be scored "
            f"(failures to enrol: {report['failures_to_enrol']})",
            key="dataset",
        )
    accept = evaluation.threshold_at_fmr(impostor, target_fmr)
    reject = evaluation.threshold_at_fmr(impostor, reject_at)
    equal, equal_t = evaluation.eer(genuine, impostor)
    warnings = []
    resolution_limited = impostor.size * target_fmr < 1.0
    if resolution_limited:
        warnings.append("resolution_limited")  # fewer than 1/FMR impostor pairs
    if genuine.size < MIN_GENUINE:
        warnings.append("few_genuine_pairs")
    ours = report["matchers"][evalface.OURS]
    result: dict[str, Any] = {
        "dataset": dataset.name,
        "images": report["images"],
        "failures_to_enrol": ours["failures_to_enrol"],
        "genuine_pairs": int(genuine.size),
        "impostor_pairs": int(impostor.size),
        "fmr_resolution": round(1.0 / impostor.size, 8),
        "eer": round(equal, 6),
        "eer_threshold": round(equal_t, 6),
        "target_fmr": target_fmr,
        "reject_fmr": reject_at,
        "accept": _at(genuine, impostor, accept),
        "reject": _at(genuine, impostor, reject),
        "resolution_limited": resolution_limited,
        "warnings": warnings,
        "score": "cosine similarity of unit face embeddings (higher: more alike)",
    }
    if current is not None:
        result["current"] = {
            "accept": _at(genuine, impostor, current.accept),
            "reject": _at(genuine, impostor, current.reject),
        }
    if plot is not None:
        evaluation.plot_det(
            {f"{dataset.name} (gerbang)": (genuine, impostor)},
            plot,
            title=f"Face threshold calibration: {dataset.name}",
        )
        result["det_plot"] = str(plot)
    result["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
    point = FaceOperatingPoint(
        accept=round(accept, 6),
        reject=round(min(reject, accept), 6),
        accept_fmr=result["accept"]["fmr"],
        reject_fmr=result["reject"]["fmr"],
        target_fmr=target_fmr,
        dataset=dataset.name[:200],
        genuine_pairs=int(genuine.size),
        impostor_pairs=int(impostor.size),
    )
    return ThresholdCalibration(result, point, genuine, impostor)

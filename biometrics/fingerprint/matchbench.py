"""``gerbang bench fingerprint-match``: our matcher's comparisons per second, A/B.

The work timed is the evaluation's (``evalfinger.score_ours``): for each probe,
a :class:`~biometrics.fingerprint.match.Gallery` of its references is built and
scored with ``compare_many``, over the ``all-pairs`` protocol (3,160
comparisons on an FVC 10 x 8 set). Minutiae are extracted once (not timed);
each side encodes its own cylinders (not timed).

With a baseline (a git ref), that ref's ``params``, ``template``, ``mcc`` and
``match`` modules are loaded next to ours in the same process (their imports
among themselves pointed at the copy) and the two run alternately on the
same templates, first one then the other, then the other way round: both see
the same machine load. Per run both wall-clock and process CPU time are
taken; the CPU-time rate is the steadier one on a shared machine (it leaves
out the time the process waits for the CPU). Each side's scores also give its
EER, and the largest score difference between the sides is reported. Both sides
load the one C kernel built from the working tree: a ref from before its last
change of arguments (``match.KERNEL_ABI``) refuses it and runs its NumPy path.

A second figure, ``prepared_gallery``, times the 1:N case: one
:class:`~biometrics.fingerprint.match.Gallery` of every template of the set is
built once (its build time reported apart) and each template, as a probe, is
scored against all of it (n x n comparisons, its own print included: the
matcher does the same work for it). This is how a kiosk searches a watchlist
and how SourceAFIS states its comparisons per second (templates prepared
once, then matched); the all-pairs figure also pays for a gallery per probe.
Its scores are checked against the all-pairs ones (``max_score_difference``).
"""

from __future__ import annotations

import dataclasses
import importlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from biometrics import evaluation
from biometrics.fingerprint import match, mcc
from biometrics.fingerprint.dataset import FvcSet, pairs
from biometrics.fingerprint.template import MinutiaeTemplate

BASELINE_MODULES = ("params", "template", "mcc", "match")
_PACKAGE = "gerbang_fpbench_baseline"


@dataclasses.dataclass(frozen=True)
class Matcher:
    """One side of the A/B: its encoder and its match module."""

    name: str
    encode: Callable[[MinutiaeTemplate], MinutiaeTemplate]
    match: ModuleType


def current() -> Matcher:
    return Matcher("current", mcc.encode, match)


def load_baseline(ref: str, repository: Path | None = None) -> Matcher:
    """The matcher of git ``ref`` (its params, template, mcc and match), imported privately."""
    root = repository or Path(__file__).resolve().parents[2]
    folder = Path(tempfile.mkdtemp(prefix="gerbang-fpbench-"))
    package = folder / _PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text("")
    names = "|".join(BASELINE_MODULES)
    pattern = re.compile(rf"\bbiometrics\.fingerprint\.({names})\b")
    git = shutil.which("git")
    if git is None:
        raise FileNotFoundError("git is needed to load a baseline ref")
    for name in BASELINE_MODULES:
        # the developer's own ref into git show: argument list, no shell
        source = subprocess.run(  # noqa: S603
            [git, "-C", str(root), "show", f"{ref}:biometrics/fingerprint/{name}.py"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        (package / f"{name}.py").write_text(pattern.sub(rf"{_PACKAGE}.\1", source))
    for name in [m for m in sys.modules if m == _PACKAGE or m.startswith(_PACKAGE + ".")]:
        del sys.modules[name]
    sys.path.insert(0, str(folder))
    try:
        base_mcc = importlib.import_module(f"{_PACKAGE}.mcc")
        base_match = importlib.import_module(f"{_PACKAGE}.match")
    finally:
        sys.path.remove(str(folder))
        shutil.rmtree(folder, ignore_errors=True)  # the modules are loaded: no files needed
    return Matcher("baseline", base_mcc.encode, base_match)


def score_all(
    matcher: Matcher,
    templates: Sequence[MinutiaeTemplate],
    a: npt.NDArray[np.intp],
    b: npt.NDArray[np.intp],
) -> tuple[npt.NDArray[np.float64], float, float]:
    """Scores of the pairs, wall seconds and CPU seconds (as ``evalfinger.score_ours``)."""
    scores = np.zeros(a.size)
    wall, cpu = time.perf_counter(), time.process_time()
    for probe in np.unique(a):
        rows = np.flatnonzero(a == probe)
        gallery = matcher.match.Gallery([templates[j] for j in b[rows]])
        scores[rows] = matcher.match.compare_many(templates[probe], gallery)
    return scores, time.perf_counter() - wall, time.process_time() - cpu


def score_prepared(
    matcher: Matcher, templates: Sequence[MinutiaeTemplate]
) -> tuple[npt.NDArray[np.float64], float, float, float]:
    """All n x n scores against one gallery built once: matrix, build seconds, wall and CPU
    seconds of the comparisons."""
    started = time.perf_counter()
    gallery = matcher.match.Gallery(list(templates))
    build = time.perf_counter() - started
    matrix = np.zeros((len(templates), len(templates)))
    wall, cpu = time.perf_counter(), time.process_time()
    for i, probe in enumerate(templates):
        matrix[i] = matcher.match.compare_many(probe, gallery)
    return matrix, build, time.perf_counter() - wall, time.process_time() - cpu


def bench_set(
    dataset: FvcSet,
    minutiae: Sequence[MinutiaeTemplate],
    matchers: Sequence[Matcher],
    *,
    runs: int = 5,
) -> dict[str, Any]:
    """Alternating timed runs of each matcher on one set (all-pairs protocol)."""
    a, b, same = pairs(dataset, "all-pairs")
    encoded = {m.name: [m.encode(t) for t in minutiae] for m in matchers}
    wall: dict[str, list[float]] = {m.name: [] for m in matchers}
    cpu: dict[str, list[float]] = {m.name: [] for m in matchers}
    scores: dict[str, npt.NDArray[np.float64]] = {}
    prepared_wall: dict[str, list[float]] = {m.name: [] for m in matchers}
    prepared_cpu: dict[str, list[float]] = {m.name: [] for m in matchers}
    builds: dict[str, list[float]] = {m.name: [] for m in matchers}
    matrices: dict[str, npt.NDArray[np.float64]] = {}
    n = len(minutiae)
    for run in range(runs):
        order = matchers if run % 2 == 0 else list(reversed(matchers))
        for m in order:
            scores[m.name], seconds, cpu_seconds = score_all(m, encoded[m.name], a, b)
            wall[m.name].append(a.size / seconds)
            cpu[m.name].append(a.size / cpu_seconds)
        for m in order:
            matrices[m.name], build, seconds, cpu_seconds = score_prepared(m, encoded[m.name])
            builds[m.name].append(build)
            prepared_wall[m.name].append(n * n / seconds)
            prepared_cpu[m.name].append(n * n / cpu_seconds)
    out: dict[str, Any] = {"comparisons": int(a.size)}
    for m in matchers:
        s = scores[m.name]
        out[m.name] = {
            "comparisons_per_s": round(float(np.median(wall[m.name])), 1),
            "comparisons_per_cpu_s": round(float(np.median(cpu[m.name])), 1),
            "runs_per_s": [round(r) for r in wall[m.name]],
            "runs_per_cpu_s": [round(r) for r in cpu[m.name]],
            "eer": round(evaluation.eer(s[same], s[~same])[0], 6),
            "prepared_gallery": {
                "comparisons": n * n,
                "comparisons_per_s": round(float(np.median(prepared_wall[m.name])), 1),
                "comparisons_per_cpu_s": round(float(np.median(prepared_cpu[m.name])), 1),
                "gallery_build_ms": round(1000.0 * float(np.median(builds[m.name])), 1),
                "max_score_difference": float(
                    f"{np.max(np.abs(matrices[m.name][a, b] - s), initial=0.0):.3g}"
                ),
            },
        }
    if len(matchers) == 2:
        first, second = (m.name for m in matchers)
        out["speedup_wall"] = round(
            out[first]["comparisons_per_s"] / out[second]["comparisons_per_s"], 3
        )
        out["speedup_cpu"] = round(
            out[first]["comparisons_per_cpu_s"] / out[second]["comparisons_per_cpu_s"], 3
        )
        out["max_score_difference"] = float(f"{np.max(np.abs(scores[first] - scores[second])):.3g}")
    return out

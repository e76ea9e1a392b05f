"""Measure loading a saved gallery in a fresh process: time and resident memory added.

The benchmark runs ``python -m biometrics.index.loadprobe`` with a JSON request
on stdin (folder, gallery spec, key in hex) and reads a JSON answer on stdout.
A fresh process is the only honest way to measure memory: in the benchmark's
own process, heap freed by earlier galleries is reused and hides the cost.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from biometrics.index import persist
from biometrics.index.errors import IndexDataError
from biometrics.index.records import GallerySpec, Metric, Modality


def rss_mb() -> float:
    with Path("/proc/self/status").open(encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise IndexDataError("VmRSS not found in /proc/self/status")


def spec_to_json(spec: GallerySpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "modality": spec.modality.value,
        "template_kind": spec.template_kind,
        "dim": spec.dim,
        "metric": spec.metric.value,
        "normalize": spec.normalize,
        "factory": spec.factory,
    }


def spec_from_json(data: dict[str, Any]) -> GallerySpec:
    return GallerySpec(
        name=data["name"],
        modality=Modality(data["modality"]),
        template_kind=data["template_kind"],
        dim=int(data["dim"]),
        metric=Metric(data["metric"]),
        normalize=bool(data["normalize"]),
        factory=data["factory"],
    )


def probe(directory: Path, key: bytes, spec: GallerySpec) -> dict[str, float]:
    gc.collect()
    before = rss_mb()
    start = time.perf_counter()
    loaded = persist.load(directory, key, spec)
    load_s = time.perf_counter() - start
    gc.collect()
    after = rss_mb()
    return {"load_s": load_s, "memory_mb": after - before, "count": float(loaded.snapshot.count)}


def measure(directory: Path, key: bytes, spec: GallerySpec) -> dict[str, float]:
    """Run :func:`probe` in a fresh interpreter."""
    request = json.dumps(
        {"directory": str(directory), "key": key.hex(), "spec": spec_to_json(spec)}
    )
    result = subprocess.run(
        [sys.executable, "-m", "biometrics.index.loadprobe"],
        input=request,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if result.returncode != 0:
        raise IndexDataError(f"load probe failed: {result.stderr.strip()[-500:]}")
    answer: dict[str, float] = json.loads(result.stdout)
    return answer


def main() -> None:
    request = json.loads(sys.stdin.read())
    answer = probe(
        Path(request["directory"]), bytes.fromhex(request["key"]), spec_from_json(request["spec"])
    )
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    main()

"""``gerbang bench fingerprint-index``: 1:N hit rate against penetration, and latency.

Galleries are made of real mates plus distractors:

- mates: impression 1 of each finger of the FVC sets given (40 fingers for the
  four FVC2002 B sets); probes: impressions ``probe_impressions`` of the same
  fingers (real second captures, never enrolled);
- distractors: every FVC template *mirrored* (x -> width - x, angle -> pi - angle),
  then randomly rotated (±30°), shifted, with 15% of minutiae dropped, 2 px
  position jitter and 10% spurious minutiae added, and re-encoded. A mirrored
  print is a realistic minutiae configuration (real ridge flow, real minutiae
  density) of a finger that is none of the probes' fingers (MCC is not mirror
  invariant: a print and its mirror score as impostors), so distractors are
  neither trivially easy (random points) nor mates. Distractors made from one
  base print resemble each other, not any probe.

Figures per gallery size: the share of probes whose mate is within the first
``p * size`` fingers by votes (hit rate at penetration p), the mate at rank 1
after re-ranking by the matcher, and search latency (votes + re-ranking).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from biometrics.fingerprint import mcc
from biometrics.fingerprint.index1n import MinutiaIndex
from biometrics.fingerprint.params import INDEX, IndexParams
from biometrics.fingerprint.template import MinutiaeTemplate

PENETRATIONS = (0.001, 0.005, 0.01, 0.05)


def distractor(base: MinutiaeTemplate, rng: np.random.Generator) -> MinutiaeTemplate:
    """A mirrored, perturbed copy of ``base`` (see the module docstring), encoded."""
    keep = rng.random(base.count) >= 0.15
    x = (base.width - 1 - base.x[keep]).astype(np.float64)
    y = base.y[keep].astype(np.float64)
    angle = (np.pi - base.angle[keep]).astype(np.float64)
    turn = rng.uniform(-math.pi / 6, math.pi / 6)
    cx, cy = base.width / 2, base.height / 2
    cos, sin = math.cos(turn), math.sin(turn)
    dx, dy = x - cx, y - cy
    x = cx + dx * cos + dy * sin + rng.normal(0, 2.0, dx.size) + rng.uniform(-20, 20)
    y = cy - dx * sin + dy * cos + rng.normal(0, 2.0, dx.size) + rng.uniform(-20, 20)
    angle = angle + turn
    extra = max(1, int(0.1 * base.count))
    if x.size:
        x = np.concatenate([x, rng.uniform(x.min(), x.max(), extra)])
        y = np.concatenate([y, rng.uniform(y.min(), y.max(), extra)])
        angle = np.concatenate([angle, rng.uniform(0, 2 * np.pi, extra)])
    kinds = rng.integers(1, 3, x.size)
    reliability = rng.uniform(0.2, 0.8, x.size)
    rows = [
        (float(a), float(b), float(c), int(d), float(e))
        for a, b, c, d, e in zip(x, y, angle, kinds, reliability, strict=True)
    ]
    return mcc.encode(MinutiaeTemplate.from_lists(base.width + 40, base.height + 40, rows))


def run(
    templates: Sequence[MinutiaeTemplate],
    fingers: Sequence[str],
    impressions: Sequence[int],
    *,
    sizes: Sequence[int] = (1_000, 10_000),
    probe_impressions: Sequence[int] = (2, 5, 8),
    params: IndexParams = INDEX,
    seed: int = 0,
) -> dict[str, Any]:
    """Hit rate vs penetration and latency for each gallery size (JSON-ready)."""
    rng = np.random.default_rng(seed)
    mates = {f: k for k, (f, i) in enumerate(zip(fingers, impressions, strict=True)) if i == 1}
    order = sorted(mates)
    enrolled = [templates[mates[f]] for f in order]
    probes = [
        (order.index(f), templates[k])
        for k, (f, i) in enumerate(zip(fingers, impressions, strict=True))
        if i in probe_impressions and f in mates
    ]
    needed = max(sizes) - len(enrolled)
    started = time.perf_counter()
    distractors = [distractor(templates[k % len(templates)], rng) for k in range(max(needed, 0))]
    made = time.perf_counter() - started
    results = []
    for size in sizes:
        gallery = enrolled + distractors[: size - len(enrolled)]
        started = time.perf_counter()
        index = MinutiaIndex(gallery, params)
        built = time.perf_counter() - started
        vote_ranks, rank1, latency = [], 0, []
        for mate, probe in probes:
            started = time.perf_counter()
            votes = index.votes(probe)
            found = index.search(probe, top=1)
            latency.append(1000 * (time.perf_counter() - started))
            vote_ranks.append(int(np.sum(votes > votes[mate])) + 1)
            rank1 += int(bool(found) and found[0].finger == mate)
        ranks = np.array(vote_ranks)
        results.append(
            {
                "fingers": size,
                "distractors": size - len(enrolled),
                "probes": len(probes),
                "hit_rate_at_penetration": {
                    f"{p:g}": round(float(np.mean(ranks <= max(1, math.floor(p * size)))), 4)
                    for p in PENETRATIONS
                },
                "shortlist": params.shortlist,
                "mate_in_shortlist": round(float(np.mean(ranks <= params.shortlist)), 4),
                "rank1_after_rerank": round(rank1 / max(len(probes), 1), 4),
                "latency_ms": {
                    "p50": round(float(np.percentile(latency, 50)), 1),
                    "p95": round(float(np.percentile(latency, 95)), 1),
                },
                "build_s": round(built, 1),
                "vectors": int(index.index.ntotal),
            }
        )
    return {
        "mates": len(enrolled),
        "probe_impressions": list(probe_impressions),
        "distractor_method": "mirrored FVC templates, rotated, shifted, 15% dropped, 2 px jitter, "
        "10% spurious minutiae (see biometrics/fingerprint/indexbench.py)",
        "distractor_ms_each": round(1000 * made / max(needed, 1), 1),
        "index": dataclasses.asdict(params) | {"faiss": f"PCA{params.dims},Flat inner product"},
        "galleries": results,
    }

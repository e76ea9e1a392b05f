"""``gerbang bench fingerprint-index``: 1:N hit rate against penetration, and latency.

Galleries are made of real mates plus distractors:

- mates: impression 1 of each finger of the FVC sets given (40 fingers for the
  four FVC2002 B sets); probes: impressions ``probe_impressions`` of the same
  fingers (real second captures, never enrolled);
- distractors: every FVC template *mirrored* (x -> width - x, angle -> pi - angle),
  then randomly rotated (±30°) and shifted (±20 px), with 2 px position jitter,
  and re-encoded. A mirrored print is a realistic minutiae configuration (real
  ridge flow, real minutiae density) of a finger that is none of the probes'
  fingers (MCC is not mirror invariant: a print and its mirror score as
  impostors), so distractors are neither trivially easy (random points) nor
  mates. The first version also dropped 15% of the minutiae and added 10%
  random ones; measured, that made distractors score below real impostors
  (``distractors_vs_real_impostors`` in the JSON), so both are now off by default.
  Limit: there are only as many distinct distractor fingers as base prints
  (320 for FVC2002 B); larger galleries hold moved copies of the same mirrored
  prints.

Figures per gallery size: the share of probes whose mate is within the first
``p * size`` fingers by votes (hit rate at penetration p; fingers with as many
votes as the mate count before it, and a mate without votes is last), the mate at rank 1
after re-ranking by the matcher, and search latency (votes + re-ranking).
"""

from __future__ import annotations

import dataclasses
import math
import resource
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from biometrics.fingerprint import dual, flow, match, mcc
from biometrics.fingerprint.dual import DUAL_MATCHER, RAW_MATCHER, DualTemplate
from biometrics.fingerprint.index1n import DualIndex, MinutiaIndex
from biometrics.fingerprint.params import DUAL_VERIFICATION, INDEX, VERIFICATION, IndexParams
from biometrics.fingerprint.template import MinutiaeTemplate

PENETRATIONS = (0.001, 0.005, 0.01, 0.05)


def distractor(
    base: MinutiaeTemplate,
    rng: np.random.Generator,
    *,
    drop: float = 0.0,
    jitter: float = 2.0,
    spurious: float = 0.0,
    move: tuple[float, float, float] | None = None,
) -> MinutiaeTemplate:
    """A mirrored, perturbed copy of ``base`` (see the module docstring), encoded.

    ``move`` (turn in radians, counter-clockwise as shown; shift x, y in px) is drawn
    from ``rng`` when not given (:func:`dual_distractor` gives both sets one move)."""
    keep = rng.random(base.count) >= drop
    x = (base.width - 1 - base.x[keep]).astype(np.float64)
    y = base.y[keep].astype(np.float64)
    angle = (np.pi - base.angle[keep]).astype(np.float64)
    turn = rng.uniform(-math.pi / 6, math.pi / 6) if move is None else move[0]
    cx, cy = base.width / 2, base.height / 2
    cos, sin = math.cos(turn), math.sin(turn)
    dx, dy = x - cx, y - cy
    x = cx + dx * cos + dy * sin + rng.normal(0, jitter, dx.size)
    x += rng.uniform(-20, 20) if move is None else move[1]
    y = cy - dx * sin + dy * cos + rng.normal(0, jitter, dx.size)
    y += rng.uniform(-20, 20) if move is None else move[2]
    angle = angle + turn
    extra = int(spurious * base.count)
    if x.size and extra:
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


def dual_distractor(base: DualTemplate, rng: np.random.Generator) -> DualTemplate:
    """:func:`distractor` for ``gerbang_dual``: both minutiae sets mirrored and moved
    alike (each with its own jitter), and the ridge flow mirrored and turned alike, so
    that the flow lies where the minutiae say (``gerbang_dual`` aligns the flows by the
    minutia pairs). ``flow.moved`` turns the block grid about its own centre onto a
    larger grid; the minutiae get the shift that puts them on it (:func:`_flow_shift`)
    instead of a random one: neither matcher depends on where a print lies."""
    turn = rng.uniform(-math.pi / 6, math.pi / 6)
    moved_flow = flow.moved(base.flow, mirror=True, degrees=math.degrees(turn))
    move = (turn, *_flow_shift(base.raw, base.flow, moved_flow, turn))
    return DualTemplate(
        distractor(base.raw, rng, move=move),
        distractor(base.enhanced, rng, move=move),
        moved_flow,
    )


def _flow_shift(
    frame: MinutiaeTemplate, source: flow.RidgeFlow, moved: flow.RidgeFlow, turn: float
) -> tuple[float, float]:
    """The shift (px) after :func:`distractor`'s mirror and turn that lands a minutia
    where ``flow.moved(source, mirror=True, degrees=turn)`` put the print's flow.

    The minutiae are mirrored about x = (width - 1) / 2 and turned about the frame's
    centre; the flow about its grid's middle (block centres at (k + 0.5) * block px),
    then moved onto the larger square grid. Both turn by the same R, so the flow's
    motion is the minutiae's plus a translation: R (mirror offset, 0), plus
    (I - R) (flow centre - frame centre), plus the grid's offset.
    """
    block = source.block
    rows, cols = source.degrees.shape
    side = moved.degrees.shape[0]
    c, s = math.cos(turn), math.sin(turn)

    def rotated(x: float, y: float) -> tuple[float, float]:  # as distractor turns
        return c * x + s * y, -s * x + c * y

    mirror = cols * block - (frame.width - 1)  # x -> cols*block - x against width - 1 - x
    centre = (
        (cols / 2 + 0.5) * block - frame.width / 2,
        (rows / 2 + 0.5) * block - frame.height / 2,
    )
    mx, my = rotated(mirror, 0.0)
    cx, cy = rotated(*centre)
    return (
        mx + centre[0] - cx + (side - cols) // 2 * block,
        my + centre[1] - cy + (side - rows) // 2 * block,
    )


CHUNK = 2_000  # distractors made, encoded and added at a time
TRAINING_SEED_OFFSET = 1_000_003  # the training distractors' seed: never in a gallery
SCORE_SAMPLE = 200  # distractors every probe is scored against (score distribution)


def _rss_mb() -> float:
    """Resident set size now (Linux /proc), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _quantiles(scores: npt.NDArray[np.float64], accept: float) -> dict[str, float]:
    if scores.size == 0:
        return {"n": 0}
    return {
        "n": int(scores.size),
        "mean": round(float(np.mean(scores)), 4),
        "p50": round(float(np.percentile(scores, 50)), 4),
        "p90": round(float(np.percentile(scores, 90)), 4),
        "p99": round(float(np.percentile(scores, 99)), 4),
        "max": round(float(np.max(scores)), 4),
        "at_or_above_accept": int(np.sum(scores >= accept)),
    }


def _above(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float:
    """P(a > b) + P(a = b) / 2 over all pairs: 0.5 when a and b score alike."""
    b_sorted = np.sort(b)
    below = np.searchsorted(b_sorted, a, side="left")
    equal = np.searchsorted(b_sorted, a, side="right") - below
    return float(np.mean((below + equal / 2) / max(b.size, 1)))


Finger = MinutiaeTemplate | DualTemplate  # the raw set (``gerbang``) or both (``gerbang_dual``)


def _make(base: Finger, rng: np.random.Generator) -> Finger:
    return dual_distractor(base, rng) if isinstance(base, DualTemplate) else distractor(base, rng)


def _trained(sample: Sequence[Finger], params: IndexParams) -> MinutiaIndex | DualIndex:
    duals = [f for f in sample if isinstance(f, DualTemplate)]
    if duals and len(duals) == len(sample):
        return DualIndex.trained(duals, params)
    return MinutiaIndex.trained([f for f in sample if isinstance(f, MinutiaeTemplate)], params)


def _add(index: MinutiaIndex | DualIndex, fingers: Sequence[Finger]) -> None:
    if isinstance(index, DualIndex):
        index.add(f for f in fingers if isinstance(f, DualTemplate))
    else:
        index.add(f for f in fingers if isinstance(f, MinutiaeTemplate))


def _search(
    index: MinutiaIndex | DualIndex, probe: Finger
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.intp], npt.NDArray[np.float64]]:
    """(votes, shortlist, the shortlist's scores) as the kiosk's gallery searches:
    ``gerbang_dual`` decides at its one-finger accept point (``dual.compare_many``)."""
    if isinstance(index, DualIndex) and isinstance(probe, DualTemplate):
        votes = index.votes(probe)
        shortlist = index.shortlist(votes)
        return votes, shortlist, index.rerank(probe, shortlist, decide_at=DUAL_VERIFICATION.accept)
    if isinstance(index, MinutiaIndex) and isinstance(probe, MinutiaeTemplate):
        votes = index.votes(probe)
        shortlist = index.shortlist(votes)
        return votes, shortlist, index.rerank(probe, shortlist)
    raise TypeError("probe and index are of different matchers")


def _scores(probe: Finger, references: Sequence[Finger]) -> npt.NDArray[np.float64]:
    """Full matcher scores (every flow compared) of ``probe`` against ``references``."""
    if isinstance(probe, DualTemplate):
        return dual.compare_many(probe, [r for r in references if isinstance(r, DualTemplate)])
    gallery = match.Gallery([r for r in references if isinstance(r, MinutiaeTemplate)])
    return match.compare_many(probe, gallery)


def run(
    templates: Sequence[Finger],
    fingers: Sequence[str],
    impressions: Sequence[int],
    *,
    sizes: Sequence[int] = (1_000, 10_000),
    probe_impressions: Sequence[int] = (2, 5, 8),
    params: IndexParams = INDEX,
    seed: int = 0,
) -> dict[str, Any]:
    """Hit rate vs penetration, latency and memory for each gallery size (JSON-ready).

    ``templates``: raw sets (``gerbang``, :class:`MinutiaIndex`) or, all of them,
    :class:`DualTemplate` (``gerbang_dual``, :class:`DualIndex`). The galleries are
    nested (the first ``size`` fingers of one growing index): mates first, then
    distractors made and added :data:`CHUNK` at a time. The PCA and the IVF cells are
    trained on separate distractors (another seed), none of which is in a gallery.
    """
    rng = np.random.default_rng(seed)
    is_dual = bool(templates) and all(isinstance(t, DualTemplate) for t in templates)
    accept = DUAL_VERIFICATION.accept if is_dual else VERIFICATION.accept
    mates = {f: k for k, (f, i) in enumerate(zip(fingers, impressions, strict=True)) if i == 1}
    order = sorted(mates)
    enrolled = [templates[mates[f]] for f in order]
    set_of = [f.split("/")[0] for f in order]
    probes = [
        (order.index(f), templates[k])
        for k, (f, i) in enumerate(zip(fingers, impressions, strict=True))
        if i in probe_impressions and f in mates
    ]
    started = time.perf_counter()
    train_rng = np.random.default_rng(seed + TRAINING_SEED_OFFSET)
    training = min(params.train_fingers, max(sizes))
    sample = [_make(templates[k % len(templates)], train_rng) for k in range(training)]
    index = _trained(sample, params)
    trained_s = time.perf_counter() - started
    del sample
    _add(index, enrolled)
    # the real finger each gallery position comes from (a distractor: its base print's):
    # mirrors of a probe's own finger are no strangers to it (see _Decisions)
    origin = list(order)
    build_s, making_s, made = trained_s, 0.0, 0
    fairness: dict[str, Any] = {}
    results = []
    for size in sorted(sizes):
        while len(index) < size:
            count = min(CHUNK, size - len(index))
            started = time.perf_counter()
            bases = [(made + k) % len(templates) for k in range(count)]
            chunk = [_make(templates[base], rng) for base in bases]
            origin.extend(fingers[base] for base in bases)
            made += count
            making_s += time.perf_counter() - started
            started = time.perf_counter()
            _add(index, chunk)
            build_s += time.perf_counter() - started
            if not fairness:
                fairness = _fairness(enrolled, set_of, probes, chunk, rng, accept)
            del chunk
        found = _evaluate(index, size, len(enrolled), probes, params, set_of, accept, origin)
        results.append(found)
        results[-1] |= {
            "build_s": round(build_s, 1),
            "distractors_made_s": round(making_s, 1),
            "rss_mb": round(_rss_mb(), 0),
            "peak_rss_mb": round(_peak_rss_mb(), 0),
        }
    if is_dual:
        method = (
            "mirrored FVC templates, rotated ±30°, 2 px jitter; both minutiae sets moved "
            "alike, the ridge flow mirrored and turned alike, the minutiae shifted onto it"
        )
    else:
        method = "mirrored FVC templates, rotated ±30°, shifted ±20 px, 2 px jitter"
    return {
        "matcher": DUAL_MATCHER if is_dual else RAW_MATCHER,
        "mates": len(enrolled),
        "probe_impressions": list(probe_impressions),
        "distractor_method": f"{method} "
        f"({len(templates)} base prints; see biometrics/fingerprint/indexbench.py)",
        "distractor_ms_each": round(1000 * making_s / max(made, 1), 1),
        "index": dataclasses.asdict(params) | {"faiss": f"{index.description} inner product"},
        "training": {"fingers": training, "seconds": round(trained_s, 1)},
        "distractors_vs_real_impostors": fairness,
        "galleries": results,
    }


def _evaluate(
    index: MinutiaIndex | DualIndex,
    size: int,
    mates: int,
    probes: Sequence[tuple[int, Finger]],
    params: IndexParams,
    set_of: Sequence[str],
    accept: float,
    origin: Sequence[str],
) -> dict[str, Any]:
    vote_ranks, latency, vote_quantile = [], [], []
    first: list[bool] = []
    decisions = _Decisions(accept, np.array(origin[:size]))
    for mate, probe in probes:
        started = time.perf_counter()
        votes, shortlist, scores = _search(index, probe)
        best = int(shortlist[int(np.argmax(scores))]) if scores.size else -1
        latency.append(1000 * (time.perf_counter() - started))
        # ties count against the mate (a mate without votes ranks last)
        vote_ranks.append(int(np.sum(votes >= votes[mate])) if votes[mate] > 0 else size)
        first.append(best == mate)
        decisions.add(scores, shortlist, mate)
        # the real non-mates' votes among the distractors' (0.5: they vote alike)
        others = np.delete(votes[:mates], mate)
        vote_quantile.append(_above(others, votes[mates:]))
    ranks = np.array(vote_ranks)
    rank1 = np.array(first)
    sets = np.array([set_of[mate] for mate, _ in probes])
    nbytes = index.nbytes()
    return {
        "fingers": size,
        "distractors": size - mates,
        "probes": len(probes),
        "hit_rate_at_penetration": {
            f"{p:g}": round(float(np.mean(ranks <= max(1, math.floor(p * size)))), 4)
            for p in PENETRATIONS
        },
        "shortlist": params.shortlist,
        "mate_in_shortlist": round(float(np.mean(ranks <= params.shortlist)), 4),
        "rank1_after_rerank": round(float(np.mean(rank1)) if rank1.size else 0.0, 4),
        **decisions.figures(),
        "kiosk_search": "exhaustive" if size < _exhaustive_limit(index, params) else "index",
        "by_set": {
            name: {
                "mate_in_shortlist": round(
                    float(np.mean(ranks[sets == name] <= params.shortlist)), 4
                ),
                "rank1_after_rerank": round(float(np.mean(rank1[sets == name])), 4),
            }
            for name in sorted(set(sets.tolist()))
        },
        "latency_ms": {
            "p50": round(float(np.percentile(latency, 50)), 1),
            "p95": round(float(np.percentile(latency, 95)), 1),
        },
        "real_non_mate_votes_above_distractors": round(float(np.mean(vote_quantile)), 4),
        "vectors": index.vectors,
        "index_bytes": nbytes,
        "index_mb": round(sum(nbytes.values()) / 2**20, 1),
    } | (
        {"exhaustive": _exhaustive(index, probes, decisions.empty())}
        if size < params.exhaustive_below
        else {}
    )


def _exhaustive_limit(index: MinutiaIndex | DualIndex, params: IndexParams) -> int:
    """The gallery size from which the kiosk's ``FingerGallery`` searches the index."""
    dual_index = isinstance(index, DualIndex)
    return params.dual_exhaustive_below if dual_index else params.exhaustive_below


FALSE_HIT_RATES = (0.01, 0.05)  # share of probes with a stranger at or above the threshold


class _Decisions:
    """The kiosk's decisions over the probes: a hit is a score at or above ``accept``.

    Per probe the best score of its mate, of a stranger and of a mirrored copy of
    its own finger among the scored candidates (-inf: none scored). ``origin`` is
    the real finger of every gallery position (a distractor: its base print's). A
    mirrored copy of the probe's own finger is no real stranger: it shares the
    finger's ridge flow and minutiae layout, mirrored; it is counted apart."""

    def __init__(self, accept: float, origin: npt.NDArray[np.str_]) -> None:
        self.accept = accept
        self.origin = origin
        self.mate: list[float] = []
        self.stranger: list[float] = []
        self.own: list[float] = []

    def empty(self) -> _Decisions:
        """A new tally at the same point, over the same gallery."""
        return _Decisions(self.accept, self.origin)

    def add(
        self, scores: npt.NDArray[np.float64], candidates: npt.NDArray[np.intp], mate: int
    ) -> None:
        is_mate = candidates == mate
        own = self.origin[candidates] == self.origin[mate]  # the mate's too
        self.mate.append(_best(scores, is_mate))
        self.stranger.append(_best(scores, ~own))
        self.own.append(_best(scores, own & ~is_mate))

    def figures(self) -> dict[str, Any]:
        def share(best: list[float]) -> float:
            return round(float(np.mean(np.array(best) >= self.accept)), 4)

        return {
            "mate_hit_at_accept": share(self.mate),
            "probes_with_a_false_hit_at_accept": share(self.stranger),
            "probes_hitting_a_mirror_of_their_own_finger": share(self.own),
            "mate_hit_at_false_hit_rate": _at_false_hit_rate(self.mate, self.stranger, self.accept),
        }


def _best(scores: npt.NDArray[np.float64], which: npt.NDArray[np.bool_]) -> float:
    return float(np.max(scores[which])) if np.any(which) else float("-inf")


def _at_false_hit_rate(
    mate_scores: Sequence[float], stranger_scores: Sequence[float], accept: float
) -> dict[str, dict[str, float]]:
    """1:N at equal false hits: per target share of probes with a stranger at or above
    the threshold, the lowest threshold (not below ``accept``, under which gerbang_dual's
    scores may lack the flow's bonus) that keeps to it, the share reached and the share
    of mates at or above it. Each probe counts once (its best stranger), as the kiosk
    refers a traveller once."""
    mates = np.asarray(mate_scores, np.float64)
    strangers = np.sort(np.asarray(stranger_scores, np.float64))[::-1]
    out: dict[str, dict[str, float]] = {}
    for rate in FALSE_HIT_RATES:
        allowed = math.floor(rate * strangers.size)  # probes that may have a false hit
        above = strangers[allowed] if allowed < strangers.size else float("-inf")
        threshold = max(float(np.nextafter(above, np.inf)), accept)
        out[f"{rate:g}"] = {
            "threshold": round(threshold, 6),
            "false_hit_rate": round(float(np.mean(strangers >= threshold)), 4),
            "mate_hit": round(float(np.mean(mates >= threshold)), 4),
        }
    return out


def _exhaustive(
    index: MinutiaIndex | DualIndex, probes: Sequence[tuple[int, Finger]], decisions: _Decisions
) -> dict[str, Any]:
    """Every finger scored, as the kiosk's gallery does below its exhaustive limit
    (``gerbang_dual`` deciding at ``accept``), on the index's compact templates; measured
    up to ``exhaustive_below`` for both matchers, to compare with the index."""
    engine: match.Gallery | dual.Gallery
    if isinstance(index, DualIndex):
        engine = dual.Gallery(
            [
                DualTemplate(r.restore(), e.restore(), f)
                for r, e, f in zip(
                    index.raw.fingers, index.enhanced.fingers, index.flows, strict=True
                )
            ]
        )
    else:
        engine = match.Gallery([f.restore() for f in index.fingers])
    latency, first = [], []
    everyone = np.arange(len(index))
    for mate, probe in probes:
        started = time.perf_counter()
        if isinstance(probe, DualTemplate) and isinstance(engine, dual.Gallery):
            scores = dual.compare_many(probe, engine, decide_at=decisions.accept)
        elif isinstance(probe, MinutiaeTemplate) and isinstance(engine, match.Gallery):
            scores = match.compare_many(probe, engine)
        else:
            raise TypeError("probe and index are of different matchers")
        latency.append(1000 * (time.perf_counter() - started))
        first.append(int(np.argmax(scores)) == mate)
        decisions.add(scores, everyone, mate)
    return {
        "rank1": round(float(np.mean(first)), 4),
        **decisions.figures(),
        "latency_ms": {
            "p50": round(float(np.percentile(latency, 50)), 1),
            "p95": round(float(np.percentile(latency, 95)), 1),
        },
    }


def _fairness(
    enrolled: Sequence[Finger],
    set_of: Sequence[str],
    probes: Sequence[tuple[int, Finger]],
    distractors: Sequence[Finger],
    rng: np.random.Generator,
    accept: float,
) -> dict[str, Any]:
    """Matcher scores of the probes against real non-mates and against distractors."""
    picked = rng.choice(len(distractors), min(SCORE_SAMPLE, len(distractors)), replace=False)
    pool = [distractors[k] for k in picked]
    same: list[float] = []
    other: list[float] = []
    fake: list[float] = []
    for mate, probe in probes:
        real = _scores(probe, enrolled)
        for k, score in enumerate(real):
            if k != mate:
                (same if set_of[k] == set_of[mate] else other).append(float(score))
        fake.extend(_scores(probe, pool).tolist())
    real_all = np.array(same + other)
    fake_scores = np.array(fake)
    return {
        "real_impostors_same_set": _quantiles(np.array(same), accept),
        "real_impostors_other_sets": _quantiles(np.array(other), accept),
        "distractors": _quantiles(fake_scores, accept),
        "real_impostor_above_distractor": round(_above(real_all, fake_scores), 4),
        "accept_threshold": accept,
    }

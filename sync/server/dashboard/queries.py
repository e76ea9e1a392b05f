"""The dashboard's report queries: read the rollup tables only, never the events.

Each query takes a :class:`Scope` (an inclusive range of UTC days, optionally one
office and/or one kiosk) and returns plain rows; percentiles come from the
fixed-bucket histograms of :mod:`sync.server.rollups`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, case, func, select

from sync.server import rollups
from sync.server import schema as s

OUTCOMES = ("pass", "refer", "reject")
GRAINS = ("hour", "day", "month")


@dataclass(frozen=True, slots=True)
class Scope:
    start: date
    end: date  # inclusive
    office_id: str | None = None
    kiosk_id: str | None = None

    def where(self, table: Table) -> list[ColumnElement[bool]]:
        conds = [table.c.day >= self.start.isoformat(), table.c.day <= self.end.isoformat()]
        if self.office_id:
            conds.append(table.c.office_id == self.office_id)
        if self.kiosk_id:
            conds.append(table.c.kiosk_id == self.kiosk_id)
        return conds


def percentile(counts: Sequence[int] | dict[int, int], q: float, edges: Sequence[float]) -> float:
    """The ``q`` quantile (0-1) of a histogram over ``edges`` (linear within a bucket;
    the open last bucket gives its lower edge)."""
    hist = counts if isinstance(counts, dict) else dict(enumerate(counts))
    total = sum(hist.values())
    if total <= 0:
        return float("nan")
    target = q * total
    seen = 0.0
    for bucket in sorted(hist):
        n = hist[bucket]
        if n <= 0:
            continue
        if seen + n >= target:
            low = edges[bucket]
            if bucket + 1 >= len(edges):
                return float(low)
            high = edges[bucket + 1]
            return float(low + (high - low) * (target - seen) / n)
        seen += n
    return float(edges[max(hist)])


SCORE_EDGES = tuple(i / rollups.SCORE_BUCKETS for i in range(rollups.SCORE_BUCKETS + 1))


# ---------------------------------------------------------------- travellers
def _period(grain: str, table: Table) -> tuple[list[Any], Callable[[Any], str]]:
    """The columns that make a period of ``grain``, and its label from a row."""
    if grain == "hour":
        return [table.c.day, table.c.hour], lambda r: f"{r.day} {int(r.hour):02d}:00"
    if grain == "month":
        month = func.substr(table.c.day, 1, 7).label("month")
        return [month], lambda r: str(r.month)
    return [table.c.day], lambda r: str(r.day)


def _by_outcome(rows: Iterable[tuple[Any, str, int]]) -> list[tuple[Any, dict[str, int]]]:
    merged: dict[Any, dict[str, int]] = {}
    for key, outcome, n in rows:
        counts = merged.setdefault(key, dict.fromkeys((*OUTCOMES, "total"), 0))
        counts[outcome] = counts.get(outcome, 0) + n
        counts["total"] += n
    return sorted(merged.items())


def traffic(conn: Connection, scope: Scope, grain: str) -> dict[str, Any]:
    """Travellers by outcome per period (hour, day or month) and per office and kiosk.

    Day and month periods and the per-kiosk totals read ``rollup_daily``; hours
    read ``rollup_traffic``. Both are summed in the database."""
    t = s.rollup_traffic if grain == "hour" else s.rollup_daily
    cols, label = _period(grain, t)
    periods = _by_outcome(
        (label(r), str(r.outcome), int(r.n))
        for r in conn.execute(
            select(*cols, t.c.outcome, func.sum(t.c.n).label("n"))
            .where(*scope.where(t))
            .group_by(*cols, t.c.outcome)
        )
    )
    d = s.rollup_daily
    kiosks = _by_outcome(
        ((str(r.office_id), str(r.kiosk_id)), str(r.outcome), int(r.n))
        for r in conn.execute(
            select(d.c.office_id, d.c.kiosk_id, d.c.outcome, func.sum(d.c.n).label("n"))
            .where(*scope.where(d))
            .group_by(d.c.office_id, d.c.kiosk_id, d.c.outcome)
        )
    )
    return {
        "periods": periods,
        "kiosks": [{"office_id": o, "kiosk_id": k, **v} for (o, k), v in kiosks],
    }


def traffic_detail(conn: Connection, scope: Scope, grain: str) -> list[dict[str, Any]]:
    """Travellers per period, office and kiosk by outcome (the CSV export); the
    outcomes are pivoted in the database (one row per period and kiosk)."""
    t = s.rollup_traffic if grain == "hour" else s.rollup_daily
    cols, label = _period(grain, t)
    per_outcome = [func.sum(case((t.c.outcome == o, t.c.n), else_=0)).label(o) for o in OUTCOMES]
    rows = conn.execute(
        select(*cols, t.c.office_id, t.c.kiosk_id, *per_outcome, func.sum(t.c.n).label("total"))
        .where(*scope.where(t))
        .group_by(*cols, t.c.office_id, t.c.kiosk_id)
        .order_by(*cols, t.c.office_id, t.c.kiosk_id)
    )
    return [
        {
            "period": label(r),
            "office_id": str(r.office_id),
            "kiosk_id": str(r.kiosk_id),
            **{o: int(getattr(r, o)) for o in OUTCOMES},
            "total": int(r.total),
        }
        for r in rows
    ]


# ---------------------------------------------------------------- outcomes
def outcomes(conn: Connection, scope: Scope) -> dict[str, Any]:
    """Totals per outcome and counts per (outcome, reason code), per office."""
    t = s.rollup_daily
    by_outcome = {
        str(o): int(n)
        for o, n in conn.execute(
            select(t.c.outcome, func.sum(t.c.n)).where(*scope.where(t)).group_by(t.c.outcome)
        )
    }
    r = s.rollup_reasons
    reasons = [
        {"office_id": str(row[0]), "outcome": str(row[1]), "reason": str(row[2]), "n": int(row[3])}
        for row in conn.execute(
            select(r.c.office_id, r.c.outcome, r.c.reason, func.sum(r.c.n))
            .where(*scope.where(r))
            .group_by(r.c.office_id, r.c.outcome, r.c.reason)
            .order_by(func.sum(r.c.n).desc())
        )
    ]
    return {"by_outcome": {o: by_outcome.get(o, 0) for o in OUTCOMES}, "reasons": reasons}


# ---------------------------------------------------------------- processing time
def step_times(conn: Connection, scope: Scope) -> list[dict[str, Any]]:
    """Per step: count, median and 95th percentile (ms), and the histogram."""
    t = s.rollup_step_times
    hists: dict[str, dict[int, int]] = defaultdict(dict)
    for step, bucket, n in conn.execute(
        select(t.c.step, t.c.bucket, func.sum(t.c.n))
        .where(*scope.where(t))
        .group_by(t.c.step, t.c.bucket)
    ):
        hists[str(step)][int(bucket)] = int(n)
    edges = rollups.STEP_EDGES_MS
    return [
        {
            "step": step,
            "n": sum(h.values()),
            "median_ms": round(percentile(h, 0.5, edges)),
            "p95_ms": round(percentile(h, 0.95, edges)),
            "histogram": h,
        }
        for step, h in sorted(hists.items())
    ]


# ---------------------------------------------------------------- watchlist (restricted)
def watchlist_hits(conn: Connection, scope: Scope) -> list[dict[str, Any]]:
    t = s.rollup_watchlist
    return [
        {
            "day": str(r[0]),
            "office_id": str(r[1]),
            "kiosk_id": str(r[2]),
            "modality": str(r[3]),
            "n": int(r[4]),
        }
        for r in conn.execute(
            select(t.c.day, t.c.office_id, t.c.kiosk_id, t.c.modality, func.sum(t.c.n))
            .where(*scope.where(t))
            .group_by(t.c.day, t.c.office_id, t.c.kiosk_id, t.c.modality)
            .order_by(t.c.day.desc(), t.c.office_id, t.c.kiosk_id)
        )
    ]


# ---------------------------------------------------------------- failure to acquire
def acquisition(conn: Connection, scope: Scope) -> list[dict[str, Any]]:
    """Per office and modality: attempts, failures to acquire, FTA rate."""
    t = s.rollup_acquisition
    acc: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"acquired": 0, "failed": 0})
    for office, modality, result, n in conn.execute(
        select(t.c.office_id, t.c.modality, t.c.result, func.sum(t.c.n))
        .where(*scope.where(t))
        .group_by(t.c.office_id, t.c.modality, t.c.result)
    ):
        acc[str(office), str(modality)][str(result)] = int(n)
    out = []
    for (office, modality), v in sorted(acc.items()):
        attempts = v["acquired"] + v["failed"]
        out.append(
            {
                "office_id": office,
                "modality": modality,
                "attempts": attempts,
                "failed": v["failed"],
                "fta_rate": v["failed"] / attempts if attempts else 0.0,
            }
        )
    return out


def fta_by_modality(rows: list[dict[str, Any]]) -> dict[str, float]:
    acc: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        acc[r["modality"]][0] += r["attempts"]
        acc[r["modality"]][1] += r["failed"]
    return {m: (f / a if a else 0.0) for m, (a, f) in sorted(acc.items())}


# ---------------------------------------------------------------- genuine scores
def scores(conn: Connection, scope: Scope) -> dict[str, Any]:
    """Genuine-score histograms per comparison, and per day the median and 5th percentile."""
    t = s.rollup_scores
    daily: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    for day, name, bucket, n in conn.execute(
        select(t.c.day, t.c.name, t.c.bucket, func.sum(t.c.n))
        .where(*scope.where(t))
        .group_by(t.c.day, t.c.name, t.c.bucket)
    ):
        daily[str(name), str(day)][int(bucket)] = int(n)
    overall: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    drift: list[dict[str, Any]] = []
    for (name, day), h in sorted(daily.items()):
        for b, n in h.items():
            overall[name][b] += n
        drift.append(
            {
                "name": name,
                "day": day,
                "n": sum(h.values()),
                "median": round(percentile(h, 0.5, SCORE_EDGES), 4),
                "p05": round(percentile(h, 0.05, SCORE_EDGES), 4),
            }
        )
    summary = []
    for name, h in sorted(overall.items()):
        days = [d for d in drift if d["name"] == name]
        recent = days[-7:]
        recent_hist: dict[int, int] = defaultdict(int)
        for d in recent:
            for b, n in daily[name, d["day"]].items():
                recent_hist[b] += n
        median = percentile(h, 0.5, SCORE_EDGES)
        summary.append(
            {
                "name": name,
                "n": sum(h.values()),
                "median": round(median, 4),
                "p05": round(percentile(h, 0.05, SCORE_EDGES), 4),
                # Drift: the last 7 days' median against the whole range's.
                "shift_last_7_days": round(percentile(recent_hist, 0.5, SCORE_EDGES) - median, 4),
                "histogram": dict(h),
            }
        )
    return {"summary": summary, "daily": drift}


# ---------------------------------------------------------------- satisfaction
def satisfaction(conn: Connection, scope: Scope) -> dict[str, Any]:
    t = s.rollup_survey
    per: dict[str, dict[int, int]] = defaultdict(dict)
    for office, rating, n in conn.execute(
        select(t.c.office_id, t.c.rating, func.sum(t.c.n))
        .where(*scope.where(t))
        .group_by(t.c.office_id, t.c.rating)
    ):
        per[str(office)][int(rating)] = int(n)
    overall = dict.fromkeys(range(1, 6), 0)
    offices = []
    for office, h in sorted(per.items()):
        for rating, n in h.items():
            overall[rating] += n
        offices.append({"office_id": office, **_survey_summary(h)})
    return {"overall": {**_survey_summary(overall), "ratings": overall}, "offices": offices}


def _survey_summary(h: dict[int, int]) -> dict[str, Any]:
    n = sum(h.values())
    mean = sum(r * c for r, c in h.items()) / n if n else 0.0
    satisfied = sum(c for r, c in h.items() if r >= 4) / n if n else 0.0
    return {"answers": n, "mean": round(mean, 2), "satisfied_share": round(satisfied, 4)}


# ---------------------------------------------------------------- filters
def offices_and_kiosks(conn: Connection) -> list[tuple[str, str]]:
    k = s.kiosks
    return [
        (str(o), str(i))
        for o, i in conn.execute(select(k.c.office_id, k.c.kiosk_id).order_by(k.c.office_id))
    ]

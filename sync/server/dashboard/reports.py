"""Reports: the data of each report page (queries only), and the page built from it
(tables, charts, CSV rows) in the reader's language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from models.roles import Permission
from sync.server import rollups
from sync.server.dashboard import charts, queries
from sync.server.dashboard.queries import OUTCOMES, Scope

Translate = Callable[[str], str]
MAX_BARS = 62  # more periods (hours of a month) are drawn as lines

# Report pages in menu order; the permission each needs.
REPORTS: dict[str, Permission] = {
    "traffic": Permission.VIEW_REPORTS,
    "outcomes": Permission.VIEW_REPORTS,
    "times": Permission.VIEW_REPORTS,
    "fta": Permission.VIEW_REPORTS,
    "scores": Permission.VIEW_REPORTS,
    "satisfaction": Permission.VIEW_REPORTS,
    "watchlist": Permission.VIEW_WATCHLIST_HITS,  # restricted: supervisors only
}


RESTRICTED_REASONS = frozenset({"watchlist_hit"})


def data(
    name: str,
    conn: Connection,
    scope: Scope,
    grain: str = "day",
    *,
    restricted: bool = True,
    detail: bool = False,
) -> Any:
    """What a report page reads from the database (what ``bench dashboard`` times).

    ``restricted``: the reader may see watchlist hits; without it the reason code
    ``watchlist_hit`` is counted as ``restricted`` in the outcome report.
    ``detail``: the rows of the CSV export too (travellers per period and kiosk)."""
    if name == "traffic":
        found = queries.traffic(conn, scope, grain)
        found["detail"] = queries.traffic_detail(conn, scope, grain) if detail else None
        return found
    if name == "outcomes":
        found = queries.outcomes(conn, scope)
        if not restricted:
            for row in found["reasons"]:
                if row["reason"] in RESTRICTED_REASONS:
                    row["reason"] = "restricted"
        return found
    if name == "times":
        return queries.step_times(conn, scope)
    if name == "fta":
        return queries.acquisition(conn, scope)
    if name == "scores":
        return queries.scores(conn, scope)
    if name == "satisfaction":
        return queries.satisfaction(conn, scope)
    if name == "watchlist":
        return queries.watchlist_hits(conn, scope)
    raise KeyError(name)


@dataclass(slots=True)
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]]


@dataclass(slots=True)
class Report:
    name: str
    title: str
    charts: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    csv_headers: list[str] = field(default_factory=list)
    csv_rows: list[list[Any]] = field(default_factory=list)


def _pct(x: float) -> str:
    return f"{x:.2%}"


def build(
    name: str, d: Any, t: Translate, *, grain: str = "day", with_charts: bool = True
) -> Report:
    """The page of report ``name`` from its :func:`data`."""
    report = Report(name, t(f"report.{name}"))
    builder = _BUILDERS[name]
    builder(report, d, t, grain, with_charts)
    return report


def _traffic(r: Report, d: dict[str, Any], t: Translate, grain: str, ch: bool) -> None:
    periods: list[tuple[str, dict[str, int]]] = d["periods"]
    names = [t(f"outcome.{o}") for o in OUTCOMES]
    if ch and periods:
        labels = [p for p, _ in periods]
        series = [(n, [v[o] for _, v in periods]) for n, o in zip(names, OUTCOMES, strict=True)]
        draw = charts.stacked_bars if len(periods) <= MAX_BARS else charts.lines
        r.charts.append(draw(t(f"chart.travellers_per_{grain}"), labels, series))
    r.tables.append(
        Table(
            t("table.per_kiosk"),
            [t("col.office"), t("col.kiosk"), *names, t("col.total")],
            [
                [k["office_id"], k["kiosk_id"], *(k[o] for o in OUTCOMES), k["total"]]
                for k in d["kiosks"]
            ],
        )
    )
    r.tables.append(
        Table(
            t(f"table.per_{grain}"),
            [t("col.period"), *names, t("col.total")],
            [[p, *(v[o] for o in OUTCOMES), v["total"]] for p, v in periods],
        )
    )
    r.csv_headers = ["period", "office_id", "kiosk_id", *OUTCOMES, "total"]
    r.csv_rows = [
        [x["period"], x["office_id"], x["kiosk_id"], *(x[o] for o in OUTCOMES), x["total"]]
        for x in d["detail"] or ()
    ]


def _outcomes(r: Report, d: dict[str, Any], t: Translate, _grain: str, ch: bool) -> None:
    by = d["by_outcome"]
    total = sum(by.values())
    reasons: dict[str, int] = {}
    for x in d["reasons"]:
        if x["outcome"] != "pass":
            reasons[x["reason"]] = reasons.get(x["reason"], 0) + x["n"]
    top = sorted(reasons.items(), key=lambda kv: -kv[1])[:15]
    if ch and top:
        r.charts.append(
            charts.bars(
                t("chart.referral_reasons"), [t(f"reason.{k}") for k, _ in top], [v for _, v in top]
            )
        )
    r.tables.append(
        Table(
            t("table.outcomes"),
            [t("col.outcome"), t("col.count"), t("col.share")],
            [[t(f"outcome.{o}"), by[o], _pct(by[o] / total if total else 0)] for o in OUTCOMES],
        )
    )
    r.tables.append(
        Table(
            t("table.reasons"),
            [t("col.office"), t("col.outcome"), t("col.reason"), t("col.count")],
            [
                [x["office_id"], t(f"outcome.{x['outcome']}"), t(f"reason.{x['reason']}"), x["n"]]
                for x in d["reasons"]
            ],
        )
    )
    r.csv_headers = ["office_id", "outcome", "reason", "n"]
    r.csv_rows = [[x["office_id"], x["outcome"], x["reason"], x["n"]] for x in d["reasons"]]


def _times(r: Report, d: list[dict[str, Any]], t: Translate, _grain: str, ch: bool) -> None:
    if ch and d:
        r.charts.append(
            charts.histogram(
                t("chart.step_times"),
                [e / 1000 for e in rollups.STEP_EDGES_MS],
                [(x["step"], x["histogram"]) for x in d],
                xlabel=t("axis.seconds"),
            )
        )
    r.tables.append(
        Table(
            t("table.step_times"),
            [t("col.step"), t("col.count"), t("col.median_s"), t("col.p95_s")],
            [
                [x["step"], x["n"], f"{x['median_ms'] / 1000:.2f}", f"{x['p95_ms'] / 1000:.2f}"]
                for x in d
            ],
        )
    )
    r.notes.append(t("note.histogram_percentiles"))
    r.csv_headers = ["step", "n", "median_ms", "p95_ms"]
    r.csv_rows = [[x["step"], x["n"], x["median_ms"], x["p95_ms"]] for x in d]


def _fta(r: Report, d: list[dict[str, Any]], t: Translate, _grain: str, ch: bool) -> None:
    overall = queries.fta_by_modality(d)
    if ch and overall:
        r.charts.append(
            charts.bars(
                t("chart.fta"),
                [t(f"modality.{m}") for m in overall],
                list(overall.values()),
                percent=True,
            )
        )
    r.tables.append(
        Table(
            t("table.fta"),
            [
                t("col.office"),
                t("col.modality"),
                t("col.attempts"),
                t("col.failed"),
                t("col.fta_rate"),
            ],
            [
                [
                    x["office_id"],
                    t(f"modality.{x['modality']}"),
                    x["attempts"],
                    x["failed"],
                    _pct(x["fta_rate"]),
                ]
                for x in d
            ],
        )
    )
    r.notes.append(t("note.fta"))
    r.csv_headers = ["office_id", "modality", "attempts", "failed", "fta_rate"]
    r.csv_rows = [
        [x["office_id"], x["modality"], x["attempts"], x["failed"], round(x["fta_rate"], 6)]
        for x in d
    ]


def _scores(r: Report, d: dict[str, Any], t: Translate, _grain: str, ch: bool) -> None:
    if ch and d["summary"]:
        r.charts.append(
            charts.histogram(
                t("chart.genuine_scores"),
                queries.SCORE_EDGES,
                [(x["name"], x["histogram"]) for x in d["summary"]],
                xlabel=t("axis.score"),
            )
        )
        for x in d["summary"]:
            days = [y for y in d["daily"] if y["name"] == x["name"]]
            r.charts.append(
                charts.lines(
                    f"{t('chart.score_drift')} — {x['name']}",
                    [y["day"] for y in days],
                    [
                        (t("col.median"), [y["median"] for y in days]),
                        (t("col.p05"), [y["p05"] for y in days]),
                    ],
                )
            )
    r.tables.append(
        Table(
            t("table.genuine_scores"),
            [t("col.comparison"), t("col.count"), t("col.median"), t("col.p05"), t("col.shift_7d")],
            [
                [x["name"], x["n"], x["median"], x["p05"], f"{x['shift_last_7_days']:+.4f}"]
                for x in d["summary"]
            ],
        )
    )
    r.notes.append(t("note.genuine"))
    r.csv_headers = ["name", "day", "n", "median", "p05"]
    r.csv_rows = [[y["name"], y["day"], y["n"], y["median"], y["p05"]] for y in d["daily"]]


def _satisfaction(r: Report, d: dict[str, Any], t: Translate, _grain: str, ch: bool) -> None:
    ratings = d["overall"]["ratings"]
    if ch and d["overall"]["answers"]:
        r.charts.append(
            charts.bars(t("chart.ratings"), [f"{k} ★" for k in ratings], list(ratings.values()))
        )
    r.tables.append(
        Table(
            t("table.satisfaction"),
            [t("col.office"), t("col.answers"), t("col.mean"), t("col.satisfied")],
            [
                [
                    t("col.all"),
                    d["overall"]["answers"],
                    d["overall"]["mean"],
                    _pct(d["overall"]["satisfied_share"]),
                ]
            ]
            + [
                [x["office_id"], x["answers"], x["mean"], _pct(x["satisfied_share"])]
                for x in d["offices"]
            ],
        )
    )
    r.notes.append(t("note.satisfaction"))
    r.csv_headers = ["office_id", "answers", "mean", "satisfied_share"]
    r.csv_rows = [
        [x["office_id"], x["answers"], x["mean"], x["satisfied_share"]] for x in d["offices"]
    ]


def _watchlist(r: Report, d: list[dict[str, Any]], t: Translate, _grain: str, _ch: bool) -> None:
    r.tables.append(
        Table(
            t("table.watchlist"),
            [t("col.day"), t("col.office"), t("col.kiosk"), t("col.modality"), t("col.hits")],
            [
                [x["day"], x["office_id"], x["kiosk_id"], t(f"modality.{x['modality']}"), x["n"]]
                for x in d
            ],
        )
    )
    r.notes.append(t("note.watchlist"))
    r.csv_headers = ["day", "office_id", "kiosk_id", "modality", "hits"]
    r.csv_rows = [[x["day"], x["office_id"], x["kiosk_id"], x["modality"], x["n"]] for x in d]


_BUILDERS: dict[str, Callable[[Report, Any, Translate, str, bool], None]] = {
    "traffic": _traffic,
    "outcomes": _outcomes,
    "times": _times,
    "fta": _fta,
    "scores": _scores,
    "satisfaction": _satisfaction,
    "watchlist": _watchlist,
}

"""The dashboard's rollups on SQLite and PostgreSQL: incremental == rebuilt, later
versions of an event replace earlier ones, and the report queries read them right."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from models import codec
from models.events import Decision, Outcome, ReasonCode, VerificationEvent
from sync.server import rollups
from sync.server.config import ServerConfig
from sync.server.dashboard import queries, reports
from sync.server.service import Central
from tests import dashboarddata

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


@pytest.fixture
def central(database_url: str, tmp_path: Path) -> Iterator[Central]:
    c = Central(ServerConfig.from_key_dir(database_url, tmp_path / "keys"))
    c.migrate()
    dashboarddata.register_kiosks(c, now=NOW)
    yield c
    c.close()


def _items(days: int = 6, per: int = 25) -> list[dashboarddata.Item]:
    return list(dashboarddata.event_items(now=NOW, days=days, per_kiosk_day=per, seed=3))


def _newest(items: list[dashboarddata.Item]) -> dict[str, VerificationEvent]:
    """What the rollups must count: per event, the version with the greatest created_at
    (the later delivery on a tie)."""
    best: dict[str, tuple[datetime, VerificationEvent]] = {}
    for x in items:
        event = codec.loads(VerificationEvent, x.payload)
        held = best.get(event.event_id)
        if held is None or x.created_at >= held[0]:
            best[event.event_id] = (x.created_at, event)
    return {k: v[1] for k, v in best.items()}


def test_incremental_rollups_equal_a_rebuild_and_count_newest_versions(central: Central) -> None:
    items = _items()
    rng = random.Random(5)  # noqa: S311 - test data
    # delivered in several batches, some twice, a few late and out of order
    shuffled = items[:]
    late = [shuffled.pop(rng.randrange(len(shuffled))) for _ in range(40)]
    dashboarddata.push(central, shuffled, now=NOW, batch=97, fold=False)
    dashboarddata.push(central, late + shuffled[:50], now=NOW, batch=13, fold=False)
    with central.engine.connect() as conn:
        # ingest only queued them (no hot rollup rows); the 50 repeated deliveries were not
        assert rollups.pending(conn) == len(items)
        assert rollups.snapshot(conn)["daily"] == {}
    assert central.fold_rollups(max_batches=10**6) == len(items)
    with central.engine.connect() as conn:
        assert rollups.pending(conn) == 0
        incremental = rollups.snapshot(conn)
    assert central.rebuild_rollups() == len(_newest(items))
    with central.engine.connect() as conn:
        rebuilt = rollups.snapshot(conn)
    assert incremental == rebuilt
    assert all(n > 0 for table in rebuilt.values() for n in table.values())

    expected: Counter[rollups.Key] = Counter()
    for event in _newest(items).values():
        expected.update(rollups.contribution(event))
    # the tables hold exactly the contributions of the newest versions
    assert {f"{k}:{key}": n for k, table in rebuilt.items() for key, n in table.items()} == {
        f"{name}:{key}": n for (name, key), n in expected.items()
    }
    newest = _newest(items)
    outcomes = Counter(e.decision.outcome.value for e in newest.values())
    surveyed = sum(1 for e in newest.values() if e.satisfaction is not None)
    overrides = sum(1 for e in newest.values() if ReasonCode.OFFICER_OVERRIDE in e.decision.reasons)
    assert overrides > 5 and surveyed > 100  # the data exercises later versions
    scope = queries.Scope(date(2026, 11, 1), date(2026, 11, 30))
    with central.engine.connect() as conn:
        got = queries.outcomes(conn, scope)["by_outcome"]
        survey = queries.satisfaction(conn, scope)["overall"]
        traffic = queries.traffic(conn, scope, "month")
    assert got == {o: outcomes.get(o, 0) for o in queries.OUTCOMES}
    assert survey["answers"] == surveyed
    assert sum(v["total"] for _, v in traffic["periods"]) == len(newest)
    assert sum(k["total"] for k in traffic["kiosks"]) == len(newest)


def test_an_override_moves_the_event_and_an_older_version_changes_nothing(
    central: Central,
) -> None:
    items = _items(days=1, per=4)
    first = next(x for x in items if not x.key.endswith((":override", ":survey")))
    event = codec.loads(VerificationEvent, first.payload)
    referred = dataclasses.replace(
        event, decision=Decision(Outcome.REFER, (ReasonCode.FACE_MISMATCH,))
    )
    cleared = dataclasses.replace(
        event, decision=Decision(Outcome.PASS, (ReasonCode.OFFICER_OVERRIDE,)), satisfaction=5
    )
    t0 = first.created_at

    def item(key: str, at: datetime, e: VerificationEvent) -> dashboarddata.Item:
        return dashboarddata.Item(first.kiosk_id, key, at, codec.dumps(e).decode())

    scope = queries.Scope(t0.date(), t0.date())
    dashboarddata.push(central, [item("a", t0, referred)], now=NOW)
    with central.engine.connect() as conn:
        assert queries.outcomes(conn, scope)["by_outcome"]["refer"] == 1
    dashboarddata.push(central, [item("b", t0 + timedelta(minutes=2), cleared)], now=NOW)
    dashboarddata.push(central, [item("c", t0 - timedelta(minutes=1), referred)], now=NOW)  # late
    with central.engine.connect() as conn:
        by = queries.outcomes(conn, scope)
        snap = rollups.snapshot(conn)
    assert by["by_outcome"] == {"pass": 1, "refer": 0, "reject": 0}
    assert [r["reason"] for r in by["reasons"]] == ["officer_override"]
    assert sum(snap["survey"].values()) == 1
    central.rebuild_rollups()
    with central.engine.connect() as conn:
        assert rollups.snapshot(conn) == snap


def test_report_queries_on_seeded_data(central: Central) -> None:
    dashboarddata.push(central, _items(days=10, per=30), now=NOW)
    scope = queries.Scope(date(2026, 11, 11), date(2026, 11, 20))
    t = str  # the catalogue key itself
    with central.engine.connect() as conn:
        for name in reports.REPORTS:
            built = reports.build(name, reports.data(name, conn, scope), t, with_charts=False)
            assert built.csv_headers and built.tables, name
        hourly = queries.traffic(conn, scope, "hour")["periods"]
        detail = queries.traffic_detail(conn, scope, "hour")
        daily = queries.traffic_detail(conn, scope, "day")
        times = {x["step"]: x for x in queries.step_times(conn, scope)}
        fta = queries.fta_by_modality(queries.acquisition(conn, scope))
        drift = queries.scores(conn, scope)
        office = queries.traffic_detail(
            conn, dataclasses.replace(scope, office_id="NGURAH-RAI"), "month"
        )
    assert {p[11:] for p, _ in hourly} <= {f"{h:02d}:00" for h in range(24)}
    # the hourly and the daily tables agree, in total and per kiosk
    assert sum(v["total"] for _, v in hourly) == sum(r["total"] for r in detail)
    per_kiosk: Counter[str] = Counter()
    for r in detail:
        per_kiosk[r["kiosk_id"]] += r["total"]
    for r in daily:
        per_kiosk[r["kiosk_id"]] -= r["total"]
    assert set(per_kiosk.values()) == {0}
    # lognormal step times: median exp(mu) within a bucket's width, p95 above the median
    assert 2500 < times["document"]["median_ms"] < 3500  # exp(8.0) = 2981 ms
    assert times["face"]["p95_ms"] > times["face"]["median_ms"] > 3500  # exp(8.3) = 4024 ms
    assert set(fta) == {"document", "face", "fingerprint"} and all(
        0 < v < 0.1 for v in fta.values()
    )
    face = next(x for x in drift["summary"] if x["name"] == "face_1to1")
    assert 0.79 < face["median"] < 0.85 and face["p05"] < face["median"]
    assert {r["office_id"] for r in office} == {"NGURAH-RAI"}
    assert {r["period"] for r in office} == {"2026-11"}

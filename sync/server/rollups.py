"""Rollups of verification events for the dashboard: kept up to date as events
arrive, rebuildable from the stored events.

Each pushed verification event contributes counts to the rollup tables of
:mod:`sync.server.schema` (traffic per hour and outcome, reason codes, step-time
histograms, acquisition per modality, genuine-score histograms, watchlist hits,
survey ratings). A kiosk pushes a later version of an event under a new
idempotency key (an officer's override, the traveller's survey answer); the
rollups count the newest version of each event only — ``rollup_events`` says
which, and a newer version replaces the older one's contribution (the net
change is written, so a survey answer adds just its rating).

"Newest" is the greatest (item ``created_at``, arrival order); :func:`rebuild`
applies the same rule to ``pushed_records``, so a rebuild gives the same tables
as incremental updates (``tests/integration/sync/test_rollups.py`` checks it).

Histograms have fixed buckets (:data:`STEP_EDGES_MS`, :data:`SCORE_BUCKETS`), so
medians and 95th percentiles come from counts, never from raw events.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    Table,
    and_,
    delete,
    func,
    select,
    text,
    tuple_,
)

from models import codec
from models.errors import MalformedDataError
from models.events import CheckOutcome, Outcome, VerificationEvent
from sync.protocol import PushKind
from sync.server import schema as s
from sync.server.db import upsert

# Upper-open bucket edges of step times (ms): bucket i is [EDGES[i], EDGES[i+1]); the
# last bucket is everything from the last edge up. Roughly 10-25 % wide.
STEP_EDGES_MS: tuple[float, ...] = (
    0,
    50,
    100,
    150,
    200,
    300,
    400,
    500,
    600,
    700,
    800,
    900,
    1000,
    1200,
    1400,
    1600,
    1800,
    2000,
    2500,
    3000,
    3500,
    4000,
    4500,
    5000,
    6000,
    7000,
    8000,
    9000,
    10000,
    12000,
    14000,
    16000,
    18000,
    20000,
    25000,
    30000,
    40000,
    50000,
    60000,
    90000,
    120000,
    180000,
    300000,
)
# Similarity scores in [0, 1]: SCORE_BUCKETS equal buckets; values outside are clamped.
SCORE_BUCKETS = 100
# The 1:1 comparisons whose scores are genuine when the transaction passed.
GENUINE_SCORES = ("face_1to1", "fingerprint_1to1", "fingerprint_1to1_dual")
# Acquisition per modality: the check whose outcome says whether a sample was acquired.
ACQUISITION_CHECKS = {
    "document": "chip_read",
    "face": "face_capture",
    "fingerprint": "fingerprint_capture",
}
WATCHLIST_CHECKS = {"face": "watchlist_face", "fingerprint": "watchlist_fingerprint"}
_ATTEMPTED = {CheckOutcome.PASSED, CheckOutcome.FAILED, CheckOutcome.ERROR}

# Rollup tables and their key columns (every table also has the count ``n``).
TABLES: dict[str, tuple[Table, tuple[str, ...]]] = {
    "traffic": (s.rollup_traffic, ("day", "hour", "office_id", "kiosk_id", "outcome")),
    "daily": (s.rollup_daily, ("day", "office_id", "kiosk_id", "outcome")),
    "reasons": (s.rollup_reasons, ("day", "office_id", "kiosk_id", "outcome", "reason")),
    "steps": (s.rollup_step_times, ("day", "office_id", "kiosk_id", "step", "bucket")),
    "acquisition": (s.rollup_acquisition, ("day", "office_id", "kiosk_id", "modality", "result")),
    "scores": (s.rollup_scores, ("day", "office_id", "kiosk_id", "name", "bucket")),
    "watchlist": (s.rollup_watchlist, ("day", "office_id", "kiosk_id", "modality")),
    "survey": (s.rollup_survey, ("day", "office_id", "kiosk_id", "rating")),
}
Key = tuple[str, tuple[Any, ...]]  # (table name, key values)


def step_bucket(ms: float) -> int:
    return max(0, bisect.bisect_right(STEP_EDGES_MS, ms) - 1)


def score_bucket(value: float) -> int:
    return min(SCORE_BUCKETS - 1, max(0, int(value * SCORE_BUCKETS)))


def contribution(event: VerificationEvent) -> Counter[Key]:
    """The counts one event version adds to the rollups."""
    started = event.started_at.astimezone(UTC)
    day = started.strftime("%Y-%m-%d")
    scope = (day, event.office_id, event.kiosk_id)
    outcome = event.decision.outcome.value
    c: Counter[Key] = Counter()
    c["traffic", (day, started.hour, event.office_id, event.kiosk_id, outcome)] += 1
    c["daily", (*scope, outcome)] += 1
    for reason in dict.fromkeys(event.decision.reasons):
        c["reasons", (*scope, outcome, reason.value)] += 1
    for timing in event.timings:
        c["steps", (*scope, timing.step[:32], step_bucket(timing.ms))] += 1
    checks = {c.name: c for c in event.checks}
    for modality, name in ACQUISITION_CHECKS.items():
        check = checks.get(name)
        if check is not None and check.outcome in _ATTEMPTED:
            result = "acquired" if check.outcome is CheckOutcome.PASSED else "failed"
            c["acquisition", (*scope, modality, result)] += 1
    for modality, name in WATCHLIST_CHECKS.items():
        check = checks.get(name)
        if check is not None and check.outcome is CheckOutcome.FAILED:
            c["watchlist", (*scope, modality)] += 1
    if event.decision.outcome is Outcome.PASS:
        for score in event.scores:
            if score.name in GENUINE_SCORES:
                c["scores", (*scope, score.name, score_bucket(score.value))] += 1
    if event.satisfaction is not None and 1 <= event.satisfaction <= 5:
        c["survey", (*scope, event.satisfaction)] += 1
    return c


def _pg_type(column: Any) -> str:
    if isinstance(column.type, BigInteger):
        return "bigint"
    return "int" if isinstance(column.type, Integer) else "text"


@cache
def _pg_upsert_sql(name: str) -> str:
    """One INSERT of whole columns (``unnest`` of arrays) adding to ``n`` on conflict."""
    table, columns = TABLES[name]
    arrays = ", ".join(f"%s::{_pg_type(table.c[c])}[]" for c in columns)
    keys = ", ".join(columns)
    # Names from this module's TABLES only; every value is a bound array.
    return (
        f"INSERT INTO {table.name} ({keys}, n) SELECT * FROM unnest({arrays}, %s::bigint[]) "  # noqa: S608
        f"ON CONFLICT ({keys}) DO UPDATE SET n = {table.name}.n + excluded.n"
    )


@cache
def _pg_write_sql() -> str:
    """Every table's upsert in one statement (data-modifying CTEs): one round trip
    and one prepared statement per push, whichever tables have rows."""
    parts = [f"{name} AS ({_pg_upsert_sql(name)})" for name in TABLES]
    return "WITH " + ", ".join(parts) + " SELECT 1"


def write(conn: Connection, delta: Counter[Key]) -> None:
    """Add ``delta`` to the tables (a net change; rows that reach zero are deleted)."""
    by_table: dict[str, list[tuple[tuple[Any, ...], int]]] = {}
    for (name, key), n in delta.items():
        if n:
            by_table.setdefault(name, []).append((key, n))
    if not by_table:
        return
    for rows in by_table.values():
        rows.sort()  # one lock order for concurrent pushes
    if conn.dialect.name == "postgresql":
        # The ingest hot path: columns as arrays (an executemany of ~200 small rows
        # per push costs more than the push itself).
        params: list[list[Any]] = []
        for name, (_table, columns) in TABLES.items():
            rows = by_table.get(name, [])
            params.extend([key[i] for key, _ in rows] for i in range(len(columns)))
            params.append([n for _, n in rows])
        driver: Any = conn.connection.driver_connection
        with driver.cursor() as cursor:
            cursor.execute(_pg_write_sql(), params)
    else:
        for name, rows in by_table.items():
            table, columns = TABLES[name]
            stmt = upsert(conn, table)
            stmt = stmt.on_conflict_do_update(
                index_elements=list(columns), set_={"n": table.c.n + stmt.excluded.n}
            )
            conn.execute(
                stmt, [{**dict(zip(columns, key, strict=True)), "n": n} for key, n in rows]
            )
    for name, rows in by_table.items():
        emptied = [key for key, n in rows if n < 0]
        if emptied:
            table, columns = TABLES[name]
            pk = tuple_(*(table.c[col] for col in columns))
            conn.execute(delete(table).where(and_(pk.in_(emptied), table.c.n <= 0)))


@dataclass(frozen=True, slots=True)
class Version:
    """One pushed version of an event: what ``rollup_events`` points at."""

    kiosk_id: str
    key: str
    created_at: datetime
    event: VerificationEvent


def _stored_events(conn: Connection, pointers: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Payloads of stored versions by (kiosk id, idempotency key), in one query."""
    if not pointers:
        return {}
    t = s.pushed_records
    rows = conn.execute(
        select(t.c.kiosk_id, t.c.idempotency_key, t.c.payload).where(
            tuple_(t.c.kiosk_id, t.c.idempotency_key).in_(pointers)
        )
    )
    return {(str(k), str(i)): str(p) for k, i, p in rows}


def apply(conn: Connection, versions: Sequence[Version]) -> None:
    """Count newly stored event versions in arrival order (the folder's work)."""
    if not versions:
        return
    e = s.rollup_events
    ids = list(dict.fromkeys(v.event.event_id for v in versions))
    counted: dict[str, tuple[str, str, datetime, VerificationEvent | None]] = {
        str(r.event_id): (str(r.kiosk_id), str(r.idempotency_key), r.created_at, None)
        for r in conn.execute(select(e).where(e.c.event_id.in_(ids)))
    }
    stored = _stored_events(conn, [(c[0], c[1]) for c in counted.values()])
    delta: Counter[Key] = Counter()
    for v in versions:
        event_id = v.event.event_id
        held = counted.get(event_id)
        if held is not None:
            if v.created_at < held[2]:
                continue  # an older version arriving late: the newer one stays counted
            old = held[3] or codec.loads(VerificationEvent, stored[held[0], held[1]])
            delta.subtract(contribution(old))
        delta.update(contribution(v.event))
        counted[event_id] = (v.kiosk_id, v.key, v.created_at, v.event)
    write(conn, delta)
    _point(conn, [(i, c) for i, c in counted.items() if c[3] is not None])


_PG_POINT = (
    "INSERT INTO rollup_events (event_id, kiosk_id, idempotency_key, created_at) "
    "SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::timestamptz[]) "
    "ON CONFLICT (event_id) DO UPDATE SET kiosk_id = excluded.kiosk_id, "
    "idempotency_key = excluded.idempotency_key, created_at = excluded.created_at"
)


def _point(conn: Connection, changed: list[tuple[str, tuple[str, str, datetime, Any]]]) -> None:
    """Make ``rollup_events`` point at the versions now counted (one statement)."""
    if not changed:
        return
    changed.sort()
    if conn.dialect.name == "postgresql":
        driver: Any = conn.connection.driver_connection
        with driver.cursor() as cursor:
            cursor.execute(
                _PG_POINT,
                [[i for i, _ in changed], *([c[n] for _, c in changed] for n in range(3))],
            )
        return
    e = s.rollup_events
    stmt = upsert(conn, e)
    stmt = stmt.on_conflict_do_update(
        index_elements=["event_id"],
        set_={c: stmt.excluded[c] for c in ("kiosk_id", "idempotency_key", "created_at")},
    )
    conn.execute(stmt, [_pointer(i, c) for i, c in changed])


def _pointer(event_id: str, c: tuple[str, str, datetime, Any]) -> dict[str, Any]:
    return {"event_id": event_id, "kiosk_id": c[0], "idempotency_key": c[1], "created_at": c[2]}


def _newest_versions(conn: Connection, batch: int) -> Iterator[Version]:
    """The newest stored version of every event (same rule as :func:`apply`)."""
    t = s.pushed_records
    query = (
        select(t.c.record_id, t.c.kiosk_id, t.c.idempotency_key, t.c.created_at, t.c.payload)
        .where(t.c.kind == PushKind.VERIFICATION_EVENT.value)
        .order_by(t.c.record_id, t.c.created_at, t.c.row_id)
    )
    # Streamed (a server-side cursor on PostgreSQL) while the rollups are written on
    # the same connection: options on the statement, not the connection.
    rows = conn.execute(query.execution_options(stream_results=True, yield_per=batch))
    last: Any = None
    for row in rows:
        if last is not None and row.record_id != last.record_id:
            yield _version(last)
        last = row
    if last is not None:
        yield _version(last)


def _version(row: Any) -> Version:
    try:
        event = codec.loads(VerificationEvent, row.payload)
    except (MalformedDataError, ValueError) as exc:  # pragma: no cover - validated at ingest
        raise MalformedDataError(f"stored event {row.record_id!r} does not decode") from exc
    return Version(str(row.kiosk_id), str(row.idempotency_key), row.created_at, event)


# ------------------------------------------------------------------ the queue
FOLD_BATCH = 5000  # event versions counted per folding transaction
_FOLD_LOCK = 0x6765726261  # PostgreSQL advisory lock: one folder at a time across instances


def enqueue(conn: Connection, versions: Sequence[Version]) -> None:
    """Queue newly stored event versions for counting (ingest's part: one cheap insert)."""
    if versions:
        conn.execute(
            s.rollup_queue.insert(),
            [
                {"kiosk_id": v.kiosk_id, "idempotency_key": v.key, "created_at": v.created_at}
                for v in versions
            ],
        )


def fold(conn: Connection, *, limit: int = FOLD_BATCH) -> int:
    """Count up to ``limit`` queued versions, oldest first, and dequeue them; returns how
    many. Runs in the caller's transaction; on PostgreSQL another folder holding the
    lock makes this one return 0 at once (it will have counted the same rows)."""
    if conn.dialect.name == "postgresql":
        got = conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _FOLD_LOCK})
        if not got.scalar_one():
            return 0
    q = s.rollup_queue
    rows = conn.execute(
        select(q.c.row_id, q.c.kiosk_id, q.c.idempotency_key, q.c.created_at)
        .order_by(q.c.row_id)
        .limit(limit)
    ).all()
    if not rows:
        return 0
    stored = _stored_events(conn, [(str(r.kiosk_id), str(r.idempotency_key)) for r in rows])
    versions = [
        Version(
            str(r.kiosk_id),
            str(r.idempotency_key),
            r.created_at,
            codec.loads(VerificationEvent, stored[str(r.kiosk_id), str(r.idempotency_key)]),
        )
        for r in rows
        if (str(r.kiosk_id), str(r.idempotency_key)) in stored
    ]
    apply(conn, versions)
    # exactly the rows counted: a push whose lower row id commits only now stays queued
    ids = [int(r.row_id) for r in rows]
    for start in range(0, len(ids), 1000):
        conn.execute(delete(q).where(q.c.row_id.in_(ids[start : start + 1000])))
    return len(rows)


def pending(conn: Connection) -> int:
    """Queued versions not counted yet (the dashboard shows the lag)."""
    return int(conn.execute(select(func.count()).select_from(s.rollup_queue)).scalar_one())


def clear(conn: Connection) -> None:
    for table, _ in TABLES.values():
        conn.execute(delete(table))
    conn.execute(delete(s.rollup_events))
    conn.execute(delete(s.rollup_queue))  # a rebuild counts every stored event


def rebuild(conn: Connection, *, batch: int = 5000) -> int:
    """Empty the rollups and count every stored event again; returns the events counted.

    Runs in the caller's transaction (on PostgreSQL, pushes wait on the row locks).
    """
    clear(conn)
    events = 0
    delta: Counter[Key] = Counter()
    pointers: list[dict[str, Any]] = []
    for v in _newest_versions(conn, batch):
        delta.update(contribution(v.event))
        pointers.append(_pointer(v.event.event_id, (v.kiosk_id, v.key, v.created_at, None)))
        events += 1
        if len(pointers) >= batch:
            _flush(conn, delta, pointers)
    _flush(conn, delta, pointers)
    return events


def _flush(conn: Connection, delta: Counter[Key], pointers: list[dict[str, Any]]) -> None:
    write(conn, delta)
    if pointers:
        conn.execute(s.rollup_events.insert(), pointers)
    delta.clear()
    pointers.clear()


def snapshot(conn: Connection) -> dict[str, dict[tuple[Any, ...], int]]:
    """Every rollup table as {key: n} (tests, and checking a rebuild)."""
    out: dict[str, dict[tuple[Any, ...], int]] = {}
    for name, (table, columns) in TABLES.items():
        rows: Iterable[Any] = conn.execute(select(*(table.c[c] for c in columns), table.c.n))
        out[name] = {tuple(r[:-1]): int(r[-1]) for r in rows}
    return out

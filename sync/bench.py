"""``gerbang bench sync``: ingest throughput and catch-up time against a real server.

The server runs as a subprocess (uvicorn) on a loopback port over a scratch
PostgreSQL database; N simulated kiosks (real stores, real keys, real outboxes)
push M events concurrently; then one fresh kiosk with a file store catches up
``catchup`` watchlist changes (one face template each) through the index hook.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models import codec
from models.biometric import FaceTemplate, SampleSource
from models.bundles import WatchlistBundle
from models.events import (
    CheckOutcome,
    CheckResult,
    Decision,
    Outcome,
    ReasonCode,
    Score,
    StepTiming,
    VerificationEvent,
)
from models.identity import TravellerCategory
from models.keys import KeyStore
from models.settings import validate_settings
from models.store import Store
from models.watchlist import WatchlistCategory, WatchlistEntry
from sync.apply import IndexDelta
from sync.engine import SyncEngine
from sync.server.config import ServerConfig
from sync.server.db import create_scratch_database, drop_scratch_database
from sync.server.runner import free_port, spawn_server
from sync.server.service import Central

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T0 = datetime(2026, 11, 25, tzinfo=UTC)


class TimingTransport(httpx.BaseTransport):
    """Records the wall time of each request of the wrapped transport."""

    def __init__(self, inner: httpx.BaseTransport, sink: list[float], lock: threading.Lock) -> None:
        self.inner = inner
        self.sink = sink
        self.lock = lock

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        start = time.perf_counter()
        response = self.inner.handle_request(request)
        response.read()
        elapsed = (time.perf_counter() - start) * 1000
        with self.lock:
            self.sink.append(elapsed)
        return response

    def close(self) -> None:
        """Shared by all simulated kiosks: closed once, by :meth:`shutdown`."""

    def shutdown(self) -> None:
        self.inner.close()


class ArrayIndex:
    """A stand-in for the FAISS index: id -> vector in a growing NumPy array."""

    def __init__(self, dim: int = 128) -> None:
        self.vectors = np.zeros((1024, dim), dtype=np.float32)
        self.present = np.zeros(1024, dtype=bool)

    def __call__(self, delta: IndexDelta) -> None:
        for row_id, template in delta.face_upserts:
            if row_id >= len(self.present):
                size = max(row_id + 1, 2 * len(self.present))
                self.vectors = np.resize(self.vectors, (size, self.vectors.shape[1]))
                self.present = np.resize(self.present, size)
                self.present[row_id:] = False
            self.vectors[row_id] = template.as_array()
            self.present[row_id] = True
        for row_id in delta.face_removed:
            self.present[row_id] = False

    @property
    def count(self) -> int:
        return int(self.present.sum())


def _event(event_id: str, kiosk_id: str, office_id: str, i: int) -> VerificationEvent:
    start = T0 + timedelta(seconds=i)
    return VerificationEvent(
        event_id=event_id,
        kiosk_id=kiosk_id,
        office_id=office_id,
        started_at=start,
        finished_at=start + timedelta(seconds=14),
        traveller_category=TravellerCategory.FOREIGNER,
        issuing_state="MYS",
        document_number=f"A{i:08d}",
        traveller_id=None,
        checks=(
            CheckResult("mrz", CheckOutcome.PASSED),
            CheckResult("passive_authentication", CheckOutcome.PASSED),
            CheckResult("face_1to1", CheckOutcome.PASSED),
            CheckResult("watchlist_face", CheckOutcome.PASSED),
        ),
        scores=(Score("face_1to1", 0.81, 0.55), Score("watchlist_face_top1", 0.2, 0.6)),
        decision=Decision(Outcome.PASS, (ReasonCode.ALL_CHECKS_PASSED,)),
        timings=(StepTiming("chip_read", 2310.5), StepTiming("face_capture", 1400.0)),
    )


def _watchlist_change(i: int, rng: np.random.Generator) -> dict[str, Any]:
    vector = rng.standard_normal(128).astype("<f4")
    template = FaceTemplate.from_array(
        vector / np.linalg.norm(vector),
        template_id=f"bench-wl-{i}-f0",
        subject_id=f"bench-wl-{i}",
        algorithm="bench-128",
        created_at=T0,
        source=SampleSource.IMPORT,
    )
    entry = WatchlistEntry(
        entry_id=f"bench-wl-{i}",
        source_agency="POLRI",
        category=WatchlistCategory.WANTED,
        reason="warrant",
        valid_from=T0,
        valid_until=None,
        created_at=T0,
        updated_at=T0,
        full_name=f"PERSON {i}",
        nationality="IDN",
        document_numbers=(f"B{i:07d}",),
        face_template_ids=(template.template_id,),
    )
    bundle = WatchlistBundle(entry, (template,))
    return {"kind": "watchlist", "id": entry.entry_id, "payload": codec.to_json_value(bundle)}


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its live children, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else 0.0


def run(
    *,
    kiosks: int,
    events: int,
    rate: float = 2500.0,
    batch: int = 25,
    catchup: int = 100_000,
    admin_url: str = DEFAULT_ADMIN_URL,
    server_workers: int = 2,
    progress: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="gerbang-bench-") as tmp:
        root = Path(tmp)
        url = create_scratch_database(admin_url, prefix="gerbang_bench")
        process: subprocess.Popen[bytes] | None = None
        central: Central | None = None
        try:
            config = ServerConfig.from_key_dir(url, root / "server" / "server" / "keys")
            central = Central(config)
            central.migrate()
            port = free_port()
            # Every simulated kiosk connects from 127.0.0.1: the per-address limit (a
            # guard against floods from one address) would throttle the benchmark itself.
            process = spawn_server(
                url,
                root / "server",
                port,
                server_workers,
                settings_env={"GERBANG_SERVER__RATE_IP_PER_S": "0"},
            )
            server_url = f"http://127.0.0.1:{port}"
            progress(f"server ready on {server_url}; registering {kiosks} kiosks")
            server_cpu = _cpu_seconds(process.pid)
            result = _ingest(
                central,
                server_url,
                root,
                kiosks=kiosks,
                events=events,
                rate=rate,
                batch=batch,
                progress=progress,
            )
            result["ingest_server_cpu_s"] = round(_cpu_seconds(process.pid) - server_cpu, 2)
            progress(f"publishing {catchup} watchlist changes")
            server_cpu = _cpu_seconds(process.pid)
            result.update(_catchup(central, server_url, root, catchup, progress))
            result["catchup_server_cpu_s"] = round(_cpu_seconds(process.pid) - server_cpu, 2)
            result["load_average_1m"] = os.getloadavg()[0]
            return result
        finally:
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
            if central is not None:
                central.close()
            drop_scratch_database(url, admin_url)


def _kiosk(
    root: Path, server_url: str, key: bytes, k: int, transport: httpx.BaseTransport
) -> tuple[Store, SyncEngine]:
    kiosk_id, office_id = f"BENCH-{k:05d}", f"OFFICE-{k % 10}"
    store = Store.open(":memory:", key)
    settings = validate_settings(
        {
            "kiosk": {"id": kiosk_id, "office_id": office_id},
            "paths": {"data_dir": str(root / "kiosk")},
            "sync": {"server_url": server_url},
        }
    )
    return store, SyncEngine(store, settings, Ed25519PrivateKey.generate(), transport=transport)


def _ingest(
    central: Central,
    server_url: str,
    root: Path,
    *,
    kiosks: int,
    events: int,
    rate: float,
    batch: int,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """Open-loop load: each kiosk sends a batch every ``kiosks * batch / rate`` seconds
    (random phase), one request at a time, so ``rate`` events/s are offered in total;
    latency is then service time plus real queueing, not an artefact of a burst."""
    latencies: list[float] = []
    lock = threading.Lock()
    transport = TimingTransport(
        httpx.HTTPTransport(limits=httpx.Limits(max_connections=kiosks + 10)), latencies, lock
    )
    key = KeyStore(root / "kiosk-keys").store_key()
    generated: set[str] = set()
    per_kiosk = [events // kiosks + (1 if i < events % kiosks else 0) for i in range(kiosks)]
    pairs = [_kiosk(root, server_url, key, k, transport) for k in range(kiosks)]
    codes = [central.issue_code(engine.office_id)["code"] for _, engine in pairs]
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(
            pool.map(
                lambda pair_code: pair_code[0][1].register(pair_code[1]),
                zip(pairs, codes, strict=True),
            )
        )
    for (store, engine), count in zip(pairs, per_kiosk, strict=True):
        with store.atomic():
            for i in range(count):
                event = _event(f"{engine.kiosk_id}-{i}", engine.kiosk_id, engine.office_id, i)
                store.outbox.enqueue(
                    "verification_event", f"ev:{event.event_id}", codec.dumps(event)
                )
                generated.add(event.event_id)
    latencies.clear()
    period = kiosks * batch / rate
    progress(f"pushing {events} events from {kiosks} kiosks at {rate:.0f} events/s offered")
    rng = np.random.default_rng(3)
    phases = rng.uniform(0, period, kiosks)
    cpu_before = time.process_time()
    started = time.perf_counter()

    def push(k: int) -> int:
        store, engine = pairs[k]
        sent = 0
        with engine._client() as client:
            slot = started + float(phases[k])
            # Until nothing is left to send: an item the server rejected waits a day
            # for its retry (it counts as lost), it must not keep the kiosk spinning.
            while store.outbox.pending(limit=1):
                delay = slot - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                sent += engine.push(client, batch_items=batch, max_batches=1).accepted
                slot += period
        return sent

    with ThreadPoolExecutor(max_workers=kiosks) as pool:
        accepted = sum(pool.map(push, range(kiosks)))
    wall = time.perf_counter() - started
    client_cpu = time.process_time() - cpu_before
    transport.shutdown()
    counts = central.counts()
    stored_events = counts["pushed"].get("verification_event", 0)
    distinct = counts["distinct_events"]
    left = sum(store.outbox.depth() for store, _ in pairs)
    for store, _ in pairs:
        store.close()
    return {
        "kiosks": kiosks,
        "events": events,
        "batch": batch,
        "offered_events_per_s": rate,
        "ingest_events_per_s": round(events / wall, 1),
        "ingest_s": round(wall, 3),
        "ingest_client_cpu_s": round(client_cpu, 2),
        "requests": len(latencies),
        "p50_ms": round(_percentile(latencies, 50), 1),
        "p99_ms": round(_percentile(latencies, 99), 1),
        "accepted": accepted,
        "outbox_left": left,
        "lost": len(generated) - distinct,
        "duplicated": stored_events - distinct,
    }


def _catchup(
    central: Central, server_url: str, root: Path, changes: int, progress: Callable[[str], None]
) -> dict[str, Any]:
    rng = np.random.default_rng(7)
    chunk = 5000
    for start in range(0, changes, chunk):
        central.publish(
            _watchlist_change(i, rng) for i in range(start, min(changes, start + chunk))
        )
    progress("catching up")
    keys = KeyStore(root / "catchup" / "keys")
    store = Store.open(root / "catchup" / "kiosk.db", keys.store_key())
    settings = validate_settings(
        {
            "kiosk": {"id": "BENCH-CATCHUP", "office_id": "OFFICE-0"},
            "paths": {"data_dir": str(root / "catchup")},
            "sync": {"server_url": server_url},
        }
    )
    index = ArrayIndex()
    engine = SyncEngine(store, settings, keys.signing_key(), index_hook=index)
    engine.register(central.issue_code("OFFICE-0")["code"])
    started = time.perf_counter()
    cpu_before = time.process_time()
    with engine._client() as client:
        pulled = engine.pull(client)
    wall = time.perf_counter() - started
    result = {
        "catchup_changes": pulled.upserts,
        "catchup_s": round(wall, 2),
        "catchup_client_cpu_s": round(time.process_time() - cpu_before, 2),
        "catchup_pages": pulled.pages,
        "catchup_store_count": store.watchlist.count(),
        "catchup_index_count": index.count,
    }
    store.close()
    return result


__all__ = ["ArrayIndex", "TimingTransport", "run"]

"""``gerbang index status|rebuild|verify`` and ``gerbang bench index``.

The index lives in ``<data_dir>/index/`` (one main and one delta file per
gallery), encrypted with the ``index`` key of the key store.  faiss and the
index package are imported inside the commands so that ``gerbang --help``
stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kiosk.cli.context import app, emit_json, json_option
from kiosk.cli.exitcodes import ExitCode
from models.keys import KeyStore
from models.settings import Settings
from models.store import Store

if TYPE_CHECKING:
    from biometrics.index import GallerySpec

INDEX_KEY = "index"


def _galleries(names: tuple[str, ...]) -> list[GallerySpec]:
    from biometrics.index.galleries import known_galleries

    known = known_galleries()
    if not names:
        return list(known.values())
    unknown = [n for n in names if n not in known]
    if unknown:
        raise click.BadParameter(f"unknown gallery {unknown[0]!r}; known: {', '.join(known)}")
    return [known[n] for n in names]


@contextmanager
def _store(settings: Settings) -> Iterator[Store]:
    store = Store.open(settings.store_path, KeyStore(settings.key_dir).store_key())
    try:
        yield store
    finally:
        store.close()


def _index_dir(settings: Settings) -> Path:
    return settings.data_dir / "index"


class _Bars:
    """A progress callback drawing one click progress bar per phase on stderr."""

    def __init__(self, label: str, enabled: bool) -> None:
        self._label = label
        self._enabled = enabled
        self._phase = ""
        self._bar: Any = None
        self._shown = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self._enabled:
            return
        if phase != self._phase:
            self.close()
            self._phase = phase
            self._bar = click.progressbar(
                length=max(total, 1), label=f"{self._label}: {phase}", file=sys.stderr
            )
            self._bar.__enter__()
            self._shown = 0
        if self._bar is not None and done > self._shown:
            self._bar.update(done - self._shown)
            self._shown = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


gallery_option = click.option(
    "--gallery",
    "names",
    multiple=True,
    help="Gallery name (repeatable). Default: every known gallery.",
)


@click.group("index")
def index_group() -> None:
    """The matching index: status, rebuild, verify."""


@index_group.command("status")
@gallery_option
@json_option
@click.pass_context
def status(ctx: click.Context, names: tuple[str, ...], as_json: bool) -> None:
    """Show each gallery's index files and whether they agree with the store."""
    from biometrics.index import BiometricIndex, StoreGallerySource

    settings = app(ctx).start_logging()
    key = KeyStore(settings.key_dir).load_or_create(INDEX_KEY)
    with _store(settings) as store:
        reports = [
            BiometricIndex.inspect(StoreGallerySource(store, spec), _index_dir(settings), key)
            for spec in _galleries(names)
        ]
    if as_json:
        emit_json({"galleries": reports})
        return
    for report in reports:
        line = f"{report['gallery']}: {report['state']}, store {report['store_count']} templates"
        if "count" in report:
            line += (
                f", index {report['count']} ({report['factory']}, {report['delta_rows']} in delta)"
            )
        click.echo(line + (f" — {report['detail']}" if report["detail"] else ""))


@index_group.command("rebuild")
@gallery_option
@json_option
@click.pass_context
def rebuild(ctx: click.Context, names: tuple[str, ...], as_json: bool) -> None:
    """Rebuild galleries from the store and save them."""
    import time

    from biometrics.index import BiometricIndex, StoreGallerySource

    settings = app(ctx).start_logging()
    key = KeyStore(settings.key_dir).load_or_create(INDEX_KEY)
    results = []
    with _store(settings) as store:
        for spec in _galleries(names):
            source = StoreGallerySource(store, spec)
            bars = _Bars(spec.name, enabled=not as_json and sys.stderr.isatty())
            started = time.monotonic()
            try:
                index = BiometricIndex(
                    source,
                    BiometricIndex.build(source, progress=bars).snapshot,
                    directory=_index_dir(settings),
                    key=key,
                    origin="rebuilt:requested",
                )
                index.save(progress=bars)
            finally:
                bars.close()
            results.append(
                {**asdict(index.status()), "seconds": round(time.monotonic() - started, 2)}
            )
    if as_json:
        emit_json({"galleries": results})
        return
    for result in results:
        click.echo(
            f"{result['gallery']}: {result['count']} templates indexed with {result['factory']} "
            f"in {result['seconds']} s"
        )


@index_group.command("verify")
@gallery_option
@click.option("--quick", is_flag=True, help="Skip comparing every stored vector (minutes at 1M).")
@json_option
@click.pass_context
def verify(ctx: click.Context, names: tuple[str, ...], quick: bool, as_json: bool) -> None:
    """Check the index files against the store; exit 5 when a check fails."""
    from biometrics.index import BiometricIndex, IndexFileError, StoreGallerySource

    settings = app(ctx).start_logging()
    key = KeyStore(settings.key_dir).load_or_create(INDEX_KEY)
    reports: list[dict[str, Any]] = []
    with _store(settings) as store:
        for spec in _galleries(names):
            source = StoreGallerySource(store, spec)
            bars = _Bars(spec.name, enabled=not as_json and sys.stderr.isatty())
            try:
                index = BiometricIndex.load(source, _index_dir(settings), key)
                verified = index.verify(deep=not quick, progress=bars)
                reports.append({**asdict(verified), "ok": verified.ok})
            except IndexFileError as exc:
                reports.append(
                    {
                        "gallery": spec.name,
                        "ok": False,
                        "checks": [{"name": "files", "ok": False, "detail": exc.code}],
                        "rows_checked": 0,
                        "mismatched_rows": [],
                    }
                )
            finally:
                bars.close()
    ok = all(r["ok"] for r in reports)
    if as_json:
        emit_json({"ok": ok, "galleries": reports})
    else:
        for report in reports:
            failed = [c["name"] for c in report["checks"] if not c["ok"]]
            verdict = "ok" if report["ok"] else f"FAILED ({', '.join(failed)})"
            click.echo(f"{report['gallery']}: {verdict}")
        if not ok:
            click.echo("Repair: gerbang index rebuild (or restart the kiosk: it repairs on open).")
    if not ok:
        ctx.exit(int(ExitCode.CHECK_FAILED))


def _int_list(text: str) -> list[int]:
    try:
        values = [int(v.replace("_", "")) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise click.BadParameter(f"expected comma-separated integers, got {text!r}") from exc
    if not values or min(values) <= 0:
        raise click.BadParameter("expected positive integers")
    return values


def _float_list(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise click.BadParameter(f"expected comma-separated numbers, got {text!r}") from exc
    if any(not 0 < v <= 1 for v in values):
        raise click.BadParameter("filter shares are fractions in (0, 1]")
    return values


def _default_vectors_file() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("gerbang")) / "face-embeddings-128.npz"


def _data_root() -> Path:
    env = os.environ.get("GERBANG_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared" / "data"


@click.group("bench")
def bench_group() -> None:
    """Benchmarks: face, fingerprint, index, sync, transaction."""


@bench_group.command("index")
@click.option("--dim", type=click.IntRange(2, 4096), default=128, show_default=True)
@click.option("--sizes", default="10000,100000,1000000", show_default=True, help="Gallery sizes.")
@click.option(
    "--kinds",
    default="clustered,uniform",
    show_default=True,
    help="Vector kinds: clustered (face-like; real-embedding model at 128-d), uniform.",
)
@click.option(
    "--vectors",
    "vectors_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Cache of real 128-d face embeddings (.npz), computed from the shared faces when "
    "missing. Default: the user cache folder (never the repository).",
)
@click.option(
    "--factory", "factory_text", help="Force a factory string instead of the choice by size."
)
@click.option(
    "--probe", "probes", default="", help="nprobe/efSearch values to sweep (default: tuned)."
)
@click.option("--queries", type=click.IntRange(10, 100_000), default=1000, show_default=True)
@click.option(
    "--filters", "filter_text", default="", help="Also time filtered search, e.g. 0.01,0.3."
)
@click.option("--seed", type=int, default=7, show_default=True)
@json_option
@click.pass_context
def bench_index(
    ctx: click.Context,
    dim: int,
    sizes: str,
    kinds: str,
    vectors_file: Path | None,
    factory_text: str | None,
    probes: str,
    queries: int,
    filter_text: str,
    seed: int,
    as_json: bool,
) -> None:
    """Build, save, load and query galleries: latency, recall against exact, memory."""
    from biometrics.index import bench
    from biometrics.index.benchdata import EMBEDDING_DIM, load_or_compute_real_embeddings

    app(ctx).start_logging(to_file=False)
    size_list = _int_list(sizes)
    kind_list = [k.strip() for k in kinds.split(",") if k.strip()]
    say: Callable[[str], None] = lambda text: click.echo(text, err=True)  # noqa: E731
    real = None
    if "clustered" in kind_list and dim == EMBEDDING_DIM:
        cache = vectors_file or _default_vectors_file()
        if not cache.is_file():
            say(f"computing real face embeddings once into {cache} (several minutes)")
        real = load_or_compute_real_embeddings(cache, _data_root())
    out = bench.run(
        dim=dim,
        sizes=size_list,
        kinds=kind_list,
        real=real,
        factory_text=factory_text,
        probes=_int_list(probes) if probes else [None],
        n_queries=queries,
        exact_queries=min(queries, 100),
        filter_shares=_float_list(filter_text) if filter_text else [],
        seed=seed,
        log=say if not as_json else (lambda _text: None),
    )
    if as_json:
        emit_json(out)
        return
    for row in out["results"]:
        click.echo(
            f"{row['vectors']:>20} {row['size']:>8} {row['factory']:<32} p50 {row['p50_ms']:.3f} ms "
            f"p99 {row['p99_ms']:.3f} ms R@1 {row['recall_at_1']:.4f} R@10 {row['recall_at_10']:.4f} "
            f"mem {row['memory_mb']:.0f} MB load {row['load_s']:.2f} s build {row['build_s']:.1f} s "
            f"(exact {row['exact_p50_ms']:.2f} ms)"
        )


COMMANDS = (index_group, bench_group)

"""``gerbang index status|rebuild|verify`` and ``gerbang bench index`` on a temporary data dir."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from biometrics.index import FACE_GALLERY, persist
from kiosk.cli import main
from kiosk.cli.exitcodes import ExitCode
from models.keys import KeyStore
from models.store import Store
from tests.unit.index.helpers import clustered, face_template, fill_store


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("GERBANG_PATHS__DATA_DIR", str(folder))
    store = Store.open(folder / "kiosk.db", KeyStore(folder / "keys").store_key())
    try:
        fill_store(store, clustered(300, 1, seed=8)[0])
    finally:
        store.close()
    return folder


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else {}, err


def test_status_rebuild_verify(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    code, out, _ = run(capsys, "index", "status", "--json")
    assert code == 0
    (face,) = out["galleries"]
    assert face["gallery"] == "face" and face["state"] == "missing" and face["store_count"] == 300

    code, out, _ = run(capsys, "index", "verify", "--json")
    assert code == ExitCode.CHECK_FAILED and out["ok"] is False

    code, out, _ = run(capsys, "index", "rebuild", "--json")
    assert code == 0
    (built,) = out["galleries"]
    assert built["count"] == 300 and built["factory"] == "IDMap2,Flat" and built["seconds"] >= 0

    code, out, _ = run(capsys, "index", "status", "--json")
    (face,) = out["galleries"]
    assert face["state"] == "ok" and face["count"] == 300 and face["store_high_water"] == 300
    assert face["files"]["face.main.gidx"] > 300 * 512

    code, out, _ = run(capsys, "index", "verify", "--json")
    assert code == 0 and out["ok"] is True
    assert out["galleries"][0]["rows_checked"] == 300


def test_verify_reports_a_stale_index_and_status_says_so(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    assert run(capsys, "index", "rebuild", "--json")[0] == 0
    store = Store.open(data_dir / "kiosk.db", KeyStore(data_dir / "keys").store_key())
    try:
        store.face_templates.add(face_template("late", np.ones(128, np.float32)))
    finally:
        store.close()
    code, out, _ = run(capsys, "index", "status", "--json")
    assert out["galleries"][0]["state"] == "stale"
    code = main(["index", "verify", "--quick"])
    text = capsys.readouterr().out
    assert code == ExitCode.CHECK_FAILED
    assert "face: FAILED (count, high_water, row_ids)" in text
    assert "gerbang index rebuild" in text


def test_corrupt_file_is_reported(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    assert run(capsys, "index", "rebuild", "--json")[0] == 0
    main_file = persist.Paths.of(data_dir / "index", FACE_GALLERY).main
    main_file.write_bytes(main_file.read_bytes()[:-10])
    code, out, _ = run(capsys, "index", "status", "--json")
    assert out["galleries"][0]["state"] == "integrity"
    code, out, _ = run(capsys, "index", "verify", "--json")
    assert code == ExitCode.CHECK_FAILED
    assert out["galleries"][0]["checks"] == [
        {"name": "files", "ok": False, "detail": "store.index.integrity"}
    ]


def test_unknown_gallery_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    assert run(capsys, "index", "status", "--gallery", "iris")[0] == ExitCode.USAGE


def test_bench_index_prints_the_documented_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "bench", "index", "--dim", "32", "--sizes", "2000", "--kinds", "clustered,uniform",
        "--queries", "20", "--filters", "0.05", "--json",
    )  # fmt: skip
    assert code == 0
    keys = {"size", "factory", "build_s", "load_s", "memory_mb", "p50_ms", "p99_ms",
            "recall_at_1", "recall_at_10", "exact_p50_ms"}  # fmt: skip
    assert [r["vectors"] for r in out["results"]] == ["clustered-synthetic", "uniform"]
    for row in out["results"]:
        assert keys <= set(row)
        assert row["size"] == 2000 and row["factory"] == "IDMap2,Flat"
        assert row["recall_at_1"] == 1.0 and row["recall_at_10"] == 1.0  # exact at this size
        assert row["load_s"] > 0 and row["memory_mb"] > 0
    assert {f["path"] for f in out["filtered"]} == {"exact-subset"}
    assert all(f["recall_at_10"] == 1.0 for f in out["filtered"])


def test_bench_rejects_bad_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "bench", "index", "--sizes", "ten", "--json")[0] == ExitCode.USAGE

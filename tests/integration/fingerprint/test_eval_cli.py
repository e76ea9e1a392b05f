"""``gerbang eval fingerprint`` on a few fingers of FVC2002."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from biometrics.fingerprint.params import DUAL_VERIFICATION, VERIFICATION
from kiosk.cli import cli

pytestmark = pytest.mark.dataset


def test_eval_fingerprint_json_and_plot(fvc2002: Path, tmp_path: Path) -> None:
    plot = tmp_path / "det.png"
    result = CliRunner().invoke(
        cli,
        [
            "eval",
            "fingerprint",
            "--dataset",
            str(fvc2002 / "DB1_B"),
            "--fingers",
            "4",
            "--protocol",
            "all-pairs",
            "--json",
            "--plot",
            str(plot),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["images"] == 32 and report["protocol"] == "all-pairs"
    assert (report["genuine"], report["impostor"]) == (4 * 28, 32 * 31 // 2 - 4 * 28)
    assert report["failures_to_extract"] == 0
    for name in ("gerbang", "nbis_bozorth3"):
        figures = report["matchers"][name]
        for key in ("eer", "fmr100", "fmr1000", "zero_fmr", "comparisons_per_s", "extract_ms"):
            assert key in figures
        assert 0 <= figures["eer"] < 0.2
        assert figures["comparisons_per_s"] > 0
    fused = report["fusion"]["gerbang_2_fingers_sum"]  # two chimeric people of two fingers
    assert 0 <= fused["eer"] <= report["matchers"]["gerbang"]["eer"] + 0.05
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eval_fingerprint_fvc_protocol_counts(fvc2002: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["eval", "fingerprint", "--dataset", str(fvc2002 / "DB4_B"), "--fingers", "3", "--json"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["genuine"], report["impostor"]) == (84, 3)


def test_eval_fingerprint_refuses_a_folder_without_prints(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["eval", "fingerprint", "--dataset", str(tmp_path), "--json"])
    assert result.exit_code != 0


@pytest.mark.parametrize("matcher", ["gerbang", "gerbang_dual"])
def test_bench_fingerprint_index_small_gallery(fvc2002: Path, matcher: str) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "bench",
            "fingerprint-index",
            "--dataset",
            str(fvc2002 / "DB4_B"),
            "--sizes",
            "60,40",
            "--matcher",
            matcher,
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [g["fingers"] for g in report["galleries"]] == [40, 60]  # nested, smallest first
    gallery = report["galleries"][1]
    assert (report["mates"], gallery["fingers"], gallery["distractors"]) == (10, 60, 50)
    assert gallery["probes"] == 30
    assert set(gallery["hit_rate_at_penetration"]) == {"0.001", "0.005", "0.01", "0.05"}
    assert gallery["mate_in_shortlist"] >= 0.9
    assert gallery["rank1_after_rerank"] >= 0.8
    assert gallery["latency_ms"]["p50"] > 0
    assert gallery["vectors"] > 60 * 10
    stored = {"faiss", "templates", "owners"} | ({"flows"} if matcher == "gerbang_dual" else set())
    assert set(gallery["index_bytes"]) == stored
    assert report["matcher"] == matcher and report["images_without_enhanced_set"] == []
    # the kiosk's decision at the accept point, through the index and exhaustively
    assert 0.7 <= gallery["mate_hit_at_accept"] <= gallery["mate_in_shortlist"]
    assert gallery["probes_with_a_false_hit_at_accept"] <= 0.1
    assert 0 <= gallery["probes_hitting_a_mirror_of_their_own_finger"] <= 1
    assert gallery["kiosk_search"] == "exhaustive"  # 60 fingers: below either limit
    for found in (gallery, gallery["exhaustive"]):  # mates at equal false hits
        at = found["mate_hit_at_false_hit_rate"]
        assert set(at) == {"0.01", "0.05"} and at["0.01"]["false_hit_rate"] <= 0.01
        assert at["0.01"]["mate_hit"] <= at["0.05"]["mate_hit"] <= found["mate_hit_at_accept"]
    exhaustive = gallery["exhaustive"]  # 60 fingers: below IndexParams.exhaustive_below
    assert exhaustive["rank1"] >= gallery["rank1_after_rerank"] - 0.05
    assert exhaustive["mate_hit_at_accept"] >= 0.7 and exhaustive["latency_ms"]["p50"] > 0
    assert 0 < gallery["index_mb"] < gallery["rss_mb"] <= gallery["peak_rss_mb"]
    assert 0 <= gallery["real_non_mate_votes_above_distractors"] <= 1
    assert report["index"]["faiss"].startswith("PCA64,") and "SQ8" in report["index"]["faiss"]
    fair = report["distractors_vs_real_impostors"]
    assert fair["real_impostors_same_set"]["n"] == 30 * 9  # 3 probes x 10 fingers x 9 others
    hit_at = DUAL_VERIFICATION.accept if matcher == "gerbang_dual" else VERIFICATION.accept
    assert fair["accept_threshold"] == hit_at
    assert fair["distractors"]["n"] == 30 * 30  # the 40-finger gallery's 30 distractors
    assert fair["real_impostors_other_sets"] == {"n": 0}  # one set given
    assert 0 <= fair["real_impostor_above_distractor"] <= 1


def test_bench_fingerprint_extract_times_both_variants_on_the_same_prints(fvc2002: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "bench",
            "fingerprint-extract",
            "--dataset",
            str(fvc2002 / "DB3_B"),
            "--images",
            "2",
            "--rounds",
            "2",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    one = report["sets"]["DB3_B"]
    assert (one["images"], one["rounds"], one["without_enhanced_set"]) == (2, 2, 0)
    assert one["raw_set_ms_median"] > 0 and one["both_sets_ms_median"] > 0
    assert one["raw_set_ms_median"] <= one["raw_set_ms_p95"]
    assert "pinned" in report["cpu"]


def test_bench_images_refuses_nothing_to_time() -> None:
    from biometrics.fingerprint.extractbench import bench_images

    with pytest.raises(ValueError, match="no images"):
        bench_images([])


def test_bench_fingerprint_match_reports_the_kernel_and_the_eer(fvc2002: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "bench",
            "fingerprint-match",
            "--dataset",
            str(fvc2002 / "DB1_B"),
            "--runs",
            "1",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["matcher_kernel"] == "c"  # the compiled loop, not the NumPy fallback
    one = report["sets"]["DB1_B"]
    assert one["comparisons"] == 3160
    assert one["current"]["eer"] == pytest.approx(0.025)  # docs/fingerprint.md, all pairs
    assert one["current"]["comparisons_per_cpu_s"] > 0
    assert one["current"]["prepared_gallery"]["max_score_difference"] < 1e-6
